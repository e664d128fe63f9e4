package dev.coffer.jca.spi;

import dev.coffer.jca.core.JcaErrors;
import dev.coffer.jca.key.KmsPrivateKey;
import dev.coffer.protocol.KmsException;
import java.security.AlgorithmParameters;
import java.security.InvalidAlgorithmParameterException;
import java.security.InvalidKeyException;
import java.security.InvalidParameterException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.ProviderException;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.SignatureException;
import java.security.SignatureSpi;
import java.security.spec.AlgorithmParameterSpec;
import java.security.spec.InvalidParameterSpecException;
import java.security.spec.PSSParameterSpec;
import java.util.Map;

/**
 * {@code Signature} under Coffer: {@code SHA256withECDSA} ... {@code SHA512withRSA} and {@code
 * RSASSA-PSS}, signing with a {@link KmsPrivateKey} in the daemon.
 *
 * <p>The message is hashed here, in the application, and only the digest crosses to the daemon
 * ({@code Sign} with {@code MessageType DIGEST}), so a message of any size is one round trip.
 * The signature is what the JDK makes too (DER {@code ECDSA-Sig-Value}; the raw RSA value).
 * {@code initSign} accepts KMS handles only, and for ECDSA only the algorithm AWS pairs with the
 * key's curve (SHA-256 for P-256 and secp256k1, SHA-384 for P-384, SHA-512 for P-521); it throws
 * {@link InvalidKeyException} for anything else, so delayed provider selection ({@code
 * Signature.getInstance(alg)} without a provider)
 * gives ordinary keys to the JDK. {@code initVerify} takes an ordinary public key (for a handle,
 * {@link KmsPrivateKey#publicKey()}) and verifies in this JVM through the JDK's providers:
 * verification needs no secret, so no round trip. The {@code SecureRandom} is not used: the
 * daemon makes ECDSA's nonce and PSS's salt.
 */
public abstract class KmsSignatureSpi extends SignatureSpi {

  /**
   * The one ECDSA algorithm AWS KMS signs each curve with (KMS API reference, {@code
   * SigningAlgorithmSpec}: the digest matches the curve); RSA keys take every RSA algorithm.
   */
  private static final Map<String, String> ECDSA_BY_SPEC = Map.of(
      "ECC_NIST_P256", "ECDSA_SHA_256", "ECC_NIST_P384", "ECDSA_SHA_384",
      "ECC_NIST_P521", "ECDSA_SHA_512", "ECC_SECG_P256K1", "ECDSA_SHA_256");

  private static final Map<String, String> JDK_NAMES = Map.of(
      "ECDSA_SHA_256", "SHA256withECDSA", "ECDSA_SHA_384", "SHA384withECDSA",
      "ECDSA_SHA_512", "SHA512withECDSA");

  private final String keyAlgorithm;
  private final String jdkAlgorithm;
  /** Null until PSS parameters are set (RSASSA-PSS only). */
  private String digestName;
  private String signingAlgorithm;
  private PSSParameterSpec pss;

  private MessageDigest digest;
  private KmsPrivateKey signer;
  private Signature verifier;

  KmsSignatureSpi(String keyAlgorithm, String jdkAlgorithm, String digestName,
      String signingAlgorithm) {
    this.keyAlgorithm = keyAlgorithm;
    this.jdkAlgorithm = jdkAlgorithm;
    this.digestName = digestName;
    this.signingAlgorithm = signingAlgorithm;
  }

  @Override
  protected void engineInitSign(PrivateKey key) throws InvalidKeyException {
    KmsPrivateKey k = Handles.requirePrivate(key, keyAlgorithm);
    if (k.keyUsage() != null && !"SIGN_VERIFY".equals(k.keyUsage())) {
      // AWS: Sign with an ENCRYPT_DECRYPT key is InvalidKeyUsageException; say so at init.
      throw new InvalidKeyException(k.arn() + " is a key of KeyUsage " + k.keyUsage()
          + "; signing needs a key of KeyUsage SIGN_VERIFY");
    }
    String only = ECDSA_BY_SPEC.get(k.keySpec());
    if (only != null && !only.equals(signingAlgorithm)) {
      throw new InvalidKeyException("AWS KMS signs " + k.keySpec() + " keys with " + only
          + " only (" + JDK_NAMES.get(only) + "), not " + jdkAlgorithm);
    }
    verifier = null;
    signer = k;
    digest = digestName == null ? null : newDigest(digestName);
  }

  @Override
  protected void engineInitSign(PrivateKey key, SecureRandom random) throws InvalidKeyException {
    engineInitSign(key);
  }

  @Override
  protected void engineInitVerify(PublicKey key) throws InvalidKeyException {
    if (key == null) {
      throw new InvalidKeyException("a public key is required");
    }
    try {
      // Without a provider name: the JDK's providers take ordinary public keys; Coffer's
      // services declare KMS handles as their only key class, so this never comes back here.
      Signature s = Signature.getInstance(jdkAlgorithm);
      s.initVerify(key);
      if (pss != null) {
        s.setParameter(pss);
      }
      signer = null;
      digest = null;
      verifier = s;
    } catch (NoSuchAlgorithmException | InvalidAlgorithmParameterException e) {
      throw new InvalidKeyException("no JDK provider verifies " + jdkAlgorithm + ": " + e, e);
    }
  }

  @Override
  protected void engineUpdate(byte b) throws SignatureException {
    engineUpdate(new byte[] {b}, 0, 1);
  }

  @Override
  protected void engineUpdate(byte[] b, int off, int len) throws SignatureException {
    if (verifier != null) {
      verifier.update(b, off, len);
    } else if (signer != null) {
      if (digest == null) {
        throw new SignatureException(
            "RSASSA-PSS needs its PSSParameterSpec (setParameter) before data");
      }
      digest.update(b, off, len);
    } else {
      throw new SignatureException("Signature not initialized");
    }
  }

  @Override
  protected byte[] engineSign() throws SignatureException {
    if (signer == null) {
      throw new SignatureException("Signature not initialized for signing");
    }
    if (digest == null) {
      throw new SignatureException(
          "RSASSA-PSS needs its PSSParameterSpec (setParameter) before sign");
    }
    byte[] hash = digest.digest(); // also resets the digest for the next signature
    try {
      return Handles.service(signer).asymmetric().sign(
          signer.arn(), hash, "DIGEST", signingAlgorithm, signer.grantTokens());
    } catch (KmsException e) {
      throw JcaErrors.signature(e);
    }
  }

  @Override
  protected boolean engineVerify(byte[] sigBytes) throws SignatureException {
    if (verifier == null) {
      throw new SignatureException("Signature not initialized for verification");
    }
    return verifier.verify(sigBytes);
  }

  @Override
  protected void engineSetParameter(AlgorithmParameterSpec params)
      throws InvalidAlgorithmParameterException {
    if (params == null) {
      return;
    }
    if (!"RSASSA-PSS".equals(jdkAlgorithm)) {
      throw new InvalidAlgorithmParameterException(
          jdkAlgorithm + " takes no parameters, got " + params.getClass().getName());
    }
    PssAlgorithms.Choice c = PssAlgorithms.of(params);
    if (verifier != null) {
      verifier.setParameter(params);
    }
    pss = (PSSParameterSpec) params;
    digestName = c.digestName();
    signingAlgorithm = c.signingAlgorithm();
    if (signer != null) {
      digest = newDigest(digestName);
    }
  }

  @Override
  protected AlgorithmParameters engineGetParameters() {
    if (pss == null) {
      return null;
    }
    try {
      AlgorithmParameters p = AlgorithmParameters.getInstance("RSASSA-PSS");
      p.init(pss);
      return p;
    } catch (NoSuchAlgorithmException | InvalidParameterSpecException e) {
      throw new ProviderException("the JDK cannot encode PSS parameters", e);
    }
  }

  @Override
  @Deprecated
  protected void engineSetParameter(String param, Object value) {
    throw new InvalidParameterException("use setParameter(AlgorithmParameterSpec)");
  }

  @Override
  @Deprecated
  protected Object engineGetParameter(String param) {
    throw new InvalidParameterException("use getParameters()");
  }

  private static MessageDigest newDigest(String name) {
    try {
      return MessageDigest.getInstance(name);
    } catch (NoSuchAlgorithmException e) {
      throw new ProviderException("the JDK has no " + name, e);
    }
  }

  public static final class Sha256WithEcdsa extends KmsSignatureSpi {
    public Sha256WithEcdsa() {
      super("EC", "SHA256withECDSA", "SHA-256", "ECDSA_SHA_256");
    }
  }

  public static final class Sha384WithEcdsa extends KmsSignatureSpi {
    public Sha384WithEcdsa() {
      super("EC", "SHA384withECDSA", "SHA-384", "ECDSA_SHA_384");
    }
  }

  public static final class Sha512WithEcdsa extends KmsSignatureSpi {
    public Sha512WithEcdsa() {
      super("EC", "SHA512withECDSA", "SHA-512", "ECDSA_SHA_512");
    }
  }

  public static final class Sha256WithRsa extends KmsSignatureSpi {
    public Sha256WithRsa() {
      super("RSA", "SHA256withRSA", "SHA-256", "RSASSA_PKCS1_V1_5_SHA_256");
    }
  }

  public static final class Sha384WithRsa extends KmsSignatureSpi {
    public Sha384WithRsa() {
      super("RSA", "SHA384withRSA", "SHA-384", "RSASSA_PKCS1_V1_5_SHA_384");
    }
  }

  public static final class Sha512WithRsa extends KmsSignatureSpi {
    public Sha512WithRsa() {
      super("RSA", "SHA512withRSA", "SHA-512", "RSASSA_PKCS1_V1_5_SHA_512");
    }
  }

  /** {@code RSASSA-PSS}: the digest and signing algorithm come from the PSSParameterSpec. */
  public static final class RsaSsaPss extends KmsSignatureSpi {
    public RsaSsaPss() {
      super("RSA", "RSASSA-PSS", null, null);
    }
  }
}
