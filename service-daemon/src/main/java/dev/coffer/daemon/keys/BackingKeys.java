package dev.coffer.daemon.keys;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;
import dev.coffer.daemon.keystore.BackingKey;
import dev.coffer.daemon.keystore.KeyStoreBackend;
import dev.coffer.daemon.storage.Database;
import dev.coffer.daemon.storage.Database.StoredVersion;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Opened backing key versions, cached so a request does not unwrap its key each time.
 *
 * <p>Material is zeroed when a key is deleted. A version evicted for size is only dropped, not
 * zeroed, because a request on another thread may still be using it.
 */
public final class BackingKeys {

  private record VersionId(UUID keyId, int version) {}

  private final Database db;
  private final Map<String, KeyStoreBackend> stores;
  private final Cache<VersionId, BackingKey> cache;

  public BackingKeys(Database db, Map<String, KeyStoreBackend> stores, int maxCached) {
    this.db = db;
    this.stores = new java.util.concurrent.ConcurrentHashMap<>(stores);
    this.cache =
        Caffeine.newBuilder()
            .maximumSize(maxCached)
            .recordStats()
            .removalListener(
                (VersionId id, BackingKey k, RemovalCause cause) -> {
                  if (k != null && cause == RemovalCause.EXPLICIT) {
                    k.destroy();
                  }
                })
            .build();
  }

  /** Hits and misses of the cache of opened versions (the metric of cache use). */
  public com.github.benmanes.caffeine.cache.stats.CacheStats cacheStats() {
    return cache.stats();
  }

  /** Adds a key store created at runtime (a custom key store). */
  public void register(KeyStoreBackend store) {
    stores.put(store.id(), store);
  }

  /** Removes a key store that holds no key versions any more. */
  public void unregister(String id) {
    stores.remove(id);
  }

  public KeyStoreBackend store(String id) {
    KeyStoreBackend s = stores.get(id);
    if (s == null) {
      throw new IllegalStateException("no key store " + id + " is configured");
    }
    return s;
  }

  /** The backing key of one version, or {@code null} if that version does not exist. */
  public BackingKey get(UUID keyId, int version) {
    return cache.get(
        new VersionId(keyId, version),
        id -> {
          StoredVersion v = db.loadVersion(keyId, version);
          return v == null ? null : store(v.keyStore()).open(keyId, version, v.stored());
        });
  }

  /**
   * Drops every opened version of a key from the cache, destroying it in memory: another node
   * changed or deleted the key (material deleted, expired, key deleted), so its next use re-reads
   * the database, which no longer holds what is gone. A version the cache never held is always
   * read from the database, so a version another node added is found without this.
   */
  public void forget(UUID keyId) {
    cache.invalidateAll(cache.asMap().keySet().stream()
        .filter(v -> v.keyId().equals(keyId)).toList());
  }

  /** Registers the cache's reloads: {@code key} announcements, and all after a lost feed. */
  public void registerReloads(dev.coffer.daemon.cluster.Reloaders r) {
    r.on(dev.coffer.daemon.cluster.ChangeFeed.Topic.KEY, id -> forget(UUID.fromString(id)));
    r.onReloadAll(cache::invalidateAll);
  }

  /** Destroys the material of deleted key versions, in memory and in their stores. */
  public void destroy(List<StoredVersion> versions) {
    for (StoredVersion v : versions) {
      cache.invalidate(new VersionId(v.keyId(), v.version()));
      store(v.keyStore()).destroy(v.keyId(), v.version(), v.stored());
    }
  }
}
