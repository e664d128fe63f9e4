package dev.coffer.esdk;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * AES-256-GCM for one message: the header tag and each frame.
 *
 * <ul>
 *   <li>Header tag (ESDK spec, client-apis/encrypt.md "Construct the header"): IV all zero,
 *       AAD the header body, empty plaintext.
 *   <li>Frame (data-format/message-body.md, message-body-aad.md): IV the sequence number as a
 *       big-endian 12-byte value; AAD = message ID (32) || "AWSKMSEncryptionClient Frame" or
 *       "AWSKMSEncryptionClient Final Frame" || sequence number (UInt32) || plaintext length
 *       (UInt64).
 * </ul>
 */
final class FrameCipher {

  private static final byte[] FRAME = "AWSKMSEncryptionClient Frame"
      .getBytes(StandardCharsets.UTF_8);
  private static final byte[] FINAL_FRAME = "AWSKMSEncryptionClient Final Frame"
      .getBytes(StandardCharsets.UTF_8);
  private static final int TAG_BITS = AlgorithmSuite.TAG_BYTES * 8;

  private final Cipher cipher;
  private final SecretKeySpec key;
  private final byte[] iv = new byte[AlgorithmSuite.IV_BYTES];
  private final byte[] frameAad;
  private final byte[] finalAad;

  FrameCipher(SecretKeySpec key, byte[] messageId) {
    this.key = key;
    frameAad = aadTemplate(messageId, FRAME);
    finalAad = aadTemplate(messageId, FINAL_FRAME);
    try {
      cipher = Cipher.getInstance("AES/GCM/NoPadding");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES/GCM/NoPadding is missing from this JDK", e);
    }
  }

  /** The 16-byte header authentication tag over {@code headerBody}. */
  byte[] headerTag(byte[] headerBody) {
    try {
      cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, new byte[12]));
      cipher.updateAAD(headerBody);
      return cipher.doFinal();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM failed", e);
    }
  }

  /** Verifies the header tag; throws with a clear cause when it does not match. */
  void verifyHeaderTag(byte[] headerBody, byte[] tag) throws BadCiphertextException {
    try {
      cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, new byte[12]));
      cipher.updateAAD(headerBody);
      cipher.doFinal(tag);
    } catch (AEADBadTagException e) {
      throw new BadCiphertextException("the header's authentication tag does not verify: the"
          + " header was altered");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM failed", e);
    }
  }

  /** The IV of frame {@code seq}, written into {@code out} at {@code at}. */
  static void writeIv(long seq, byte[] out, int at) {
    java.util.Arrays.fill(out, at, at + 8, (byte) 0);
    MessageEncryptor.writeInt(out, at + 8, (int) seq);
  }

  /**
   * Encrypts {@code len} plaintext bytes as frame {@code seq} into {@code out} at {@code outAt}:
   * ciphertext then tag ({@code len + 16} bytes).
   */
  void seal(long seq, boolean last, byte[] in, int inAt, int len, byte[] out, int outAt) {
    try {
      init(Cipher.ENCRYPT_MODE, seq, last, len);
      cipher.doFinal(in, inAt, len, out, outAt);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM failed", e);
    }
  }

  /**
   * Decrypts frame {@code seq} (ciphertext and tag, {@code len + 16} bytes at {@code inAt}) into
   * {@code out} at {@code outAt}; returns the plaintext length.
   *
   * @throws BadCiphertextException when the tag does not verify
   */
  int open(long seq, boolean last, byte[] in, int inAt, int len, byte[] out, int outAt)
      throws BadCiphertextException {
    try {
      init(Cipher.DECRYPT_MODE, seq, last, len);
      return cipher.doFinal(in, inAt, len + AlgorithmSuite.TAG_BYTES, out, outAt);
    } catch (AEADBadTagException e) {
      throw new BadCiphertextException("frame " + seq + " does not authenticate: the message"
          + " was altered (or frames were reordered)");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM failed", e);
    }
  }

  /**
   * One {@code init} per frame is the floor the JCA allows: a GCM {@code Cipher} takes a new IV
   * only through {@code init}, and the IV's 12 bytes are the spec's, so the parameter object is
   * the only allocation here. The AAD is the per-message template with its last 12 bytes (the
   * sequence number and length) overwritten in place.
   */
  private void init(int mode, long seq, boolean last, int plaintextLength)
      throws GeneralSecurityException {
    iv[8] = (byte) (seq >>> 24);
    iv[9] = (byte) (seq >>> 16);
    iv[10] = (byte) (seq >>> 8);
    iv[11] = (byte) seq;
    cipher.init(mode, key, new GCMParameterSpec(TAG_BITS, iv));
    byte[] aad = last ? finalAad : frameAad;
    int at = aad.length - 12;
    MessageEncryptor.writeInt(aad, at, (int) seq);
    MessageEncryptor.writeInt(aad, at + 4, 0); // the UInt64 length's high half: frames < 2^31
    MessageEncryptor.writeInt(aad, at + 8, plaintextLength);
    cipher.updateAAD(aad);
  }

  /** Body AAD with the message ID and content string in place; seq and length vary per frame. */
  private static byte[] aadTemplate(byte[] messageId, byte[] content) {
    byte[] aad = new byte[messageId.length + content.length + 12];
    System.arraycopy(messageId, 0, aad, 0, messageId.length);
    System.arraycopy(content, 0, aad, messageId.length, content.length);
    return aad;
  }
}
