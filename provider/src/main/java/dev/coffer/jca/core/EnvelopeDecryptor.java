package dev.coffer.jca.core;

import static dev.coffer.jca.core.EnvelopeHeader.SEGMENT_SIZE;
import static dev.coffer.jca.core.EnvelopeHeader.TAG_SIZE;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.ProviderException;
import java.util.Arrays;
import java.util.List;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;

/**
 * Decrypts one envelope. Plaintext is released only segment by segment, each after its GCM tag
 * verified; a segment counts as final only at {@link #finish}, so a truncated message fails (its
 * last segment was sealed as non-final) and reordered segments fail (wrong index in the nonce).
 * The data key is resolved when the header is complete: from the cache, or with one {@code
 * Decrypt} call. On any failure the output written by the failing call is zeroed and the
 * instance stays failed until {@link #reset()}. Version 1 derives the segment key from the data
 * key and the whole header; version 2 takes the data key's session key, derived from the whole
 * header but its IV, and the IV is the GCM nonce base, so every header byte is bound either way.
 *
 * <p>Not thread-safe; one message at a time, {@link #reset()} between messages.
 */
public final class EnvelopeDecryptor {

  private static final int SEGMENT_CT = SEGMENT_SIZE + TAG_SIZE;

  private KmsService service;
  private final DataKeyCaches caches;
  private String keyArn;
  private List<String> grantTokens;
  private byte[] expectedIv;
  private byte[] headerBuf = new byte[64];
  private int headerLen;
  private EnvelopeHeader header;
  private MessageKey messageKey;
  // The data key of the previous message: reused while the cache would still hand it out.
  private DataKey lastDataKey;
  private byte[] baseNonce;
  private final byte[] nonce = new byte[12];
  private byte[] aad;
  private int aadLen;
  private byte[] buf;
  private int bufLen;
  private long segmentIndex;
  private int outPos;
  private boolean failed;

  /** {@code expectedIv} is the caller's GCMParameterSpec IV, or null to take the header's. */
  public EnvelopeDecryptor(
      KmsService service,
      DataKeyCaches caches,
      String keyArn,
      List<String> grantTokens,
      byte[] expectedIv) {
    this.service = service;
    this.caches = caches;
    this.keyArn = keyArn;
    this.grantTokens = grantTokens;
    this.expectedIv = expectedIv == null ? null : expectedIv.clone();
  }

  /**
   * Ready for a message under other parameters, as after construction; keeps the buffers, and
   * the previous data key only when service and key are the same.
   */
  public void reinit(
      KmsService service, String keyArn, List<String> grantTokens, byte[] expectedIv) {
    reset();
    if (service != this.service || !keyArn.equals(this.keyArn)) {
      lastDataKey = null;
    }
    this.service = service;
    this.keyArn = keyArn;
    this.grantTokens = grantTokens;
    this.expectedIv = expectedIv == null ? null : expectedIv.clone();
  }

  /** Ready for the next message with the same key and parameters; keeps buffers and the data key. */
  public void reset() {
    if (messageKey != null) {
      messageKey.destroy();
      messageKey = null;
    }
    if (buf != null && (bufLen > 0 || failed)) {
      Arrays.fill(buf, (byte) 0);
    }
    header = null;
    headerLen = 0;
    baseNonce = null;
    aadLen = 0;
    bufLen = 0;
    segmentIndex = 0;
    outPos = 0;
    failed = false;
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

  public boolean started() {
    return headerLen > 0;
  }

  /** The IV from the header, or null before the header has been read. */
  public byte[] iv() {
    return header == null ? expectedIv : header.iv.clone();
  }

  /** What {@link #update} writes for {@code len} more bytes: exact once the header was read. */
  public int updateOutputSize(int len) {
    long body;
    if (header != null) {
      body = bufLen + (long) len;
    } else {
      // At most this much of the input can be body: every header is at least this long.
      int minHeader = EnvelopeHeader.length(1, 1);
      body = Math.max(0, headerLen + (long) len - minHeader);
    }
    long full = body > SEGMENT_CT ? (body - 1) / SEGMENT_CT : 0;
    return (int) Math.min(Integer.MAX_VALUE, full * SEGMENT_SIZE);
  }

  /**
   * What {@link #finish} writes for {@code in[off..off+len)}: exact when no input came before and
   * {@code in} starts with a complete header (a one-shot {@code doFinal}), else as {@link
   * #finishOutputSize}.
   */
  public int finishOutputSize(byte[] in, int off, int len) {
    if (header == null && headerLen == 0 && in != null && len > 0) {
      try {
        int h = EnvelopeHeader.requiredLength(in, off, len);
        if (h >= 0 && h <= len) {
          long body = len - h;
          long segs = Math.max(1, (body + SEGMENT_CT - 1) / SEGMENT_CT);
          return (int) Math.max(0, body - segs * TAG_SIZE);
        }
      } catch (AEADBadTagException e) {
        // Malformed: finish() reports it; any size will do.
      }
    }
    return finishOutputSize(len);
  }

  /** What {@link #finish} writes: exact once the header has been read, else an upper bound. */
  public int finishOutputSize(int len) {
    long total = bufLen + (long) len;
    if (header == null) {
      return (int) Math.min(Integer.MAX_VALUE, Math.max(0, headerLen + total - TAG_SIZE));
    }
    long segs = Math.max(1, (total + SEGMENT_CT - 1) / SEGMENT_CT);
    return (int) Math.max(0, total - segs * TAG_SIZE);
  }

  /**
   * Consumes input and writes the plaintext of every segment now known to be non-final.
   *
   * @throws AEADBadTagException on any authentication failure
   * @throws dev.coffer.protocol.KmsException if the daemon cannot open the data key
   */
  public int update(byte[] in, int off, int len, byte[] out, int outOff)
      throws AEADBadTagException {
    checkNotFailed();
    outPos = outOff;
    try {
      int used = readHeader(in, off, len);
      off += used;
      len -= used;
      if (header == null) {
        return 0;
      }
      int consumed = openNonFinal(in, off, len, out);
      off += consumed;
      len -= consumed;
      if (len > 0) {
        if (buf == null) {
          buf = new byte[SEGMENT_CT];
        }
        System.arraycopy(in, off, buf, bufLen, len);
        bufLen += len;
      }
      return outPos - outOff;
    } catch (AEADBadTagException | RuntimeException e) {
      fail(out, outOff);
      throw e;
    }
  }

  /** Consumes the rest and the final segment. */
  public int finish(byte[] in, int off, int len, byte[] out, int outOff)
      throws AEADBadTagException {
    checkNotFailed();
    outPos = outOff;
    try {
      int used = readHeader(in, off, len);
      off += used;
      len -= used;
      if (header == null) {
        throw JcaErrors.badTag(); // too short to be an envelope
      }
      int consumed = openNonFinal(in, off, len, out);
      off += consumed;
      len -= consumed;
      if (bufLen + len < TAG_SIZE) {
        throw JcaErrors.badTag();
      }
      if (bufLen == 0) {
        outPos += open(in, off, len, true, out, outPos);
      } else {
        System.arraycopy(in, off, buf, bufLen, len);
        int n = bufLen + len;
        bufLen = 0;
        outPos += open(buf, 0, n, true, out, outPos);
      }
      messageKey.destroy();
      messageKey = null;
      return outPos - outOff;
    } catch (AEADBadTagException | RuntimeException e) {
      fail(out, outOff);
      throw e;
    }
  }

  private void checkNotFailed() throws AEADBadTagException {
    if (failed) {
      throw JcaErrors.badTag();
    }
  }

  private void fail(byte[] out, int outOff) {
    failed = true;
    if (messageKey != null) {
      messageKey.destroy();
      messageKey = null;
    }
    if (out != null && outPos > outOff) {
      Arrays.fill(out, outOff, outPos, (byte) 0);
    }
    if (buf != null) {
      Arrays.fill(buf, (byte) 0);
    }
  }

  // Accumulates header bytes; returns how many of the input it took.
  private int readHeader(byte[] in, int off, int len) throws AEADBadTagException {
    if (header != null) {
      return 0;
    }
    if (headerLen == 0 && len > 0) {
      int need = EnvelopeHeader.requiredLength(in, off, len);
      if (need >= 0 && need <= len) {
        begin(EnvelopeHeader.parse(in, off, need)); // whole header at hand: no staging copy
        headerLen = need;
        return need;
      }
    }
    int taken = 0;
    while (header == null && taken < len) {
      int need = EnvelopeHeader.requiredLength(headerBuf, headerLen);
      int want = need < 0 ? (headerLen < EnvelopeHeader.FIXED_PREFIX
          ? EnvelopeHeader.FIXED_PREFIX - headerLen
          : Math.max(1, nextKnownLength() - headerLen)) : need - headerLen;
      int n = Math.min(want, len - taken);
      if (headerLen + n > headerBuf.length) {
        headerBuf = Arrays.copyOf(headerBuf, Math.max(headerBuf.length * 2, headerLen + n));
      }
      System.arraycopy(in, off + taken, headerBuf, headerLen, n);
      headerLen += n;
      taken += n;
      int now = EnvelopeHeader.requiredLength(headerBuf, headerLen);
      if (now >= 0 && now == headerLen) {
        begin(EnvelopeHeader.parse(Arrays.copyOf(headerBuf, headerLen)));
      }
    }
    return taken;
  }

  // With the data key length known but the IV length byte not yet read: read up to that byte.
  private int nextKnownLength() {
    int n = ((headerBuf[2] & 0xff) << 8) | (headerBuf[3] & 0xff);
    return EnvelopeHeader.FIXED_PREFIX + n + EnvelopeHeader.SALT_SIZE + 1;
  }

  private void begin(EnvelopeHeader h) throws AEADBadTagException {
    if (expectedIv != null && !MessageDigest.isEqual(expectedIv, h.iv)) {
      throw JcaErrors.badTag();
    }
    DataKey dk = lastDataKey;
    byte[] derived = null;
    if (dk != null
        && caches.stillCached(dk, false)
        && h.encryptedKeyEquals(dk.encryptedKey)) {
      derived = derive(dk, h); // null if evicted meanwhile
    }
    if (derived == null) {
      lastDataKey = null;
      dk = caches.forDecryption(service, keyArn, grantTokens, h.encryptedKey());
      derived = derive(dk, h);
      caches.release(dk, false);
      if (derived == null) {
        // Evicted between lookup and use; one retry fetches it again.
        dk = caches.forDecryption(service, keyArn, grantTokens, h.encryptedKey());
        derived = derive(dk, h);
        caches.release(dk, false);
        if (derived == null) {
          throw new ProviderException("data key evicted while in use");
        }
      }
      lastDataKey = dk;
    }
    messageKey = new MessageKey(derived);
    baseNonce = h.baseNonce();
    header = h;
  }

  private static byte[] derive(DataKey dk, EnvelopeHeader h) {
    return h.version == EnvelopeHeader.VERSION_2
        ? dk.sessionKey(h.encoded, h.encoded.length - 12)
        : dk.deriveMessageKey(EnvelopeHeader.KEY_LABEL, h.encoded);
  }

  private int openNonFinal(byte[] in, int off, int len, byte[] out) throws AEADBadTagException {
    int start = off;
    while (bufLen + (long) len > SEGMENT_CT) {
      if (bufLen == 0) {
        outPos += open(in, off, SEGMENT_CT, false, out, outPos);
        off += SEGMENT_CT;
        len -= SEGMENT_CT;
      } else {
        int n = SEGMENT_CT - bufLen;
        System.arraycopy(in, off, buf, bufLen, n);
        off += n;
        len -= n;
        bufLen = 0;
        outPos += open(buf, 0, SEGMENT_CT, false, out, outPos);
      }
    }
    return off - start;
  }

  private int open(byte[] src, int off, int len, boolean last, byte[] out, int pos)
      throws AEADBadTagException {
    if (segmentIndex > 0xFFFF_FFFFL) {
      throw JcaErrors.badTag();
    }
    EnvelopeHeader.segmentNonce(baseNonce, segmentIndex, last, nonce);
    Cipher gcm = Segments.gcm();
    try {
      gcm.init(Cipher.DECRYPT_MODE, messageKey, new GCMParameterSpec(TAG_SIZE * 8, nonce));
      if (segmentIndex == 0 && aadLen > 0) {
        gcm.updateAAD(aad, 0, aadLen);
      }
      int n = gcm.doFinal(src, off, len, out, pos);
      segmentIndex++;
      return n;
    } catch (AEADBadTagException e) {
      throw JcaErrors.badTag();
    } catch (GeneralSecurityException e) {
      throw new ProviderException("AES-GCM segment decryption failed", e);
    }
  }
}
