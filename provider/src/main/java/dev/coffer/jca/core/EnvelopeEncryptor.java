package dev.coffer.jca.core;

import static dev.coffer.jca.core.EnvelopeHeader.SEGMENT_SIZE;
import static dev.coffer.jca.core.EnvelopeHeader.TAG_SIZE;

import java.security.GeneralSecurityException;
import java.security.ProviderException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.List;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;

/**
 * Encrypts one message into the envelope format: header, then AES-GCM segments of 64 KiB
 * plaintext. With a caller IV (version 1) the segment key is derived per message from the data
 * key and the whole header, so a caller reusing an IV under a cached data key still never reuses
 * a (key, nonce) pair. With a provider-chosen IV (version 2) the segment key is the data key's
 * current session key, derived from the data key and the whole header but the IV, and the IV is
 * that session's next counter value (see {@link DataKey#nextMessage}). A segment is
 * written as non-final only once more input is known to follow, so the final flag in its nonce
 * is always right; that costs at most one segment of buffering.
 *
 * <p>Not thread-safe; one message per instance.
 */
public final class EnvelopeEncryptor {

  private final EnvelopeHeader header;
  private final MessageKey messageKey;
  private final byte[] baseNonce;
  private final byte[] nonce = new byte[12];
  private final DataKeyCaches caches;
  private final DataKey dataKey;
  private byte[] aad;
  private int aadLen;
  private byte[] buf;
  private int bufLen;
  private long segmentIndex;
  private long plaintextBytes;
  private boolean headerWritten;
  private int outPos;

  private EnvelopeEncryptor(
      EnvelopeHeader header, byte[] derived, DataKeyCaches caches, DataKey dataKey) {
    this.header = header;
    this.messageKey = new MessageKey(derived);
    this.baseNonce = header.baseNonce();
    this.caches = caches;
    this.dataKey = dataKey;
  }

  /**
   * Starts a message under {@code keyArn}: takes a data key (cached or from {@code
   * GenerateDataKey}) and the message's key. {@code iv} is the caller's IV (version 1, a fresh
   * salt and a per-message key), or null for a provider-chosen IV (version 2). Throws {@link
   * dev.coffer.protocol.KmsException} if the daemon refuses.
   */
  public static EnvelopeEncryptor start(
      KmsService service,
      DataKeyCaches caches,
      String keyArn,
      List<String> grantTokens,
      byte[] iv,
      SecureRandom random) {
    byte[] salt = new byte[EnvelopeHeader.SALT_SIZE];
    if (iv != null) {
      random.nextBytes(salt);
      iv = iv.clone();
    }
    byte[] sessionIv = iv == null ? new byte[12] : null;
    while (true) {
      DataKey dk = caches.forEncryption(service, keyArn, grantTokens);
      EnvelopeHeader h;
      byte[] derived;
      if (iv == null) {
        derived = dk.nextMessage(random, salt, sessionIv);
        h = EnvelopeHeader.create(
            EnvelopeHeader.VERSION_2, dk.encryptedKey, salt, sessionIv);
      } else {
        h = EnvelopeHeader.create(EnvelopeHeader.VERSION_1, dk.encryptedKey, salt, iv);
        derived = dk.deriveMessageKey(EnvelopeHeader.KEY_LABEL, h.encoded);
      }
      caches.release(dk, true);
      if (derived != null) {
        return new EnvelopeEncryptor(h, derived, caches, dk);
      }
      // Evicted between lookup and use: take a fresh one.
    }
  }

  /** The envelope format version this message is written in. */
  public int version() {
    return header.version;
  }

  public byte[] iv() {
    return header.iv.clone();
  }

  public int headerLength() {
    return header.encoded.length;
  }

  public void updateAad(byte[] src, int off, int len) {
    if (aad == null) {
      aad = new byte[Math.max(64, len)];
    } else if (aadLen + len > aad.length) {
      aad = Arrays.copyOf(aad, Math.max(aad.length * 2, aadLen + len));
    }
    System.arraycopy(src, off, aad, aadLen, len);
    aadLen += len;
  }

  /** Whether any body input has been given (after which AAD is refused, as in GCM). */
  public boolean started() {
    return headerWritten || bufLen > 0;
  }

  /** Bytes {@link #update} writes for {@code len} more input bytes. */
  public int updateOutputSize(int len) {
    long total = bufLen + (long) len;
    long full = total > SEGMENT_SIZE ? (total - 1) / SEGMENT_SIZE : 0;
    return Math.toIntExact((headerWritten ? 0 : header.encoded.length)
        + full * (SEGMENT_SIZE + TAG_SIZE));
  }

  /** Exact bytes {@link #finish} writes for {@code len} more input bytes. */
  public int finishOutputSize(int len) {
    // update() always keeps at least one byte back once input was given, so the buffered tail is
    // empty only for an empty message, which still gets one (empty) final segment.
    long total = bufLen + (long) len;
    return Math.toIntExact((headerWritten ? 0 : header.encoded.length)
        + total + EnvelopeHeader.segments(total) * TAG_SIZE);
  }

  public int update(byte[] in, int off, int len, byte[] out, int outOff) {
    outPos = writeHeader(out, outOff);
    int consumed = sealNonFinal(in, off, len, out);
    off += consumed;
    len -= consumed;
    if (len > 0) {
      if (buf == null) {
        buf = new byte[SEGMENT_SIZE];
      }
      System.arraycopy(in, off, buf, bufLen, len);
      bufLen += len;
    }
    return outPos - outOff;
  }

  public int finish(byte[] in, int off, int len, byte[] out, int outOff) {
    outPos = writeHeader(out, outOff);
    int consumed = sealNonFinal(in, off, len, out);
    off += consumed;
    len -= consumed;
    if (bufLen == 0) {
      outPos += seal(in, off, len, true, out, outPos);
    } else {
      System.arraycopy(in, off, buf, bufLen, len);
      int n = bufLen + len;
      bufLen = 0;
      outPos += seal(buf, 0, n, true, out, outPos);
      Arrays.fill(buf, 0, n, (byte) 0);
    }
    caches.recordBytes(dataKey, plaintextBytes);
    messageKey.destroy();
    return outPos - outOff;
  }

  // Seals every segment known not to be the last; returns how much of the input it consumed.
  private int sealNonFinal(byte[] in, int off, int len, byte[] out) {
    int start = off;
    while (bufLen + (long) len > SEGMENT_SIZE) {
      if (bufLen == 0) {
        outPos += seal(in, off, SEGMENT_SIZE, false, out, outPos);
        off += SEGMENT_SIZE;
        len -= SEGMENT_SIZE;
      } else {
        int n = SEGMENT_SIZE - bufLen;
        System.arraycopy(in, off, buf, bufLen, n);
        off += n;
        len -= n;
        bufLen = 0;
        outPos += seal(buf, 0, SEGMENT_SIZE, false, out, outPos);
      }
    }
    return off - start;
  }

  private int writeHeader(byte[] out, int pos) {
    if (headerWritten) {
      return pos;
    }
    System.arraycopy(header.encoded, 0, out, pos, header.encoded.length);
    headerWritten = true;
    return pos + header.encoded.length;
  }

  private int seal(byte[] src, int off, int len, boolean last, byte[] out, int pos) {
    if (segmentIndex > 0xFFFF_FFFFL) {
      throw new ProviderException("message too long for one envelope (2^32 segments)");
    }
    EnvelopeHeader.segmentNonce(baseNonce, segmentIndex, last, nonce);
    Cipher gcm = Segments.gcm();
    try {
      gcm.init(Cipher.ENCRYPT_MODE, messageKey, new GCMParameterSpec(TAG_SIZE * 8, nonce));
      if (segmentIndex == 0 && aadLen > 0) {
        gcm.updateAAD(aad, 0, aadLen);
      }
      int n = gcm.doFinal(src, off, len, out, pos);
      segmentIndex++;
      plaintextBytes += len;
      return n;
    } catch (GeneralSecurityException e) {
      throw new ProviderException("AES-GCM segment encryption failed", e);
    }
  }
}
