package dev.coffer.jca.spi;

import dev.coffer.jca.core.JcaErrors;
import dev.coffer.jca.key.KmsRsaPrivateKey;
import dev.coffer.protocol.KmsException;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.InvalidAlgorithmParameterException;
import java.security.InvalidKeyException;
import java.security.Key;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.security.spec.AlgorithmParameterSpec;
import java.security.spec.InvalidParameterSpecException;
import java.security.spec.MGF1ParameterSpec;
import java.util.Arrays;
import javax.crypto.BadPaddingException;
import javax.crypto.Cipher;
import javax.crypto.CipherSpi;
import javax.crypto.IllegalBlockSizeException;
import javax.crypto.NoSuchPaddingException;
import javax.crypto.ShortBufferException;
import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PSource;

/**
 * {@code Cipher RSA/ECB/OAEPWithSHA-1AndMGF1Padding} and {@code
 * RSA/ECB/OAEPWithSHA-256AndMGF1Padding} under Coffer, with a {@link KmsRsaPrivateKey} of an
 * {@code ENCRYPT_DECRYPT} RSA KMS key: {@code DECRYPT_MODE} and {@code UNWRAP_MODE} are one
 * asymmetric {@code Decrypt} in the daemon ({@code EncryptionAlgorithm RSAES_OAEP_SHA_1} or
 * {@code RSAES_OAEP_SHA_256}); {@code ENCRYPT_MODE} and {@code WRAP_MODE} with the handle
 * encrypt in this JVM with its public key through the JDK.
 *
 * <p>The parameters are AWS's: the OAEP digest and MGF1 digest are the same (SHA-1, or SHA-256
 * for both), empty label (KMS API reference, {@code EncryptionAlgorithmSpec}). Note the JDK's
 * own {@code OAEPWithSHA-256AndMGF1Padding} defaults to MGF1 with SHA-1, so a JDK encrypter must
 * pass {@code new OAEPParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256,
 * PSource.PSpecified.DEFAULT)}; other parameter sets are refused here with {@link
 * InvalidAlgorithmParameterException}.
 */
public abstract class KmsRsaOaepCipherSpi extends CipherSpi {

  private final OAEPParameterSpec awsParams;
  private final String encryptionAlgorithm;
  private int mode;
  private KmsRsaPrivateKey key;
  /** In ENCRYPT/WRAP mode: the JDK cipher with the public key. */
  private Cipher local;
  private byte[] buf = new byte[0];
  private int len;

  KmsRsaOaepCipherSpi(String digest, MGF1ParameterSpec mgf, String encryptionAlgorithm) {
    this.awsParams = new OAEPParameterSpec(digest, "MGF1", mgf, PSource.PSpecified.DEFAULT);
    this.encryptionAlgorithm = encryptionAlgorithm;
  }

  @Override
  protected void engineSetMode(String m) throws NoSuchAlgorithmException {
    if (!"ECB".equalsIgnoreCase(m) && !"NONE".equalsIgnoreCase(m)) {
      throw new NoSuchAlgorithmException("RSA under Coffer has mode ECB only, not " + m);
    }
  }

  @Override
  protected void engineSetPadding(String padding) throws NoSuchPaddingException {
    throw new NoSuchPaddingException("the padding is part of the transformation name");
  }

  @Override
  protected int engineGetBlockSize() {
    return 0;
  }

  @Override
  protected int engineGetOutputSize(int inputLen) {
    return key == null ? inputLen : (key.getModulus().bitLength() + 7) / 8;
  }

  @Override
  protected byte[] engineGetIV() {
    return null;
  }

  @Override
  protected AlgorithmParameters engineGetParameters() {
    try {
      AlgorithmParameters p = AlgorithmParameters.getInstance("OAEP");
      p.init(awsParams);
      return p;
    } catch (NoSuchAlgorithmException | InvalidParameterSpecException e) {
      return null;
    }
  }

  @Override
  protected void engineInit(int opmode, Key k, SecureRandom random) throws InvalidKeyException {
    try {
      engineInit(opmode, k, (AlgorithmParameterSpec) null, random);
    } catch (InvalidAlgorithmParameterException e) {
      throw new InvalidKeyException(e.getMessage(), e);
    }
  }

  @Override
  protected void engineInit(int opmode, Key k, AlgorithmParameters params, SecureRandom random)
      throws InvalidKeyException, InvalidAlgorithmParameterException {
    try {
      engineInit(opmode, k,
          params == null ? null : params.getParameterSpec(OAEPParameterSpec.class), random);
    } catch (InvalidParameterSpecException e) {
      throw new InvalidAlgorithmParameterException("expected OAEP parameters", e);
    }
  }

  @Override
  protected void engineInit(int opmode, Key k, AlgorithmParameterSpec params, SecureRandom random)
      throws InvalidKeyException, InvalidAlgorithmParameterException {
    KmsRsaPrivateKey handle = (KmsRsaPrivateKey) Handles.requirePrivate(k, "RSA");
    if (handle.keyUsage() != null && !"ENCRYPT_DECRYPT".equals(handle.keyUsage())) {
      // AWS refuses Decrypt with such a key (InvalidKeyUsageException); encrypting under its
      // public key here would make a ciphertext no one can decrypt, so both modes refuse.
      throw new InvalidKeyException(handle.arn() + " is an RSA key of KeyUsage "
          + handle.keyUsage() + "; RSA-OAEP needs a key of KeyUsage ENCRYPT_DECRYPT");
    }
    if (params != null && !sameAsAws(params)) {
      throw new InvalidAlgorithmParameterException("AWS KMS decrypts " + encryptionAlgorithm
          + " only: OAEP digest " + awsParams.getDigestAlgorithm() + ", MGF1 with "
          + ((MGF1ParameterSpec) awsParams.getMGFParameters()).getDigestAlgorithm()
          + ", empty label");
    }
    local = null;
    if (opmode == Cipher.ENCRYPT_MODE || opmode == Cipher.WRAP_MODE) {
      try {
        Cipher c = Cipher.getInstance("RSA/ECB/OAEPPadding");
        c.init(opmode, handle.publicKey(), awsParams, random);
        local = c;
      } catch (GeneralSecurityException e) {
        throw new InvalidKeyException("the JDK cannot encrypt with the public key: " + e, e);
      }
    } else if (opmode != Cipher.DECRYPT_MODE && opmode != Cipher.UNWRAP_MODE) {
      throw new InvalidKeyException("unknown cipher mode " + opmode);
    }
    mode = opmode;
    key = handle;
    clear();
  }

  private boolean sameAsAws(AlgorithmParameterSpec params) {
    return params instanceof OAEPParameterSpec p
        && normal(p.getDigestAlgorithm()).equals(normal(awsParams.getDigestAlgorithm()))
        && "MGF1".equalsIgnoreCase(p.getMGFAlgorithm())
        && p.getMGFParameters() instanceof MGF1ParameterSpec m
        && normal(m.getDigestAlgorithm()).equals(normal(awsParams.getDigestAlgorithm()))
        && p.getPSource() instanceof PSource.PSpecified s && s.getValue().length == 0;
  }

  private static String normal(String digest) {
    return digest.toUpperCase(java.util.Locale.ROOT).replace("-", "");
  }

  private void clear() {
    Arrays.fill(buf, (byte) 0);
    buf = new byte[0];
    len = 0;
  }

  private void append(byte[] in, int off, int n) {
    if (in == null || n <= 0) {
      return;
    }
    byte[] bigger = Arrays.copyOf(buf, len + n);
    Arrays.fill(buf, (byte) 0);
    System.arraycopy(in, off, bigger, len, n);
    buf = bigger;
    len += n;
  }

  @Override
  protected byte[] engineUpdate(byte[] input, int offset, int n) {
    requireInit();
    if (local != null) {
      return local.update(input, offset, n);
    }
    append(input, offset, n);
    return new byte[0];
  }

  @Override
  protected int engineUpdate(byte[] input, int offset, int n, byte[] output, int outOff)
      throws ShortBufferException {
    requireInit();
    if (local != null) {
      return local.update(input, offset, n, output, outOff);
    }
    append(input, offset, n);
    return 0;
  }

  private void requireInit() {
    if (key == null) {
      throw new IllegalStateException("Cipher not initialized");
    }
  }

  @Override
  protected byte[] engineDoFinal(byte[] input, int offset, int n)
      throws IllegalBlockSizeException, BadPaddingException {
    requireInit();
    if (local != null) {
      return local.doFinal(input, offset, n);
    }
    append(input, offset, n);
    byte[] ciphertext = Arrays.copyOf(buf, len);
    clear();
    if (ciphertext.length != (key.getModulus().bitLength() + 7) / 8) {
      throw new IllegalBlockSizeException("an RSA-OAEP ciphertext of " + key.keySpec() + " is "
          + (key.getModulus().bitLength() + 7) / 8 + " bytes, got " + ciphertext.length);
    }
    try {
      return Handles.service(key).asymmetric().decrypt(
          key.arn(), ciphertext, encryptionAlgorithm, key.grantTokens());
    } catch (KmsException e) {
      throw JcaErrors.rsaDecrypt(e);
    }
  }

  @Override
  protected int engineDoFinal(byte[] input, int offset, int n, byte[] output, int outOff)
      throws ShortBufferException, IllegalBlockSizeException, BadPaddingException {
    return CipherOutput.copyAndZero(engineDoFinal(input, offset, n), output, outOff);
  }

  @Override
  protected byte[] engineWrap(Key k) throws IllegalBlockSizeException, InvalidKeyException {
    if (local == null || mode != Cipher.WRAP_MODE) {
      throw new IllegalStateException("Cipher not initialized for wrapping");
    }
    return local.wrap(k);
  }

  @Override
  protected Key engineUnwrap(byte[] wrapped, String algorithm, int type)
      throws InvalidKeyException, NoSuchAlgorithmException {
    if (key == null || mode != Cipher.UNWRAP_MODE) {
      throw new IllegalStateException("Cipher not initialized for unwrapping");
    }
    if (type != Cipher.SECRET_KEY) {
      throw new InvalidKeyException("RSA-OAEP under Coffer unwraps secret keys only");
    }
    byte[] plain = null;
    try {
      plain = Handles.service(key).asymmetric().decrypt(
          key.arn(), wrapped, encryptionAlgorithm, key.grantTokens());
      return new javax.crypto.spec.SecretKeySpec(plain, algorithm);
    } catch (KmsException e) {
      throw JcaErrors.invalidKey(e);
    } finally {
      if (plain != null) {
        Arrays.fill(plain, (byte) 0);
      }
    }
  }

  @Override
  protected int engineGetKeySize(Key k) throws InvalidKeyException {
    return ((KmsRsaPrivateKey) Handles.requirePrivate(k, "RSA")).getModulus().bitLength();
  }

  /** {@code RSA/ECB/OAEPWithSHA-1AndMGF1Padding}: {@code RSAES_OAEP_SHA_1}. */
  public static final class Sha1 extends KmsRsaOaepCipherSpi {
    public Sha1() {
      super("SHA-1", MGF1ParameterSpec.SHA1, "RSAES_OAEP_SHA_1");
    }
  }

  /** {@code RSA/ECB/OAEPWithSHA-256AndMGF1Padding}: {@code RSAES_OAEP_SHA_256}. */
  public static final class Sha256 extends KmsRsaOaepCipherSpi {
    public Sha256() {
      super("SHA-256", MGF1ParameterSpec.SHA256, "RSAES_OAEP_SHA_256");
    }
  }
}
