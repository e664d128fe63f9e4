package dev.coffer.daemon.keys;

import dev.coffer.daemon.cluster.Announcer;
import dev.coffer.daemon.cluster.ChangeFeed.Topic;
import dev.coffer.daemon.cluster.Reloaders;
import dev.coffer.daemon.storage.Database;
import dev.coffer.daemon.storage.Tx;
import dev.coffer.daemon.storage.Database.StoredVersion;
import dev.coffer.protocol.ErrorType;
import dev.coffer.protocol.KmsException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.function.UnaryOperator;
import java.util.UUID;

/**
 * Every KMS key and alias: an in-memory view for reads, with each change committed to the
 * {@link Database} before it becomes visible or is acknowledged.
 *
 * <p>Changes resolve in the database, so several nodes can share it: each write re-reads, inside
 * its transaction, the stored row it changes ({@link Tx#lockKey}: {@code SELECT ... FOR
 * UPDATE} on PostgreSQL), applies its check and change to that, and then puts what it wrote into
 * this view. An alias is created by an insert the database refuses when the name is taken; the
 * key quota is counted in the database under a cluster-wide lock. Another node's changes reach
 * this view through {@link #reloadKey}, {@link #reloadAlias} and {@link #reloadAll} (the
 * {@link dev.coffer.daemon.cluster.ChangeFeed}), and each write announces its own through the
 * {@link Announcer}. Within one node writes are also serialised under one lock; reads never take
 * it. See docs/cluster.md, Consistency.
 */
public final class KeyRegistry {

  private final Database db;
  private final int maxKeys;
  private final Map<UUID, KeyRecord> keys = new ConcurrentHashMap<>();
  private final ConcurrentSkipListMap<String, AliasRecord> aliases = new ConcurrentSkipListMap<>();
  /** Each key's materials, ordered by version; replaced whole under the write lock. */
  private final Map<UUID, List<KeyMaterial>> materials = new ConcurrentHashMap<>();
  private final Object writeLock = new Object();
  private volatile UnaryOperator<KeyRecord> view = UnaryOperator.identity();
  /** Counts, in the database, the stored keys the quota does not count (AWS managed keys). */
  private volatile Database.Work<Long> quotaExempt = tx -> 0L;
  private volatile Announcer announcer = Announcer.NONE;

  public KeyRegistry(Database db, int maxKeys) {
    this.db = db;
    this.maxKeys = maxKeys;
    db.loadKeys().forEach(k -> keys.put(k.id(), k));
    db.loadAliases().forEach(a -> aliases.put(a.name(), a));
    db.loadMaterials().forEach((id, list) -> materials.put(id, List.copyOf(list)));
  }

  /** A key's materials ordered by version (empty for a key without any), immutable. */
  public List<KeyMaterial> materials(UUID keyId) {
    return materials.getOrDefault(keyId, List.of());
  }

  /** The material stored under one version of a key, or null. */
  public KeyMaterial material(UUID keyId, int version) {
    for (KeyMaterial m : materials(keyId)) {
      if (m.version() == version) {
        return m;
      }
    }
    return null;
  }

  /** The {@code KeyMaterialId} of one version of a key, or null if it has no material. */
  public String materialId(UUID keyId, int version) {
    KeyMaterial m = material(keyId, version);
    return m == null ? null : m.id();
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

  /**
   * Sets how the keys the key quota does not count are counted, in the creating transaction:
   * AWS managed keys "do not count against this limit" (KMS FAQ, Limits).
   */
  public void setQuotaExempt(Database.Work<Long> exempt) {
    quotaExempt = exempt;
  }

  /** Sets how this registry's writes are announced to other nodes (none by default). */
  public void setAnnouncer(Announcer a) {
    announcer = a;
  }

  /** Registers this registry's reloads: {@code key} and {@code alias} announcements, and all. */
  public void registerReloads(Reloaders r) {
    r.on(Topic.KEY, id -> reloadKey(UUID.fromString(id)));
    r.on(Topic.ALIAS, this::reloadAlias);
    r.onReloadAll(this::reloadAll);
  }

  /** The key quota ({@code max-keys}). */
  public int maxKeys() {
    return maxKeys;
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
    KeyMaterial first = storedVersion == null ? null
        : KeyMaterial.generated(key.id(), key.currentVersion(), null, null);
    synchronized (writeLock) {
      db.inTransaction(
          tx -> {
            // Counted in the database under a lock every node's CreateKey takes: the quota holds
            // across nodes.
            tx.lockKeyQuota();
            if (tx.count("SELECT COUNT(*) FROM keys") - quotaExempt.run(tx) >= maxKeys) {
              throw new KmsException(
                  ErrorType.LIMIT_EXCEEDED,
                  "the database already holds its quota of " + maxKeys + " KMS keys (counted"
                      + " across every node); schedule unused keys for deletion or raise"
                      + " max-keys in coffer.properties");
            }
            tx.insertKey(key);
            if (storedVersion != null) {
              tx.insertVersion(key.id(), key.currentVersion(), now, keyStore, storedVersion, null);
              tx.putMaterial(key.id(), first);
            }
            announcer.announce(tx, Topic.KEY, key.id().toString());
            return alsoInTx.run(tx);
          });
      // Materials before the record: a reader that sees a version also finds its material.
      if (first != null) {
        materials.put(key.id(), List.of(first));
      }
      keys.put(key.id(), key);
      return key;
    }
  }

  /**
   * Creates a key outside the key quota together with an alias naming it, in one transaction,
   * unless the alias exists already (a concurrent first use created it): the AWS managed keys
   * that first use of {@code alias/coffer/<name>} creates.
   *
   * @param alsoInTx more work in the same transaction (the key's fixed policy, its managed-key
   *     record)
   * @return the alias's key: the new one, or the existing one when the alias was already taken
   */
  public UUID createWithAlias(KeyRecord key, Instant now, String keyStore, byte[] storedVersion,
      AliasRecord alias, Database.Work<Void> alsoInTx) {
    KeyMaterial first = KeyMaterial.generated(key.id(), key.currentVersion(), null, null);
    synchronized (writeLock) {
      AliasRecord existing = aliases.get(alias.name());
      if (existing != null) {
        return existing.targetKeyId();
      }
      try {
        db.inTransaction(tx -> {
          tx.insertKey(key);
          tx.insertVersion(key.id(), key.currentVersion(), now, keyStore, storedVersion, null);
          tx.putMaterial(key.id(), first);
          if (!tx.insertAlias(alias)) {
            throw new AliasTaken(); // by another node meanwhile: roll the key back
          }
          announcer.announce(tx, Topic.KEY, key.id().toString());
          announcer.announce(tx, Topic.ALIAS, alias.name());
          return alsoInTx.run(tx);
        });
      } catch (AliasTaken taken) {
        AliasRecord stored = reloadAlias(alias.name());
        if (stored == null) {
          throw new KmsException(ErrorType.INTERNAL,
              "alias " + alias.name() + " changed while it was created; retry the request");
        }
        return stored.targetKeyId();
      }
      materials.put(key.id(), List.of(first));
      keys.put(key.id(), key);
      aliases.put(alias.name(), alias);
      return key.id();
    }
  }

  /**
   * Applies {@code change} to the stored record of {@code id}, re-read and locked in the writing
   * transaction (so another node's committed change is never overwritten), and persists the
   * result. The function may throw a {@link KmsException} to refuse the change.
   */
  public KeyRecord update(UUID id, UnaryOperator<KeyRecord> change) {
    synchronized (writeLock) {
      KeyRecord next = db.inTransaction(tx -> {
        KeyRecord current = lockKey(tx, id);
        KeyRecord changed = change.apply(current);
        if (!changed.equals(current)) {
          tx.updateKey(changed);
          announcer.announce(tx, Topic.KEY, id.toString());
        }
        return changed;
      });
      keys.put(id, next);
      return next;
    }
  }

  /** The stored record of {@code id}, locked for {@code tx}; NotFound when not stored. */
  private KeyRecord lockKey(Tx tx, UUID id) throws java.sql.SQLException {
    KeyRecord current = tx.lockKey(id);
    if (current == null) {
      keys.remove(id); // deleted by another node
      throw KeyResolver.notFound(id.toString());
    }
    return current;
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
    record Added(KeyRecord key, List<KeyMaterial> materials) {}
    synchronized (writeLock) {
      Added added = db.inTransaction(tx -> {
        KeyRecord current = lockKey(tx, id);
        int version = current.currentVersion() + 1;
        KeyRecord changed = change.apply(current).toBuilder().currentVersion(version).build();
        byte[] stored = factory.create(changed, version);
        KeyMaterial material = KeyMaterial.generated(id, version, rotationType, now);
        tx.insertVersion(id, version, now, changed.keyStore(), stored, rotationType);
        tx.putMaterial(id, material);
        tx.updateKey(changed);
        announcer.announce(tx, Topic.KEY, id.toString());
        return new Added(changed, tx.materialsOf(id));
      });
      // Materials before the record: a reader that sees a version also finds its material.
      materials.put(id, List.copyOf(added.materials()));
      keys.put(id, added.key());
      return added.key();
    }
  }

  /**
   * Changes a key's materials (import, rotation to imported material, deletion, expiry) in one
   * transaction with its metadata and, when {@code token} is not null, the consumption of that
   * import token: after a crash the change is complete or absent, and a token that was already
   * consumed refuses the change. A planner that returns null changes nothing.
   */
  public MaterialResult changeMaterials(UUID id, Instant now, byte[] token,
      MaterialPlanner planner) {
    synchronized (writeLock) {
      MaterialResult result = db.inTransaction(tx -> {
        KeyRecord current = lockKey(tx, id);
        MaterialChange c = planner.plan(current, tx.materialsOf(id));
        if (c == null) {
          return new MaterialResult(current, List.of());
        }
        if (token != null && !tx.consumeImportToken(token)) {
          throw new KmsException(ErrorType.INVALID_IMPORT_TOKEN,
              "this import token was already used; call get-parameters-for-import for a new one");
        }
        Set<Integer> dropped = union(c.erase(), c.forget());
        List<StoredVersion> gone = tx.deleteVersions(id, dropped);
        if (gone.size() < dropped.size()) {
          // Material this node's copy still holds is already gone from the database: another
          // node erased it (a stale leader's expiry pass). Change and record nothing.
          throw new KmsException(ErrorType.CONFLICT, "key " + id + "'s key material was changed"
              + " on another node while this request ran; retry the request");
        }
        for (int v : c.forget()) {
          tx.deleteMaterial(id, v);
        }
        for (Map.Entry<Integer, byte[]> e : c.store().entrySet()) {
          tx.insertVersion(id, e.getKey(), now, c.key().keyStore(), e.getValue(), null);
        }
        for (KeyMaterial m : c.put()) {
          tx.putMaterial(id, m);
        }
        tx.updateKey(c.key());
        announcer.announce(tx, Topic.KEY, id.toString());
        return new MaterialResult(c.key(), gone);
      });
      reloadKey(id); // materials and record as committed
      return result;
    }
  }

  private static Set<Integer> union(Set<Integer> a, Set<Integer> b) {
    Set<Integer> u = new java.util.TreeSet<>(a);
    u.addAll(b);
    return u;
  }

  private static List<KeyMaterial> withChanges(List<KeyMaterial> old, List<KeyMaterial> put,
      Set<Integer> forget) {
    java.util.TreeMap<Integer, KeyMaterial> byVersion = new java.util.TreeMap<>();
    old.forEach(m -> byVersion.put(m.version(), m));
    forget.forEach(byVersion::remove);
    put.forEach(m -> byVersion.put(m.version(), m));
    return List.copyOf(byVersion.values());
  }

  /**
   * Creates an alias ({@code CreateAlias}) by an insert the database refuses when the name is
   * taken, by this node or another: exactly one of two concurrent creations succeeds.
   *
   * @param check runs in the transaction, on the target's stored record and its stored aliases;
   *     may refuse by throwing a {@link KmsException}
   * @throws KmsException AlreadyExistsException when the alias exists
   */
  public AliasRecord createAlias(AliasRecord alias, AliasCheck check) {
    synchronized (writeLock) {
      db.inTransaction(tx -> {
        tx.lockForWrite();
        check.check(lockKey(tx, alias.targetKeyId()), tx.aliasesOf(alias.targetKeyId()));
        if (!tx.insertAlias(alias)) {
          throw alreadyExists(alias.name());
        }
        announcer.announce(tx, Topic.ALIAS, alias.name());
        return null;
      });
      aliases.put(alias.name(), alias);
      return alias;
    }
  }

  /**
   * Retargets an existing alias ({@code UpdateAlias}); the stored alias is re-read and changed
   * in one transaction.
   *
   * @param change gets the stored alias and returns it retargeted; may throw
   * @param check as for {@link #createAlias}, on the new target
   * @throws KmsException NotFoundException when no such alias is stored
   */
  public AliasRecord updateAlias(String name, UnaryOperator<AliasRecord> change,
      AliasCheck check) {
    synchronized (writeLock) {
      AliasRecord next = db.inTransaction(tx -> {
        AliasRecord stored = tx.lockAlias(name);
        if (stored == null) {
          throw new KmsException(ErrorType.NOT_FOUND,
              "alias " + name + " does not exist; create it with create-alias");
        }
        AliasRecord changed = change.apply(stored);
        check.check(lockKey(tx, changed.targetKeyId()), tx.aliasesOf(changed.targetKeyId()));
        tx.updateAlias(changed);
        announcer.announce(tx, Topic.ALIAS, name);
        return changed;
      });
      aliases.put(name, next);
      return next;
    }
  }

  private static KmsException alreadyExists(String name) {
    return new KmsException(ErrorType.ALREADY_EXISTS,
        "alias " + name + " already exists; use update-alias to point it at another key");
  }

  /** Thrown inside a transaction to roll it back when its alias was taken. */
  private static final class AliasTaken extends RuntimeException {
    AliasTaken() {
      super(null, null, false, false);
    }
  }

  public void deleteAlias(String name) {
    synchronized (writeLock) {
      db.inTransaction(
          tx -> {
            if (!tx.removeAlias(name)) {
              throw new KmsException(ErrorType.NOT_FOUND,
                  "alias " + name + " does not exist; list them with list-aliases");
            }
            announcer.announce(tx, Topic.ALIAS, name);
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
          // Decided on the database's row, not this node's copy: another node (a leader
          // before this one) may have deleted the key or cancelled its deletion. The re-read
          // locks the row (PostgreSQL: FOR UPDATE waits for a concurrent deleter), so of two
          // runners exactly one deletes; the other changes and records nothing.
          List<StoredVersion> gone =
              db.inTransaction(
                  tx -> {
                    KeyRecord stored = tx.lockKey(k.id());
                    if (stored == null || stored.state() != KeyState.PendingDeletion
                        || stored.deletionDate() == null || stored.deletionDate().isAfter(now)) {
                      return List.<StoredVersion>of();
                    }
                    List<StoredVersion> v = tx.versions(k.id());
                    tx.deleteKey(k.id());
                    announcer.announce(tx, Topic.KEY, k.id().toString());
                    return v;
                  });
          destroyed.addAll(gone);
          reloadKey(k.id()); // gone, or as another node left it
        }
      }
    }
    return destroyed;
  }

  // ------------------------------------------------------------ reloads (the change feed)

  /**
   * Reloads one key from the database: its record, materials and aliases; a key no longer
   * stored is removed with its materials and aliases.
   *
   * @return the stored record, or null when the key is gone
   */
  public KeyRecord reloadKey(UUID id) {
    record Loaded(KeyRecord key, List<KeyMaterial> materials, List<AliasRecord> aliases) {}
    synchronized (writeLock) {
      Loaded l = db.read(tx -> {
        KeyRecord k = tx.readKey(id);
        return k == null ? new Loaded(null, List.of(), List.of())
            : new Loaded(k, tx.materialsOf(id), tx.aliasesOf(id));
      });
      if (l.key() == null) {
        keys.remove(id);
        materials.remove(id);
        aliases.values().removeIf(a -> a.targetKeyId().equals(id));
        return null;
      }
      // Materials before the record: a reader that sees a version also finds its material.
      materials.put(id, List.copyOf(l.materials()));
      keys.put(id, l.key());
      aliases.values().removeIf(a -> a.targetKeyId().equals(id)
          && l.aliases().stream().noneMatch(b -> b.name().equals(a.name())));
      l.aliases().forEach(a -> aliases.put(a.name(), a));
      return l.key();
    }
  }

  /**
   * Reloads one alias from the database (created, retargeted or deleted elsewhere).
   *
   * @return the stored alias, or null when none of that name is stored
   */
  public AliasRecord reloadAlias(String name) {
    synchronized (writeLock) {
      AliasRecord a = db.read(tx -> tx.readAlias(name));
      if (a == null) {
        aliases.remove(name);
      } else {
        aliases.put(name, a);
      }
      return a;
    }
  }

  /** Reloads every key, material and alias: announcements may have been missed. */
  public void reloadAll() {
    synchronized (writeLock) {
      Map<UUID, KeyRecord> k = new java.util.HashMap<>();
      db.loadKeys().forEach(r -> k.put(r.id(), r));
      Map<String, AliasRecord> a = new java.util.HashMap<>();
      db.loadAliases().forEach(r -> a.put(r.name(), r));
      Map<UUID, List<KeyMaterial>> m = db.loadMaterials();
      m.forEach((id, list) -> materials.put(id, List.copyOf(list)));
      materials.keySet().retainAll(m.keySet());
      keys.putAll(k);
      keys.keySet().retainAll(k.keySet());
      aliases.putAll(a);
      aliases.keySet().retainAll(a.keySet());
    }
  }
}
