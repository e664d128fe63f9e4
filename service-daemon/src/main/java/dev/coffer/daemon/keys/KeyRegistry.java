package dev.coffer.daemon.keys;

import dev.coffer.daemon.storage.Database;
import dev.coffer.daemon.storage.Database.StoredVersion;
import dev.coffer.protocol.ErrorType;
import dev.coffer.protocol.KmsException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.function.UnaryOperator;
import java.util.UUID;

/**
 * Every KMS key and alias: an in-memory view for reads, with each change committed to the
 * {@link Database} before it becomes visible or is acknowledged.
 *
 * <p>Changes are serialised under one lock, so a check (quota, alias uniqueness, state) and the
 * write it guards are atomic. Reads never take the lock.
 */
public final class KeyRegistry {

  private final Database db;
  private final int maxKeys;
  private final Map<UUID, KeyRecord> keys = new ConcurrentHashMap<>();
  private final ConcurrentSkipListMap<String, AliasRecord> aliases = new ConcurrentSkipListMap<>();
  private final Object writeLock = new Object();
  private volatile UnaryOperator<KeyRecord> view = UnaryOperator.identity();

  public KeyRegistry(Database db, int maxKeys) {
    this.db = db;
    this.maxKeys = maxKeys;
    db.loadKeys().forEach(k -> keys.put(k.id(), k));
    db.loadAliases().forEach(a -> aliases.put(a.name(), a));
  }

  public KeyRecord get(UUID id) {
    KeyRecord k = keys.get(id);
    return k == null ? null : view.apply(k);
  }

  /**
   * Sets how reads ({@link #get}, {@link #all}) present a key: custom key stores show the keys of
   * a store that is not connected as {@code Unavailable}. Changes ({@link #update} and the
   * others) always see and persist the stored record, so reconnecting restores the state.
   */
  public void setView(UnaryOperator<KeyRecord> v) {
    view = v;
  }

  public int count() {
    return keys.size();
  }

  /** All keys ordered by id, which keeps list markers stable across calls. */
  public List<KeyRecord> all() {
    List<KeyRecord> out = new ArrayList<>(keys.size());
    keys.values().forEach(k -> out.add(view.apply(k)));
    out.sort(Comparator.comparing(k -> k.id().toString()));
    return out;
  }

  public AliasRecord alias(String name) {
    return aliases.get(name);
  }

  /** All aliases ordered by name. */
  public List<AliasRecord> aliases() {
    return new ArrayList<>(aliases.values());
  }

  public List<AliasRecord> aliasesOf(UUID keyId) {
    return aliases.values().stream().filter(a -> a.targetKeyId().equals(keyId)).toList();
  }

  public Database database() {
    return db;
  }

  /** Creates a key with its first backing version (if any), within the key quota. */
  public KeyRecord create(KeyRecord key, Instant now, String keyStore, byte[] storedVersion) {
    return create(key, now, keyStore, storedVersion, tx -> null);
  }

  /**
   * Creates a key as {@link #create(KeyRecord, Instant, String, byte[])} does, running {@code
   * alsoInTx} (e.g. storing its key policy) in the same transaction.
   */
  public KeyRecord create(KeyRecord key, Instant now, String keyStore, byte[] storedVersion,
      Database.Work<Void> alsoInTx) {
    synchronized (writeLock) {
      if (keys.size() >= maxKeys) {
        throw new KmsException(
            ErrorType.LIMIT_EXCEEDED,
            "this daemon already holds its quota of " + maxKeys + " KMS keys; schedule unused"
                + " keys for deletion or raise max-keys in coffer.properties");
      }
      db.inTransaction(
          tx -> {
            tx.insertKey(key);
            if (storedVersion != null) {
              tx.insertVersion(key.id(), key.currentVersion(), now, keyStore, storedVersion, null);
            }
            return alsoInTx.run(tx);
          });
      keys.put(key.id(), key);
      return key;
    }
  }

  /**
   * Applies {@code change} to the current record of {@code id} and persists the result. The
   * function sees the latest state and may throw a {@link KmsException} to refuse the change.
   */
  public KeyRecord update(UUID id, UnaryOperator<KeyRecord> change) {
    synchronized (writeLock) {
      KeyRecord current = keys.get(id);
      if (current == null) {
        throw KeyResolver.notFound(id.toString());
      }
      KeyRecord next = change.apply(current);
      if (next.equals(current)) {
        return current;
      }
      db.inTransaction(
          tx -> {
            tx.updateKey(next);
            return null;
          });
      keys.put(id, next);
      return next;
    }
  }

  /** Makes the stored form of a new backing key version for a key. */
  @FunctionalInterface
  public interface VersionFactory {
    byte[] create(KeyRecord key, int version);
  }

  /**
   * Adds a backing key version (a rotation) in one transaction with the key's metadata change:
   * after a crash the rotation is either complete or absent.
   *
   * @param change checks the current record (may throw) and returns it with rotation
   *     bookkeeping updated; the version number is set here
   */
  public KeyRecord addVersion(UUID id, Instant now, String rotationType,
      UnaryOperator<KeyRecord> change, VersionFactory factory) {
    synchronized (writeLock) {
      KeyRecord current = keys.get(id);
      if (current == null) {
        throw KeyResolver.notFound(id.toString());
      }
      int version = current.currentVersion() + 1;
      KeyRecord next = change.apply(current).toBuilder().currentVersion(version).build();
      byte[] stored = factory.create(next, version);
      db.inTransaction(tx -> {
        tx.insertVersion(id, version, now, next.keyStore(), stored, rotationType);
        tx.updateKey(next);
        return null;
      });
      keys.put(id, next);
      return next;
    }
  }

  /**
   * Stores imported key material as version 1 and consumes the import token, in one
   * transaction; a token that was already consumed refuses the import.
   */
  public KeyRecord importMaterial(UUID id, byte[] token, UnaryOperator<KeyRecord> change,
      byte[] fingerprint, VersionFactory factory) {
    synchronized (writeLock) {
      KeyRecord current = keys.get(id);
      if (current == null) {
        throw KeyResolver.notFound(id.toString());
      }
      KeyRecord next = change.apply(current);
      boolean needsMaterial = current.currentVersion() == 0;
      byte[] stored = needsMaterial ? factory.create(next, 1) : null;
      KeyRecord finalNext = needsMaterial ? next.toBuilder().currentVersion(1).build() : next;
      db.inTransaction(tx -> {
        if (!tx.consumeImportToken(token)) {
          throw new KmsException(ErrorType.INVALID_IMPORT_TOKEN,
              "this import token was already used; call get-parameters-for-import for a new one");
        }
        if (stored != null) {
          tx.insertVersion(id, 1, finalNext.creationDate(), finalNext.keyStore(), stored, null);
        }
        tx.putMaterialFingerprint(id, fingerprint);
        tx.updateKey(finalNext);
        return null;
      });
      keys.put(id, finalNext);
      return finalNext;
    }
  }

  /**
   * Erases a key's backing key versions (imported material expired or was deleted) together
   * with the metadata change.
   *
   * @return the erased versions, for the key stores to destroy
   */
  public List<StoredVersion> eraseMaterial(UUID id, UnaryOperator<KeyRecord> change) {
    synchronized (writeLock) {
      KeyRecord current = keys.get(id);
      if (current == null) {
        throw KeyResolver.notFound(id.toString());
      }
      KeyRecord next = change.apply(current).toBuilder().currentVersion(0).build();
      List<StoredVersion> erased = db.inTransaction(tx -> {
        List<StoredVersion> v = tx.deleteVersions(id);
        tx.updateKey(next);
        return v;
      });
      keys.put(id, next);
      return erased;
    }
  }

  /** Creates or retargets an alias; {@code check} runs under the lock before the write. */
  public AliasRecord putAlias(String name, UnaryOperator<AliasRecord> change) {
    synchronized (writeLock) {
      AliasRecord next = change.apply(aliases.get(name));
      db.inTransaction(
          tx -> {
            tx.upsertAlias(next);
            return null;
          });
      aliases.put(name, next);
      return next;
    }
  }

  public void deleteAlias(String name) {
    synchronized (writeLock) {
      if (!aliases.containsKey(name)) {
        throw new KmsException(
            ErrorType.NOT_FOUND, "alias " + name + " does not exist; list them with list-aliases");
      }
      db.inTransaction(
          tx -> {
            tx.deleteAlias(name);
            return null;
          });
      aliases.remove(name);
    }
  }

  /**
   * Deletes every key whose deletion window ended by {@code now}, with its versions, tags and
   * aliases.
   *
   * @return the stored versions of the deleted keys, for their key stores to destroy
   */
  public List<StoredVersion> deleteDue(Instant now) {
    List<StoredVersion> destroyed = new ArrayList<>();
    synchronized (writeLock) {
      for (KeyRecord k : List.copyOf(keys.values())) {
        if (k.state() == KeyState.PendingDeletion
            && k.deletionDate() != null
            && !k.deletionDate().isAfter(now)) {
          destroyed.addAll(
              db.inTransaction(
                  tx -> {
                    List<StoredVersion> v = tx.versions(k.id());
                    tx.deleteKey(k.id());
                    return v;
                  }));
          keys.remove(k.id());
          aliases.values().removeIf(a -> a.targetKeyId().equals(k.id()));
        }
      }
    }
    return destroyed;
  }
}
