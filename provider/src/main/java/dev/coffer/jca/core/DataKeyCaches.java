package dev.coffer.jca.core;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Scheduler;
import dev.coffer.protocol.ErrorType;
import dev.coffer.protocol.KmsException;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * Data-key caches, like the AWS Encryption SDK's caching materials manager: one for encryption
 * (a data key from {@code GenerateDataKey}, reused until it is too old or has protected too many
 * messages or bytes) and one for decryption (plaintext data keys by encrypted data key, until too
 * old). Evicted keys are zeroed at once: the removal listener runs on the evicting thread. Expiry
 * does not wait for the next cache access: the caches schedule it on the JVM's shared scheduler
 * thread, so a data key is zeroed about a second after its maximum age at the latest (Caffeine
 * paces scheduled clean-ups at that tolerance) even when the application has gone quiet. The
 * decryptor's per-session shortcut relies on that: it reuses a session key while its data key is
 * not destroyed, without reading the clock per message.
 *
 * <p>Caching trades daemon round trips against how quickly a key disablement takes effect: a
 * cached data key keeps working for at most its maximum age after the KMS key is disabled, as
 * with AWS's caching materials manager.
 */
public final class DataKeyCaches {

  private static volatile DataKeyCaches shared;

  private record EncryptionId(String destination, String keyArn, List<String> grantTokens) {}

  private record DecryptionId(String destination, ByteBuffer encryptedKey) {}

  private final CacheSettings settings;
  private final long encryptMaxAgeNanos;
  private final long decryptMaxAgeNanos;
  private final Cache<EncryptionId, DataKey> encryption;
  private final Cache<DecryptionId, DataKey> decryption;

  public DataKeyCaches(CacheSettings settings) {
    this.settings = settings;
    this.encryptMaxAgeNanos = nanos(settings.encryptMaxAge());
    this.decryptMaxAgeNanos = nanos(settings.decryptMaxAge());
    boolean encOn = settings.enabled() && settings.encryptMaxEntries() > 0;
    boolean decOn = settings.enabled() && settings.decryptMaxEntries() > 0;
    this.encryption = encOn ? cache(settings.encryptMaxAge(), settings.encryptMaxEntries()) : null;
    this.decryption = decOn ? cache(settings.decryptMaxAge(), settings.decryptMaxEntries()) : null;
  }

  // Evictions zero the key on the evicting thread; expiry is scheduled, not left to the next access.
  private static <K> Cache<K, DataKey> cache(java.time.Duration maxAge, long maxEntries) {
    return Caffeine.newBuilder()
        .expireAfterWrite(maxAge)
        .maximumSize(maxEntries)
        .executor(Runnable::run)
        .scheduler(Scheduler.systemScheduler())
        .<K, DataKey>removalListener((k, v, cause) -> destroy(v))
        .build();
  }

  /** The JVM-wide caches, configured from system properties on first use. */
  public static DataKeyCaches shared() {
    DataKeyCaches c = shared;
    if (c == null) {
      synchronized (DataKeyCaches.class) {
        c = shared;
        if (c == null) {
          c = new DataKeyCaches(CacheSettings.fromSystemProperties());
          shared = c;
        }
      }
    }
    return c;
  }

  /** Evicts (and zeroes) every cached data key of the shared caches. */
  public static void clearShared() {
    shared().clear();
  }

  public CacheSettings settings() {
    return settings;
  }

  public void clear() {
    if (encryption != null) {
      encryption.invalidateAll();
      encryption.cleanUp();
    }
    if (decryption != null) {
      decryption.invalidateAll();
      decryption.cleanUp();
    }
  }

  /** A data key for one new message under {@code keyArn}; counts the message. */
  DataKey forEncryption(KmsService service, String keyArn, List<String> grantTokens) {
    if (encryption == null) {
      return load(service, keyArn, grantTokens);
    }
    EncryptionId id = new EncryptionId(service.destination(), keyArn, grantTokens);
    while (true) {
      DataKey dk = encryption.get(id, x -> load(service, keyArn, grantTokens));
      long used = dk.messages.incrementAndGet();
      if (used <= settings.encryptMaxMessages()
          && dk.bytes.get() < settings.encryptMaxBytes()
          && !dk.isDestroyed()) {
        return dk;
      }
      encryption.asMap().remove(id, dk);
    }
  }

  /** Counts {@code n} bytes protected with {@code dk}; retires it once over the byte bound. */
  void recordBytes(DataKey dk, long n) {
    if (dk.bytes.addAndGet(n) >= settings.encryptMaxBytes() && encryption != null) {
      encryption.asMap().values().remove(dk);
    }
  }

  /** The plaintext data key for {@code encryptedKey}, which must belong to {@code keyArn}. */
  DataKey forDecryption(
      KmsService service, String keyArn, List<String> grantTokens, byte[] encryptedKey) {
    DataKey dk;
    if (decryption == null) {
      dk = open(service, keyArn, grantTokens, encryptedKey);
    } else {
      DecryptionId id = new DecryptionId(service.destination(), ByteBuffer.wrap(encryptedKey.clone()));
      dk = decryption.get(id, x -> open(service, keyArn, grantTokens, encryptedKey));
    }
    if (!dk.keyArn.equals(keyArn)) {
      // Same answer the daemon gives when the blob belongs to another key.
      throw new KmsException(ErrorType.INCORRECT_KEY, "the data key belongs to another KMS key");
    }
    return dk;
  }

  /** Whether decrypted data keys are cached (else {@link #release} destroys them). */
  boolean cachesDecryption() {
    return decryption != null;
  }

  /**
   * Whether the cache would still hand out {@code dk} (a key it returned earlier): not evicted
   * and younger than the maximum age. Lets a cipher reuse the data key of its previous message
   * without a lookup, under exactly the cache's bounds.
   */
  boolean stillCached(DataKey dk, boolean forEncryption) {
    if ((forEncryption ? encryption : decryption) == null || dk.isDestroyed()) {
      return false;
    }
    long maxAge = forEncryption ? encryptMaxAgeNanos : decryptMaxAgeNanos;
    return System.nanoTime() - dk.createdNanos < maxAge;
  }

  private static long nanos(java.time.Duration d) {
    try {
      return d.toNanos();
    } catch (ArithmeticException e) {
      return Long.MAX_VALUE;
    }
  }

  /** Called when a cipher is done with a data key: zeroes it unless a cache owns it. */
  void release(DataKey dk, boolean forEncryption) {
    if ((forEncryption ? encryption : decryption) == null) {
      dk.destroy();
    }
  }

  private static DataKey load(KmsService service, String keyArn, List<String> grantTokens) {
    KmsService.Opened o = service.generateDataKey(keyArn, grantTokens);
    return new DataKey(o.keyArn(), o.plaintext(), o.ciphertextBlob());
  }

  private static DataKey open(
      KmsService service, String keyArn, List<String> grantTokens, byte[] encryptedKey) {
    KmsService.Opened o = service.decrypt(encryptedKey, keyArn, null, grantTokens);
    return new DataKey(o.keyArn(), o.plaintext(), encryptedKey.clone());
  }

  private static void destroy(DataKey dk) {
    if (dk != null) {
      dk.destroy();
    }
  }
}
