package dev.coffer.jca.core;

import java.security.GeneralSecurityException;
import java.security.ProviderException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * One plaintext data key with its encrypted form, as cached. The material is only ever used to
 * derive AES keys, under this object's lock, and is zeroed by {@link #destroy()} (called when the
 * cache evicts the entry), together with every session key derived from it; after that the
 * deriving methods return null and the caller fetches a fresh data key. Callers always get their
 * own copy of a derived key, so an eviction never pulls a key out from under a message in flight.
 *
 * <p>Envelope version 2 (provider-chosen IVs) encrypts many messages under one <em>session
 * key</em> {@code HMAC-SHA256(material, label || header without IV)}, the header carrying a
 * random salt per session; each
 * message takes the next value of the session's counter as its nonce base, so no (key, nonce)
 * pair repeats. A session is retired after {@link #SESSION_MESSAGES} messages.
 */
final class DataKey {

  /** Messages per version-2 session; the counter occupies 7 nonce bytes, so this is far below. */
  static final long SESSION_MESSAGES = 1L << 32;
  private static final int OPENED_SLOTS = 4;

  private static final ThreadLocal<Mac> HMAC =
      ThreadLocal.withInitial(
          () -> {
            try {
              return Mac.getInstance("HmacSHA256");
            } catch (GeneralSecurityException e) {
              throw new ProviderException("HmacSHA256 is not available", e);
            }
          });

  final String keyArn;
  final byte[] encryptedKey;
  final long createdNanos = System.nanoTime();
  private final long sessionLimit;
  final AtomicLong messages = new AtomicLong();
  final AtomicLong bytes = new AtomicLong();
  private byte[] material;
  private volatile boolean destroyed;

  // Encryption session (version 2), guarded by this.
  private byte[] sessionSalt;
  private byte[] sessionMask;
  private byte[] sessionKey;
  private long sessionUsed;

  // Decryption: the last few (header prefix, session key) pairs opened, guarded by this.
  private final byte[][] openedPrefix = new byte[OPENED_SLOTS][];
  private final byte[][] openedKey = new byte[OPENED_SLOTS][];
  private int openedNext;

  DataKey(String keyArn, byte[] material, byte[] encryptedKey) {
    this(keyArn, material, encryptedKey, SESSION_MESSAGES);
  }

  /** With a smaller session bound, so tests can watch a session rotate. */
  DataKey(String keyArn, byte[] material, byte[] encryptedKey, long sessionLimit) {
    this.sessionLimit = sessionLimit;
    this.keyArn = keyArn;
    this.material = material;
    this.encryptedKey = encryptedKey;
  }

  /** HMAC-SHA256(material, label || data) into a fresh array, or null once destroyed. */
  synchronized byte[] deriveMessageKey(byte[] label, byte[] data) {
    if (material == null) {
      return null;
    }
    return hmac(label, data);
  }

  private byte[] hmac(byte[] label, byte[] data) {
    return hmac(label, data, data.length);
  }

  private byte[] hmac(byte[] label, byte[] data, int len) {
    Mac mac = HMAC.get();
    try {
      mac.init(new SecretKeySpec(material, "HmacSHA256"));
    } catch (GeneralSecurityException e) {
      throw new ProviderException("cannot key HmacSHA256", e);
    }
    mac.update(label);
    mac.update(data, 0, len);
    return mac.doFinal();
  }

  /**
   * Allocates one version-2 message: writes the session salt into {@code saltOut} (16 bytes) and
   * the message's 12-byte nonce base into {@code ivOut}, and returns a copy of the session key;
   * null once destroyed. The nonce base is {@code mask XOR (u56be(counter) || 0^40)}: distinct
   * counters give bases that differ in bytes 0..6, while segment index and final flag only touch
   * bytes 7..11, so every (message, segment) nonce under the session key is distinct.
   */
  synchronized byte[] nextMessage(SecureRandom random, byte[] saltOut, byte[] ivOut) {
    if (material == null) {
      return null;
    }
    if (sessionKey == null || sessionUsed >= sessionLimit) {
      byte[] r = new byte[EnvelopeHeader.SALT_SIZE + 12]; // salt and mask in one draw
      random.nextBytes(r);
      if (sessionKey != null) {
        Arrays.fill(sessionKey, (byte) 0);
      }
      sessionSalt = Arrays.copyOf(r, EnvelopeHeader.SALT_SIZE);
      sessionMask = Arrays.copyOfRange(r, EnvelopeHeader.SALT_SIZE, r.length);
      sessionKey = hmac(EnvelopeHeader.SESSION_LABEL,
          EnvelopeHeader.sessionPrefix(encryptedKey, sessionSalt));
      sessionUsed = 0;
      Arrays.fill(r, (byte) 0);
    }
    long c = sessionUsed++;
    System.arraycopy(sessionSalt, 0, saltOut, 0, EnvelopeHeader.SALT_SIZE);
    System.arraycopy(sessionMask, 0, ivOut, 0, 12);
    for (int i = 0; i < 7; i++) {
      ivOut[i] ^= (byte) (c >>> (8 * (6 - i)));
    }
    return sessionKey.clone();
  }

  /**
   * A copy of the version-2 session key for a header whose first {@code prefixLen} bytes (all but
   * the IV) are {@code header}'s, or null once destroyed. The last few are memoised by those
   * exact bytes (public values), so messages of one session derive once.
   */
  synchronized byte[] sessionKey(byte[] header, int prefixLen) {
    if (material == null) {
      return null;
    }
    for (int i = 0; i < OPENED_SLOTS; i++) {
      byte[] p = openedPrefix[i];
      if (p != null && Arrays.equals(p, 0, p.length, header, 0, prefixLen)) {
        return openedKey[i].clone();
      }
    }
    int i = openedNext;
    openedNext = (i + 1) % OPENED_SLOTS;
    if (openedKey[i] != null) {
      Arrays.fill(openedKey[i], (byte) 0);
    }
    openedPrefix[i] = Arrays.copyOf(header, prefixLen);
    openedKey[i] = hmac(EnvelopeHeader.SESSION_LABEL, header, prefixLen);
    return openedKey[i].clone();
  }

  boolean isDestroyed() {
    return destroyed;
  }

  synchronized void destroy() {
    destroyed = true;
    if (material != null) {
      Arrays.fill(material, (byte) 0);
      material = null;
    }
    if (sessionKey != null) {
      Arrays.fill(sessionKey, (byte) 0);
      sessionKey = null;
    }
    for (int i = 0; i < OPENED_SLOTS; i++) {
      if (openedKey[i] != null) {
        Arrays.fill(openedKey[i], (byte) 0);
        openedKey[i] = null;
        openedPrefix[i] = null;
      }
    }
  }
}
