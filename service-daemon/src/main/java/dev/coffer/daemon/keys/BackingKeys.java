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
   * Drops the opened versions of a key that the database no longer stores, destroying them in
   * memory: another node deleted the key or erased material (deleted or expired). A version's
   * material never changes while it is stored, so versions still stored stay opened: a key
   * change (a tag, a state) must not pull material from under a request using it. A version the
   * cache never held is always read from the database, so one another node added is found.
   */
  public void forget(UUID keyId) {
    List<VersionId> cached = cache.asMap().keySet().stream()
        .filter(v -> v.keyId().equals(keyId)).toList();
    if (cached.isEmpty()) {
      return;
    }
    java.util.Set<Integer> stored = db.read(tx -> {
      java.util.Set<Integer> out = new java.util.HashSet<>();
      tx.versions(keyId).forEach(v -> out.add(v.version()));
      return out;
    });
    cache.invalidateAll(cached.stream().filter(v -> !stored.contains(v.version())).toList());
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
