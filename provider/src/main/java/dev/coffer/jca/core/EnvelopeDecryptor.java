package dev.coffer.jca.core;

import static dev.coffer.jca.core.EnvelopeHeader.SEGMENT_SIZE;
import static dev.coffer.jca.core.EnvelopeHeader.TAG_SIZE;

import java.security.GeneralSecurityException;
import java.security.ProviderException;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
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
 * <p>The header is read in place in the caller's input (only the IV is kept, for {@code
 * getIV()}), and a version-2 session key is the data key's shared {@link DataKey.Session}, kept
 * for the next message of the same session while the cache would still hand out its data key:
 * a run of messages from one session costs no lookup, copy or derivation. The data key zeroes
 * that shared key when the cache evicts it, even under a message in flight; the segment's tag
 * then fails, and {@link #open} fetches the data key again, takes a private copy of the session
 * key and opens the segment once more, so an eviction never fails a genuine message.
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
  private boolean headerRead;
  private final byte[] iv = new byte[EnvelopeHeader.MAX_IV];
  private int ivLen;
  private MessageKey messageKey;
  // False when messageKey is the shared session key, which only its data key may destroy.
  private boolean ownsKey;
  // The data key and the version-2 session of previous messages: reused while the cache would
  // still hand out their data key.
  private DataKey lastDataKey;
  private DataKey.Session lastSession;
  private byte[] baseNonce;
  private final byte[] nonce = new byte[12];
  private byte[] aad;
  private int aadLen;
  private byte[] buf;
  private int bufLen;
  private long segmentIndex;
  private int outPos;
  // The plaintext of finishWhole's segment, between openSegment and finishWhole.
  private byte[] whole;
  private boolean failed;

  /**
   * {@code expectedIv} is the caller's GCMParameterSpec IV, or null to take the header's; the
   * decryptor keeps the array (callers pass their own copy).
   */
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
    this.expectedIv = expectedIv;
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
      lastSession = null;
    }
    this.service = service;
    this.keyArn = keyArn;
    this.grantTokens = grantTokens;
    this.expectedIv = expectedIv;
  }

  /** Ready for the next message with the same key and parameters; keeps buffers and the data key. */
  public void reset() {
    releaseKey();
    if (buf != null && (bufLen > 0 || failed)) {
      Arrays.fill(buf, (byte) 0);
    }
    headerRead = false;
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

  /** The IV from the header, or the caller's (null if none) before the header has been read. */
  public byte[] iv() {
    return headerRead ? Arrays.copyOf(iv, ivLen) : expectedIv;
  }

  /** What {@link #update} writes for {@code len} more bytes: exact once the header was read. */
  public int updateOutputSize(int len) {
    long body;
    if (headerRead) {
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
    if (!headerRead && headerLen == 0 && in != null && len > 0) {
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
    if (!headerRead) {
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
      if (!headerRead) {
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

  /**
   * Decrypts a whole message of one segment, {@code in[off..off+len)} with nothing before it, into
   * an array of its own; null (nothing consumed) when the message is not of that kind, for
   * {@link #finish} to take. The plaintext is the array SunJCE returns: one allocation and no
   * copy, where {@code finish} writes into the caller's.
   */
  public byte[] finishWhole(byte[] in, int off, int len) throws AEADBadTagException {
    checkNotFailed();
    if (headerLen > 0) {
      return null;
    }
    try {
      int h = EnvelopeHeader.requiredLength(in, off, len);
      if (h < 0 || len - h < TAG_SIZE || len - h > SEGMENT_CT) {
        return null;
      }
      beginInPlace(in, off, h);
      open(in, off + h, len - h, true, null, 0);
      byte[] plaintext = whole;
      whole = null;
      releaseKey();
      return plaintext;
    } catch (AEADBadTagException | RuntimeException e) {
      fail(null, 0);
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
      if (!headerRead) {
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
      releaseKey();
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
    releaseKey();
    if (out != null && outPos > outOff) {
      Arrays.fill(out, outOff, outPos, (byte) 0);
    }
    if (buf != null) {
      Arrays.fill(buf, (byte) 0);
    }
  }

  // Accumulates header bytes; returns how many of the input it took.
  private int readHeader(byte[] in, int off, int len) throws AEADBadTagException {
    if (headerRead) {
      return 0;
    }
    if (headerLen == 0 && len > 0) {
      int need = EnvelopeHeader.requiredLength(in, off, len);
      if (need >= 0 && need <= len) {
        beginInPlace(in, off, need);
        return need;
      }
    }
    int taken = 0;
    while (!headerRead && taken < len) {
      int need = EnvelopeHeader.requiredLength(headerBuf, headerLen);
      int want;
      if (need >= 0) {
        want = need - headerLen;
      } else if (headerLen < EnvelopeHeader.FIXED_PREFIX) {
        want = EnvelopeHeader.FIXED_PREFIX - headerLen;
      } else {
        // The data key length is known, the IV length byte not yet: read up to that byte.
        want = Math.max(1, EnvelopeHeader.ivOffset(headerBuf, 0) - headerLen);
      }
      int n = Math.min(want, len - taken);
      if (headerLen + n > headerBuf.length) {
        headerBuf = Arrays.copyOf(headerBuf, Math.max(headerBuf.length * 2, headerLen + n));
      }
      System.arraycopy(in, off + taken, headerBuf, headerLen, n);
      headerLen += n;
      taken += n;
      int now = EnvelopeHeader.requiredLength(headerBuf, headerLen);
      if (now >= 0 && now == headerLen) {
        begin(headerBuf, 0, headerLen);
      }
    }
    return taken;
  }

  // The whole header is at hand in the caller's input, h[off..off+len): read it there.
  private void beginInPlace(byte[] h, int off, int len) throws AEADBadTagException {
    begin(h, off, len);
    headerLen = len;
  }

  // Takes the complete header h[off..off+len), already checked by requiredLength.
  private void begin(byte[] h, int off, int len) throws AEADBadTagException {
    int ivAt = off + EnvelopeHeader.ivOffset(h, off);
    int n = off + len - ivAt;
    if (expectedIv != null && !Arrays.equals(expectedIv, 0, expectedIv.length, h, ivAt, ivAt + n)) {
      throw JcaErrors.badTag();
    }
    System.arraycopy(h, ivAt, iv, 0, n);
    ivLen = n;
    baseNonce = EnvelopeHeader.baseNonce(iv, n);
    if (EnvelopeHeader.version(h, off) == EnvelopeHeader.VERSION_2) {
      openSession(h, off, len - 12);
    } else {
      useOwnKey(h, off, dk -> dk.deriveMessageKey(EnvelopeHeader.KEY_LABEL, h, off, len));
    }
    headerRead = true;
  }

  private void openSession(byte[] h, int off, int prefixLen) {
    DataKey.Session s = lastSession;
    // No clock read per message: the cache zeroes a data key once it is too old (its scheduled
    // expiry), and with it every session key, which isDestroyed() sees.
    if (s != null && !s.key().isDestroyed() && s.hasPrefix(h, off, prefixLen)) {
      useShared(s);
      return;
    }
    lastSession = null;
    if (!caches.cachesDecryption()) {
      // The data key is destroyed on release: a shared key would die with it.
      useOwnKey(h, off, dk -> dk.sessionKeyCopy(h, off, prefixLen));
      return;
    }
    for (int attempt = 0; attempt < 2; attempt++) {
      DataKey dk = dataKey(h, off, attempt > 0);
      s = dk.session(h, off, prefixLen);
      if (s != null) {
        lastDataKey = dk;
        lastSession = s;
        useShared(s);
        return;
      }
    }
    throw new ProviderException("data key evicted while in use");
  }

  /**
   * Takes a private key derived from the header's data key; if that data key is evicted between
   * lookup and derivation ({@code derive} gives null), fetches it once more.
   */
  private void useOwnKey(byte[] h, int off, Function<DataKey, byte[]> derive) {
    for (int attempt = 0; attempt < 2; attempt++) {
      DataKey dk = dataKey(h, off, attempt > 0);
      byte[] k = derive.apply(dk);
      caches.release(dk, false);
      if (k != null) {
        lastDataKey = dk;
        useOwn(k);
        return;
      }
    }
    throw new ProviderException("data key evicted while in use");
  }

  /**
   * The data key of the header at h[off..]: the previous message's while the cache would still
   * hand it out (unless {@code again}, after it was evicted under us), else the cache's, which
   * costs one Decrypt call on a miss.
   */
  private DataKey dataKey(byte[] h, int off, boolean again) {
    DataKey dk = lastDataKey;
    if (!again
        && dk != null
        && caches.stillCached(dk, false)
        && EnvelopeHeader.encryptedKeyEquals(h, off, dk.encryptedKey)) {
      return dk;
    }
    lastDataKey = null;
    return caches.forDecryption(service, keyArn, grantTokens, EnvelopeHeader.encryptedKey(h, off));
  }

  private void useShared(DataKey.Session s) {
    messageKey = s.key();
    ownsKey = false;
  }

  private void useOwn(byte[] key) {
    messageKey = new MessageKey(key);
    ownsKey = true;
  }

  private void releaseKey() {
    if (messageKey != null && ownsKey) {
      messageKey.destroy();
    }
    messageKey = null;
  }

  /**
   * After the shared session key was zeroed under a segment: the same session key, privately
   * this time, from the data key fetched again (its prefix carries the encrypted data key).
   */
  private void replaceZeroedSessionKey() {
    byte[] prefix = lastSession.prefix();
    lastSession = null;
    useOwnKey(prefix, 0, dk -> dk.sessionKeyCopy(prefix, 0, prefix.length));
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
    int n;
    try {
      n = openSegment(src, off, len, out, pos);
    } catch (AEADBadTagException | IllegalStateException e) {
      if (ownsKey || !messageKey.isDestroyed()) {
        if (e instanceof IllegalStateException) {
          throw e;
        }
        throw JcaErrors.badTag();
      }
      // The shared session key was zeroed under us (its data key was evicted): once more with a
      // private copy. A genuine forgery fails again.
      replaceZeroedSessionKey();
      try {
        n = openSegment(src, off, len, out, pos);
      } catch (AEADBadTagException again) {
        throw JcaErrors.badTag();
      }
    }
    segmentIndex++;
    return n;
  }

  // Into out at pos; with out null, into a new array left in `whole`.
  private int openSegment(byte[] src, int off, int len, byte[] out, int pos)
      throws AEADBadTagException {
    Cipher gcm = Segments.gcm();
    try {
      gcm.init(Cipher.DECRYPT_MODE, messageKey, new GCMParameterSpec(TAG_SIZE * 8, nonce));
      if (segmentIndex == 0 && aadLen > 0) {
        gcm.updateAAD(aad, 0, aadLen);
      }
      if (out == null) {
        whole = gcm.doFinal(src, off, len);
        return whole.length;
      }
      return gcm.doFinal(src, off, len, out, pos);
    } catch (AEADBadTagException e) {
      throw e;
    } catch (GeneralSecurityException e) {
      throw new ProviderException("AES-GCM segment decryption failed", e);
    }
  }
}
