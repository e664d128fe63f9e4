package dev.coffer.jca.spi;

import dev.coffer.jca.core.AsymmetricService;
import dev.coffer.jca.core.JcaErrors;
import dev.coffer.jca.core.KeyInfo;
import dev.coffer.jca.core.KmsService;
import dev.coffer.jca.key.KmsKeyGenParameterSpec;
import dev.coffer.jca.key.KmsPrivateKey;
import dev.coffer.protocol.ErrorType;
import dev.coffer.protocol.KmsException;
import java.nio.file.Path;
import java.security.InvalidAlgorithmParameterException;
import java.security.InvalidParameterException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGeneratorSpi;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.spec.AlgorithmParameterSpec;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.RSAKeyGenParameterSpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.List;

/**
 * {@code KeyPairGenerator EC} and {@code RSA} under Coffer: {@code generateKeyPair} creates an
 * asymmetric KMS key ({@code CreateKey} with the {@code KeySpec}, default {@code KeyUsage
 * SIGN_VERIFY}), reads its public key ({@code GetPublicKey}) and returns that ordinary JDK
 * public key with a {@link KmsPrivateKey} handle. The pair is made in, and the private half
 * stays in, the daemon; the caller's {@code SecureRandom} is not used.
 *
 * <p>EC: {@code initialize(ECGenParameterSpec)} with secp256r1, secp384r1, secp521r1 or
 * secp256k1 (their KMS specs {@code ECC_NIST_P256/P384/P521}, {@code ECC_SECG_P256K1}), or
 * {@code initialize(256|384|521)} for the NIST curves; default secp256r1. RSA: {@code
 * initialize(2048|3072|4096)} or an {@code RSAKeyGenParameterSpec} with exponent 65537 (the only
 * one AWS KMS uses); default 2048. A {@link KmsKeyGenParameterSpec} afterwards adds a
 * description, tags, an alias and the key usage ({@code ENCRYPT_DECRYPT} for RSA-OAEP). Other
 * values are refused naming what is supported.
 */
public abstract class KmsKeyPairGeneratorSpi extends KeyPairGeneratorSpi {

  private final String algorithm;
  private String keySpec;
  private KmsKeyGenParameterSpec options = KmsKeyGenParameterSpec.defaults();

  KmsKeyPairGeneratorSpi(String algorithm, String defaultKeySpec) {
    this.algorithm = algorithm;
    this.keySpec = defaultKeySpec;
  }

  /** The key spec for a size, or null when AWS KMS has none. */
  abstract String keySpecForSize(int bits);

  abstract String supportedSizes();

  /** The key spec for an algorithm-specific parameter spec. */
  abstract String keySpecFor(AlgorithmParameterSpec params)
      throws InvalidAlgorithmParameterException;

  @Override
  public void initialize(int keysize, SecureRandom random) {
    String s = keySpecForSize(keysize);
    if (s == null) {
      throw new InvalidParameterException("AWS KMS has no " + algorithm + " key of " + keysize
          + " bits; supported: " + supportedSizes());
    }
    keySpec = s;
  }

  @Override
  public void initialize(AlgorithmParameterSpec params, SecureRandom random)
      throws InvalidAlgorithmParameterException {
    if (params instanceof KmsKeyGenParameterSpec o) {
      options = o;
      return;
    }
    keySpec = keySpecFor(params);
  }

  @Override
  public KeyPair generateKeyPair() {
    KmsService service = KmsService.forSocket(null);
    try {
      String usage = options.keyUsage() == null ? "SIGN_VERIFY" : options.keyUsage();
      KeyInfo k = service.createKey(keySpec, usage, options.description(), options.tags());
      if (options.alias() != null) {
        service.createAlias(options.alias(), k.keyId());
      }
      return keyPair(service, k.arn(), k.keyId(), keySpec, List.of(), null);
    } catch (KmsException e) {
      throw JcaErrors.provider(e);
    }
  }

  /**
   * The public key and private-key handle of an existing asymmetric KMS key ({@code
   * GetPublicKey}); shared with {@code KeyStore KMS}.
   */
  static KeyPair keyPair(KmsService service, String arn, String keyId, String keySpec,
      List<String> grantTokens, Path socket) {
    AsymmetricService.PublicKeyInfo p = service.asymmetric().getPublicKey(arn, grantTokens);
    PublicKey publicKey = publicKey(keySpec, p.subjectPublicKeyInfo());
    return new KeyPair(publicKey,
        KmsPrivateKey.of(arn, keyId, keySpec, publicKey, grantTokens, socket,
            p.keyUsage().isEmpty() ? null : p.keyUsage()));
  }

  private static PublicKey publicKey(String keySpec, byte[] der) {
    String jca = keySpec.startsWith("RSA_") ? "RSA" : "EC";
    try {
      return KeyFactory.getInstance(jca).generatePublic(new X509EncodedKeySpec(der));
    } catch (NoSuchAlgorithmException | InvalidKeySpecException e) {
      throw new KmsException(ErrorType.INTERNAL, "the JDK cannot read the " + keySpec
          + " public key the daemon returned: " + e.getMessage(), e);
    }
  }

  /** {@code KeyPairGenerator EC}. */
  public static final class Ec extends KmsKeyPairGeneratorSpi {
    public Ec() {
      super("EC", "ECC_NIST_P256");
    }

    @Override
    String keySpecForSize(int bits) {
      return KmsAlgorithms.eccKeySpec(bits);
    }

    @Override
    String supportedSizes() {
      return "256, 384, 521, or an ECGenParameterSpec naming " + KmsAlgorithms.SUPPORTED_CURVES;
    }

    @Override
    String keySpecFor(AlgorithmParameterSpec params) throws InvalidAlgorithmParameterException {
      if (params instanceof ECGenParameterSpec g) {
        return KmsAlgorithms.eccKeySpec(g);
      }
      throw new InvalidAlgorithmParameterException("KeyPairGenerator EC under Coffer takes an"
          + " ECGenParameterSpec (" + KmsAlgorithms.SUPPORTED_CURVES + ") or a"
          + " KmsKeyGenParameterSpec, got " + name(params));
    }
  }

  /** {@code KeyPairGenerator RSA}. */
  public static final class Rsa extends KmsKeyPairGeneratorSpi {
    public Rsa() {
      super("RSA", "RSA_2048");
    }

    @Override
    String keySpecForSize(int bits) {
      return KmsAlgorithms.rsaKeySpec(bits);
    }

    @Override
    String supportedSizes() {
      return "2048, 3072, 4096";
    }

    @Override
    String keySpecFor(AlgorithmParameterSpec params) throws InvalidAlgorithmParameterException {
      if (params instanceof RSAKeyGenParameterSpec r) {
        String s = KmsAlgorithms.rsaKeySpec(r.getKeysize());
        if (s == null || !KmsAlgorithms.RSA_EXPONENT.equals(r.getPublicExponent())) {
          throw new InvalidAlgorithmParameterException("AWS KMS RSA keys are 2048, 3072 or 4096"
              + " bits with public exponent 65537; got " + r.getKeysize() + " bits, exponent "
              + r.getPublicExponent());
        }
        return s;
      }
      throw new InvalidAlgorithmParameterException("KeyPairGenerator RSA under Coffer takes an"
          + " RSAKeyGenParameterSpec or a KmsKeyGenParameterSpec, got " + name(params));
    }
  }

  private static String name(Object o) {
    return o == null ? "null" : o.getClass().getName();
  }
}
