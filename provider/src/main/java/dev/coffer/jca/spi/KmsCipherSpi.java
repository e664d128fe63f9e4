package dev.coffer.jca.spi;

import dev.coffer.jca.core.JcaErrors;
import dev.coffer.jca.core.KmsService;
import dev.coffer.jca.key.KmsEncryptionContextSpec;
import dev.coffer.jca.key.KmsKey;
import dev.coffer.protocol.KmsException;
import java.security.AlgorithmParameters;
import java.security.InvalidAlgorithmParameterException;
import java.security.InvalidKeyException;
import java.security.Key;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.security.spec.AlgorithmParameterSpec;
import java.util.Arrays;
import java.util.Map;
import javax.crypto.BadPaddingException;
import javax.crypto.Cipher;
import javax.crypto.CipherSpi;
import javax.crypto.IllegalBlockSizeException;
import javax.crypto.NoSuchPaddingException;
import javax.crypto.ShortBufferException;
import javax.crypto.spec.SecretKeySpec;

/**
 * {@code Cipher KMS}: the daemon's own {@code Encrypt}/{@code Decrypt}, for small secrets (at
 * most 4096 bytes of plaintext, as in AWS) and for wrapping data keys ({@code WRAP_MODE} turns
 * any extractable {@code SecretKey} into a KMS ciphertext blob; {@code UNWRAP_MODE} turns it back).
 * An encryption context is given with {@link KmsEncryptionContextSpec}.
 *
 * <p>Security contract: input is buffered in this instance only until {@code doFinal} and then
 * zeroed; every cryptographic step runs in the daemon. KMS key handles cannot be wrapped.
 */
public final class KmsCipherSpi extends CipherSpi {

  static final int MAX_PLAINTEXT = 4096;
  static final int MAX_CIPHERTEXT = 6144;

  private int mode;
  private KmsKey key;
  private Map<String, String> context = Map.of();
  private byte[] buf = new byte[0];
  private int bufLen;
  private boolean tooLong;

  @Override
  protected void engineSetMode(String m) throws NoSuchAlgorithmException {
    throw new NoSuchAlgorithmException("Cipher KMS has no modes");
  }

  @Override
  protected void engineSetPadding(String padding) throws NoSuchPaddingException {
    throw new NoSuchPaddingException("Cipher KMS has no padding");
  }

  @Override
  protected int engineGetBlockSize() {
    return 0;
  }

  @Override
  protected int engineGetOutputSize(int inputLen) {
    long n = (long) bufLen + inputLen;
    // Encrypt adds the blob header and tag (65 bytes in blob format 1); leave room for growth.
    return (int) Math.min(Integer.MAX_VALUE, mode == Cipher.ENCRYPT_MODE ? n + 2048 : n);
  }

  @Override
  protected byte[] engineGetIV() {
    return null;
  }

  @Override
  protected AlgorithmParameters engineGetParameters() {
    return null;
  }

  @Override
  protected void engineInit(int opmode, Key k, SecureRandom random) throws InvalidKeyException {
    init(opmode, k, KmsEncryptionContextSpec.empty());
  }

  @Override
  protected void engineInit(int opmode, Key k, AlgorithmParameterSpec params, SecureRandom random)
      throws InvalidKeyException, InvalidAlgorithmParameterException {
    if (params != null && !(params instanceof KmsEncryptionContextSpec)) {
      throw new InvalidAlgorithmParameterException(
          "Cipher KMS takes a KmsEncryptionContextSpec, got " + params.getClass().getName());
    }
    init(opmode, k,
        params == null ? KmsEncryptionContextSpec.empty() : (KmsEncryptionContextSpec) params);
  }

  @Override
  protected void engineInit(int opmode, Key k, AlgorithmParameters params, SecureRandom random)
      throws InvalidKeyException, InvalidAlgorithmParameterException {
    if (params != null) {
      throw new InvalidAlgorithmParameterException(
          "Cipher KMS takes its encryption context as a KmsEncryptionContextSpec");
    }
    init(opmode, k, KmsEncryptionContextSpec.empty());
  }

  private void init(int opmode, Key k, KmsEncryptionContextSpec spec) throws InvalidKeyException {
    this.key = Handles.requireEncryptionKey(k);
    this.mode = opmode;
    this.context = spec.context();
    clear();
  }

  private void clear() {
    Arrays.fill(buf, (byte) 0);
    bufLen = 0;
    tooLong = false;
  }

  private int limit() {
    return mode == Cipher.ENCRYPT_MODE ? MAX_PLAINTEXT : MAX_CIPHERTEXT;
  }

  private void append(byte[] in, int off, int len) {
    if (in == null || len <= 0 || tooLong) {
      return;
    }
    if ((long) bufLen + len > limit()) {
      tooLong = true; // refused at doFinal; no need to keep it
      return;
    }
    if (bufLen + len > buf.length) {
      byte[] bigger = Arrays.copyOf(buf, Math.max(bufLen + len, Math.min(limit(), buf.length * 2)));
      Arrays.fill(buf, (byte) 0);
      buf = bigger;
    }
    System.arraycopy(in, off, buf, bufLen, len);
    bufLen += len;
  }

  private void checkMode(int expected1, int expected2) {
    if (key == null) {
      throw new IllegalStateException("Cipher not initialized");
    }
    if (mode != expected1 && mode != expected2) {
      throw new IllegalStateException("not initialized for this operation");
    }
  }

  @Override
  protected byte[] engineUpdate(byte[] input, int offset, int len) {
    checkMode(Cipher.ENCRYPT_MODE, Cipher.DECRYPT_MODE);
    append(input, offset, len);
    return new byte[0];
  }

  @Override
  protected int engineUpdate(byte[] input, int offset, int len, byte[] output, int outOff) {
    checkMode(Cipher.ENCRYPT_MODE, Cipher.DECRYPT_MODE);
    append(input, offset, len);
    return 0;
  }

  @Override
  protected byte[] engineDoFinal(byte[] input, int offset, int len)
      throws IllegalBlockSizeException, BadPaddingException {
    checkMode(Cipher.ENCRYPT_MODE, Cipher.DECRYPT_MODE);
    append(input, offset, len);
    try {
      if (tooLong) {
        throw new IllegalBlockSizeException(
            mode == Cipher.ENCRYPT_MODE
                ? "Cipher KMS encrypts at most 4096 bytes (the AWS KMS Encrypt limit); use "
                    + "AES/GCM/NoPadding with the KMS key for larger data"
                : "a KMS ciphertext blob is at most 6144 bytes");
      }
      byte[] data = Arrays.copyOf(buf, bufLen);
      try {
        KmsService service = Handles.service(key);
        if (mode == Cipher.ENCRYPT_MODE) {
          return service.encrypt(key.arn(), data, context, key.grantTokens());
        }
        return service.decrypt(data, key.arn(), context, key.grantTokens()).plaintext();
      } catch (KmsException e) {
        throw JcaErrors.cipher(e);
      } finally {
        Arrays.fill(data, (byte) 0);
      }
    } finally {
      clear();
    }
  }

  @Override
  protected int engineDoFinal(byte[] input, int offset, int len, byte[] output, int outOff)
      throws ShortBufferException, IllegalBlockSizeException, BadPaddingException {
    return CipherOutput.copyAndZero(engineDoFinal(input, offset, len), output, outOff);
  }

  @Override
  protected byte[] engineWrap(Key k) throws IllegalBlockSizeException, InvalidKeyException {
    checkMode(Cipher.WRAP_MODE, Cipher.WRAP_MODE);
    if (k instanceof KmsKey) {
      throw new InvalidKeyException("a KMS key never leaves the daemon and cannot be wrapped");
    }
    byte[] encoded = k == null ? null : k.getEncoded();
    if (encoded == null) {
      throw new InvalidKeyException("only keys with an encoding can be wrapped");
    }
    try {
      if (encoded.length > MAX_PLAINTEXT) {
        throw new IllegalBlockSizeException("a wrapped key is at most 4096 bytes");
      }
      return Handles.service(key).encrypt(key.arn(), encoded, context, key.grantTokens());
    } catch (KmsException e) {
      throw JcaErrors.invalidKey(e);
    } finally {
      Arrays.fill(encoded, (byte) 0);
    }
  }

  @Override
  protected Key engineUnwrap(byte[] wrapped, String algorithm, int type)
      throws InvalidKeyException, NoSuchAlgorithmException {
    checkMode(Cipher.UNWRAP_MODE, Cipher.UNWRAP_MODE);
    if (type != Cipher.SECRET_KEY) {
      throw new InvalidKeyException("Cipher KMS unwraps secret keys only");
    }
    if (algorithm == null || algorithm.isEmpty()) {
      throw new NoSuchAlgorithmException("a key algorithm is required");
    }
    if (wrapped == null || wrapped.length == 0 || wrapped.length > MAX_CIPHERTEXT) {
      throw new InvalidKeyException("not a KMS ciphertext blob");
    }
    byte[] plain = null;
    try {
      plain = Handles.service(key).decrypt(wrapped, key.arn(), context, key.grantTokens())
          .plaintext();
      return new SecretKeySpec(plain, algorithm);
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
    Handles.require(k);
    return 256;
  }
}
