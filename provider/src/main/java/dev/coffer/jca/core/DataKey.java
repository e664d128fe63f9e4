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
 * deriving methods return null and the caller fetches a fresh data key. Encryption and version-1
 * decryption get their own copy of a derived key, so an eviction never pulls a key out from under
 * those messages.
 *
 * <p>Envelope version 2 (provider-chosen IVs) encrypts many messages under one <em>session
 * key</em> {@code HMAC-SHA256(material, label || header without IV)}, the header carrying a
 * random salt per session; each
 * message takes the next value of the session's counter as its nonce base, so no (key, nonce)
 * pair repeats. A session is retired after {@link #SESSION_MESSAGES} messages.
 *
 * <p>Decryption shares the session keys it opens ({@link #session}): every cipher decrypting
 * messages of one session uses the same {@link Session} object, which this data key zeroes when
 * it is destroyed or when the session's memo slot is reused. A cipher that finds its session key
 * zeroed under it (its GCM tag then fails) takes a private copy and retries; see {@code
 * EnvelopeDecryptor}.
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

  // Decryption: the last few sessions opened, guarded by this.
  private final Session[] opened = new Session[OPENED_SLOTS];
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
    return deriveMessageKey(label, data, 0, data.length);
  }

  /** As {@link #deriveMessageKey(byte[], byte[])} over {@code data[off..off+len)}. */
  synchronized byte[] deriveMessageKey(byte[] label, byte[] data, int off, int len) {
    if (material == null) {
      return null;
    }
    return hmac(label, data, off, len);
  }

  private byte[] hmac(byte[] label, byte[] data, int off, int len) {
    Mac mac = HMAC.get();
    try {
      mac.init(new SecretKeySpec(material, "HmacSHA256"));
    } catch (GeneralSecurityException e) {
      throw new ProviderException("cannot key HmacSHA256", e);
    }
    mac.update(label);
    mac.update(data, off, len);
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
      byte[] prefix = EnvelopeHeader.sessionPrefix(encryptedKey, sessionSalt);
      sessionKey = hmac(EnvelopeHeader.SESSION_LABEL, prefix, 0, prefix.length);
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
   * The version-2 session whose header prefix (the whole header but the IV) is {@code
   * header[off..off+prefixLen)}, shared, or null once destroyed. The last few are memoised by
   * those exact bytes (public values), so messages of one session derive once.
   */
  synchronized Session session(byte[] header, int off, int prefixLen) {
    if (material == null) {
      return null;
    }
    for (Session s : opened) {
      if (s != null && s.hasPrefix(header, off, prefixLen)) {
        return s;
      }
    }
    int i = openedNext;
    openedNext = (i + 1) % OPENED_SLOTS;
    if (opened[i] != null) {
      opened[i].key.destroy();
    }
    opened[i] = new Session(Arrays.copyOfRange(header, off, off + prefixLen),
        new MessageKey(hmac(EnvelopeHeader.SESSION_LABEL, header, off, prefixLen)));
    return opened[i];
  }

  /** A private copy of the session key for that prefix, or null once destroyed. */
  synchronized byte[] sessionKeyCopy(byte[] header, int off, int prefixLen) {
    Session s = session(header, off, prefixLen);
    return s == null ? null : s.key.getEncoded();
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
      if (opened[i] != null) {
        opened[i].key.destroy();
        opened[i] = null;
      }
    }
  }

  /**
   * A version-2 session key opened for decryption and the header prefix it was derived from.
   * Shared between ciphers: they must not destroy {@link #key()}, and must expect it to be zeroed
   * at any time by its data key.
   */
  static final class Session {
    private final byte[] prefix;
    private final MessageKey key;

    private Session(byte[] prefix, MessageKey key) {
      this.prefix = prefix;
      this.key = key;
    }

    MessageKey key() {
      return key;
    }

    /** The header prefix, to fetch the data key again; callers must not change it. */
    byte[] prefix() {
      return prefix;
    }

    /** Whether this session's header prefix is exactly {@code header[off..off+len)}. */
    boolean hasPrefix(byte[] header, int off, int len) {
      return Arrays.equals(prefix, 0, prefix.length, header, off, off + len);
    }
  }
}
