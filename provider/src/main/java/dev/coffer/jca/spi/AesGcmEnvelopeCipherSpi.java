package dev.coffer.jca.spi;

import dev.coffer.jca.core.DataKeyCaches;
import dev.coffer.jca.core.EnvelopeDecryptor;
import dev.coffer.jca.core.EnvelopeEncryptor;
import dev.coffer.jca.core.JcaErrors;
import dev.coffer.jca.core.Segments;
import dev.coffer.jca.key.KmsKey;
import dev.coffer.protocol.KmsException;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.InvalidAlgorithmParameterException;
import java.security.InvalidKeyException;
import java.security.Key;
import java.security.NoSuchAlgorithmException;
import java.security.ProviderException;
import java.security.SecureRandom;
import java.security.spec.AlgorithmParameterSpec;
import java.security.spec.InvalidParameterSpecException;
import java.util.Arrays;
import javax.crypto.AEADBadTagException;
import javax.crypto.BadPaddingException;
import javax.crypto.Cipher;
import javax.crypto.CipherSpi;
import javax.crypto.IllegalBlockSizeException;
import javax.crypto.NoSuchPaddingException;
import javax.crypto.ShortBufferException;
import javax.crypto.spec.GCMParameterSpec;

/**
 * {@code Cipher AES/GCM/NoPadding} for KMS key handles: envelope encryption (see {@code
 * docs/envelope-format.md}). The JCE contract is SunJCE's: caller IVs through {@link
 * GCMParameterSpec} (128-bit tags only), {@code updateAAD} before any data, otherwise an IV the
 * provider picks, unique under its key (read back with {@code getIV()}/{@code getParameters()};
 * it is a masked per-session counter, not a random draw), re-initialisation required after an
 * encryption, and {@link AEADBadTagException} for any tampering. Decryption needs no parameters:
 * the IV travels in the header (if the caller gives one, it must match).
 *
 * <p>Security contract: no AES key ever sees the same nonce twice, whatever IVs the caller
 * passes (a caller IV gets a per-message key, envelope version 1; a provider IV is a session
 * counter, version 2); every header byte is authenticated; plaintext of a segment is released
 * only after its tag verified; on
 * failure the output of the failing call is zeroed. Daemon errors during {@code update} are held
 * back and thrown by {@code doFinal}, whose signature allows checked exceptions.
 */
public final class AesGcmEnvelopeCipherSpi extends CipherSpi {

  private static final int TAG_BITS = 128;

  static {
    // An application that asks for the envelope cipher will encrypt: get the JIT going now.
    Segments.warmUpInBackground();
  }

  private int mode;
  private KmsKey key;
  private byte[] iv;
  private SecureRandom random;
  private EnvelopeEncryptor encryptor;
  private EnvelopeDecryptor decryptor;
  // Kept across init()s so its buffers and last data key serve the next message.
  private EnvelopeDecryptor spareDecryptor;
  private boolean mustReinit;
  private BadPaddingException pending;
  private KmsKey lastEncryptKey;
  private byte[] lastEncryptIv;

  @Override
  protected void engineSetMode(String m) throws NoSuchAlgorithmException {
    if (!"GCM".equalsIgnoreCase(m)) {
      throw new NoSuchAlgorithmException("only GCM mode: " + m);
    }
  }

  @Override
  protected void engineSetPadding(String padding) throws NoSuchPaddingException {
    if (!"NoPadding".equalsIgnoreCase(padding)) {
      throw new NoSuchPaddingException("only NoPadding: " + padding);
    }
  }

  @Override
  protected int engineGetBlockSize() {
    return 16;
  }

  @Override
  protected int engineGetOutputSize(int inputLen) {
    checkInitialized();
    return encryptor != null
        ? encryptor.finishOutputSize(inputLen)
        : decryptor.finishOutputSize(inputLen);
  }

  @Override
  protected byte[] engineGetIV() {
    if (decryptor != null) {
      byte[] v = decryptor.iv();
      return v == null ? null : v.clone();
    }
    return iv == null ? null : iv.clone();
  }

  @Override
  protected AlgorithmParameters engineGetParameters() {
    byte[] v = engineGetIV();
    if (v == null) {
      return null;
    }
    try {
      AlgorithmParameters p = AlgorithmParameters.getInstance("GCM");
      p.init(new GCMParameterSpec(TAG_BITS, v));
      return p;
    } catch (GeneralSecurityException e) {
      throw new ProviderException("cannot encode GCM parameters", e);
    }
  }

  @Override
  protected void engineInit(int opmode, Key k, SecureRandom sr) throws InvalidKeyException {
    try {
      init(opmode, k, null, sr);
    } catch (InvalidAlgorithmParameterException e) {
      throw new InvalidKeyException(e.getMessage(), e);
    }
  }

  @Override
  protected void engineInit(int opmode, Key k, AlgorithmParameterSpec params, SecureRandom sr)
      throws InvalidKeyException, InvalidAlgorithmParameterException {
    if (params != null && !(params instanceof GCMParameterSpec)) {
      throw new InvalidAlgorithmParameterException(
          "AES/GCM takes a GCMParameterSpec, got " + params.getClass().getName());
    }
    init(opmode, k, (GCMParameterSpec) params, sr);
  }

  @Override
  protected void engineInit(int opmode, Key k, AlgorithmParameters params, SecureRandom sr)
      throws InvalidKeyException, InvalidAlgorithmParameterException {
    GCMParameterSpec spec = null;
    if (params != null) {
      try {
        spec = params.getParameterSpec(GCMParameterSpec.class);
      } catch (InvalidParameterSpecException e) {
        throw new InvalidAlgorithmParameterException("GCM parameters expected", e);
      }
    }
    init(opmode, k, spec, sr);
  }

  private void init(int opmode, Key k, GCMParameterSpec spec, SecureRandom sr)
      throws InvalidKeyException, InvalidAlgorithmParameterException {
    if (opmode != Cipher.ENCRYPT_MODE && opmode != Cipher.DECRYPT_MODE) {
      throw new InvalidKeyException(
          "AES/GCM with a KMS key encrypts and decrypts; wrap keys with Cipher \"KMS\"");
    }
    KmsKey handle = Handles.requireEncryptionKey(k);
    byte[] callerIv = null;
    if (spec != null) {
      if (spec.getTLen() != TAG_BITS) {
        throw new InvalidAlgorithmParameterException("only 128-bit GCM tags are supported");
      }
      callerIv = spec.getIV();
      if (callerIv.length < 1 || callerIv.length > 64) {
        throw new InvalidAlgorithmParameterException("GCM IV must be 1..64 bytes");
      }
    }
    SecureRandom rnd = sr != null ? sr : new SecureRandom();
    reset();
    if (opmode == Cipher.ENCRYPT_MODE) {
      if (callerIv != null
          && handle.equals(lastEncryptKey)
          && Arrays.equals(callerIv, lastEncryptIv)) {
        throw new InvalidAlgorithmParameterException("Cannot reuse iv for GCM encryption");
      }
      try {
        // A null IV lets the envelope pick a unique one (format version 2).
        encryptor =
            EnvelopeEncryptor.start(
                Handles.service(handle),
                DataKeyCaches.shared(),
                handle.arn(),
                handle.grantTokens(),
                callerIv,
                rnd);
      } catch (KmsException e) {
        throw JcaErrors.invalidKey(e);
      }
      iv = encryptor.iv();
      lastEncryptKey = handle;
      lastEncryptIv = iv;
    } else {
      iv = callerIv;
      decryptor = newDecryptor(handle, callerIv);
    }
    mode = opmode;
    key = handle;
    random = rnd;
  }

  private EnvelopeDecryptor newDecryptor(KmsKey handle, byte[] callerIv) {
    if (spareDecryptor == null) {
      spareDecryptor = new EnvelopeDecryptor(
          Handles.service(handle),
          DataKeyCaches.shared(),
          handle.arn(),
          handle.grantTokens(),
          callerIv);
    } else {
      spareDecryptor.reinit(
          Handles.service(handle), handle.arn(), handle.grantTokens(), callerIv);
    }
    return spareDecryptor;
  }

  private void reset() {
    encryptor = null;
    decryptor = null;
    mustReinit = false;
    pending = null;
    iv = null;
  }

  private void checkInitialized() {
    if (encryptor == null && decryptor == null) {
      throw new IllegalStateException("Cipher not initialized");
    }
    if (mustReinit) {
      throw new IllegalStateException("Must use either different key or iv for GCM encryption");
    }
  }

  @Override
  protected void engineUpdateAAD(byte[] src, int offset, int len) {
    checkInitialized();
    if (encryptor != null) {
      if (encryptor.started()) {
        throw new IllegalStateException("AAD must be supplied before encryption/decryption starts");
      }
      encryptor.updateAad(src, offset, len);
    } else {
      if (decryptor.started()) {
        throw new IllegalStateException("AAD must be supplied before encryption/decryption starts");
      }
      decryptor.updateAad(src, offset, len);
    }
  }

  @Override
  protected byte[] engineUpdate(byte[] input, int offset, int len) {
    checkInitialized();
    int size = encryptor != null ? encryptor.updateOutputSize(len) : decryptor.updateOutputSize(len);
    byte[] out = new byte[size];
    int n = update(input, offset, len, out, 0);
    return n == out.length ? out : Arrays.copyOf(out, n);
  }

  @Override
  protected int engineUpdate(byte[] input, int offset, int len, byte[] output, int outOff)
      throws ShortBufferException {
    checkInitialized();
    int size = encryptor != null ? encryptor.updateOutputSize(len) : decryptor.updateOutputSize(len);
    if (output == null || output.length - outOff < size) {
      throw new ShortBufferException("output buffer too short: need " + size + " bytes");
    }
    return update(input, offset, len, output, outOff);
  }

  private int update(byte[] input, int offset, int len, byte[] output, int outOff) {
    if (input == null || len == 0) {
      input = new byte[0];
      offset = 0;
      len = 0;
    }
    if (input == output) {
      input = Arrays.copyOfRange(input, offset, offset + len);
      offset = 0;
    }
    if (encryptor != null) {
      return encryptor.update(input, offset, len, output, outOff);
    }
    if (pending != null) {
      return 0;
    }
    try {
      return decryptor.update(input, offset, len, output, outOff);
    } catch (AEADBadTagException e) {
      pending = e;
    } catch (KmsException e) {
      pending = JcaErrors.cipher(e);
    }
    return 0;
  }

  @Override
  protected byte[] engineDoFinal(byte[] input, int offset, int len)
      throws IllegalBlockSizeException, BadPaddingException {
    checkInitialized();
    if (decryptor != null && pending == null && input != null) {
      byte[] whole = decryptWhole(input, offset, len);
      if (whole != null) {
        return whole;
      }
    }
    byte[] out = new byte[finalOutputSize(input, offset, len)];
    int n;
    try {
      n = doFinal(input, offset, len, out, 0);
    } catch (ShortBufferException e) {
      throw new ProviderException("output size miscalculated", e);
    }
    return n == out.length ? out : Arrays.copyOf(out, n);
  }

  // A one-shot decrypt of a one-segment message (up to 64 KiB), or null for doFinal to take.
  private byte[] decryptWhole(byte[] input, int offset, int len) throws BadPaddingException {
    boolean consumed = true; // unless finishWhole declines: then doFinal takes the message
    try {
      byte[] plaintext = decryptor.finishWhole(input, offset, len);
      consumed = plaintext != null;
      return plaintext;
    } catch (KmsException e) {
      throw JcaErrors.cipher(e);
    } finally {
      if (consumed) {
        // Ready for the next message with the same key and parameters, as SunJCE is.
        decryptor.reset();
      }
    }
  }

  @Override
  protected int engineDoFinal(byte[] input, int offset, int len, byte[] output, int outOff)
      throws ShortBufferException, IllegalBlockSizeException, BadPaddingException {
    checkInitialized();
    int size = finalOutputSize(input, offset, len);
    if (output == null || output.length - outOff < size) {
      throw new ShortBufferException("output buffer too short: need " + size + " bytes");
    }
    return doFinal(input, offset, len, output, outOff);
  }

  // Exact for a one-shot decrypt (the header is at hand), so no second output array is needed.
  private int finalOutputSize(byte[] input, int offset, int len) {
    if (input == null) {
      return engineGetOutputSize(0);
    }
    return encryptor != null
        ? encryptor.finishOutputSize(len)
        : decryptor.finishOutputSize(input, offset, len);
  }

  private int doFinal(byte[] input, int offset, int len, byte[] output, int outOff)
      throws BadPaddingException, ShortBufferException {
    if (input == null || len == 0) {
      input = new byte[0];
      offset = 0;
      len = 0;
    }
    if (input == output) {
      input = Arrays.copyOfRange(input, offset, offset + len);
      offset = 0;
    }
    if (encryptor != null) {
      int n = encryptor.finish(input, offset, len, output, outOff);
      mustReinit = true;
      return n;
    }
    BadPaddingException failure = pending;
    pending = null;
    try {
      if (failure != null) {
        throw failure;
      }
      return decryptor.finish(input, offset, len, output, outOff);
    } catch (KmsException e) {
      throw JcaErrors.cipher(e);
    } finally {
      // Ready for the next message with the same key and parameters, as SunJCE is.
      decryptor.reset();
    }
  }

  @Override
  protected int engineGetKeySize(Key k) throws InvalidKeyException {
    Handles.require(k);
    return 256;
  }
}
