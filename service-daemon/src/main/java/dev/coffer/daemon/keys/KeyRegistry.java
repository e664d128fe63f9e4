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
import java.util.Set;
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
  /** Each key's materials, ordered by version; replaced whole under the write lock. */
  private final Map<UUID, List<KeyMaterial>> materials = new ConcurrentHashMap<>();
  private final Object writeLock = new Object();
  private volatile UnaryOperator<KeyRecord> view = UnaryOperator.identity();
  /** How many of {@link #keys} the quota does not count (AWS managed keys). */
  private volatile java.util.function.IntSupplier quotaExempt = () -> 0;

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
   * Sets how many keys the key quota does not count: AWS managed keys "do not count against
   * this limit" (KMS FAQ, Limits).
   */
  public void setQuotaExempt(java.util.function.IntSupplier exempt) {
    quotaExempt = exempt;
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
      if (keys.size() - quotaExempt.getAsInt() >= maxKeys) {
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
              tx.putMaterial(key.id(), first);
            }
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
      db.inTransaction(tx -> {
        tx.insertKey(key);
        tx.insertVersion(key.id(), key.currentVersion(), now, keyStore, storedVersion, null);
        tx.putMaterial(key.id(), first);
        tx.upsertAlias(alias);
        return alsoInTx.run(tx);
      });
      materials.put(key.id(), List.of(first));
      keys.put(key.id(), key);
      aliases.put(alias.name(), alias);
      return key.id();
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
      KeyMaterial material = KeyMaterial.generated(id, version, rotationType, now);
      db.inTransaction(tx -> {
        requireRotationUnchanged(tx, current);
        tx.insertVersion(id, version, now, next.keyStore(), stored, rotationType);
        tx.putMaterial(id, material);
        tx.updateKey(next);
        return null;
      });
      materials.put(id, withChanges(materials(id), List.of(material), Set.of()));
      keys.put(id, next);
      return next;
    }
  }

  /**
   * One change to a key's materials, applied with the key's new record in one transaction.
   *
   * @param key the key's record after the change
   * @param put material records to add or replace
   * @param store stored forms of material to add, by version
   * @param erase versions whose stored material to destroy (their records stay)
   * @param forget versions to drop entirely, record and stored material
   */
  public record MaterialChange(KeyRecord key, List<KeyMaterial> put, Map<Integer, byte[]> store,
      Set<Integer> erase, Set<Integer> forget) {
    public MaterialChange {
      put = List.copyOf(put);
      store = Map.copyOf(store);
      erase = Set.copyOf(erase);
      forget = Set.copyOf(forget);
    }
  }

  /**
   * Plans a {@link MaterialChange} from the current record and materials (ordered by version);
   * may refuse by throwing a {@link KmsException}, or return null for no change.
   */
  @FunctionalInterface
  public interface MaterialPlanner {
    MaterialChange plan(KeyRecord current, List<KeyMaterial> materials);
  }

  /** A key after a material change, and the stored versions the key stores must destroy. */
  public record MaterialResult(KeyRecord key, List<StoredVersion> destroyed) {}

  /**
   * Changes a key's materials (import, rotation to imported material, deletion, expiry) in one
   * transaction with its metadata and, when {@code token} is not null, the consumption of that
   * import token: after a crash the change is complete or absent, and a token that was already
   * consumed refuses the change. A planner that returns null changes nothing.
   */
  public MaterialResult changeMaterials(UUID id, Instant now, byte[] token,
      MaterialPlanner planner) {
    synchronized (writeLock) {
      KeyRecord current = keys.get(id);
      if (current == null) {
        throw KeyResolver.notFound(id.toString());
      }
      MaterialChange c = planner.plan(current, materials(id));
      if (c == null) {
        return new MaterialResult(current, List.of());
      }
      List<StoredVersion> destroyed = db.inTransaction(tx -> {
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
        return gone;
      });
      materials.put(id, withChanges(materials(id), c.put(), c.forget()));
      keys.put(id, c.key());
      return new MaterialResult(c.key(), destroyed);
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
          // Decided on the database's row, not this node's copy: another node (a leader
          // before this one) may have deleted the key or cancelled its deletion. The
          // conditional DELETE takes the row's lock (PostgreSQL re-checks the condition after a
          // concurrent writer commits), so of two runners exactly one deletes; the other
          // changes and records nothing.
          List<StoredVersion> gone =
              db.inTransaction(
                  tx -> {
                    List<StoredVersion> v = tx.versions(k.id());
                    if (!deleteIfStillDue(tx, k.id(), now)) {
                      return exists(tx, k.id()) ? null : List.<StoredVersion>of();
                    }
                    tx.deleteKey(k.id()); // the row is gone; this records the change
                    return v;
                  });
          if (gone == null) {
            continue; // still there, no longer due: the change feed brings its new state
          }
          destroyed.addAll(gone);
          keys.remove(k.id());
          materials.remove(k.id());
          aliases.values().removeIf(a -> a.targetKeyId().equals(k.id()));
        }
      }
    }
    return destroyed;
  }

  /**
   * Deletes key {@code id}'s row (its versions, tags and aliases go with it: ON DELETE CASCADE)
   * if the database still has it pending deletion with its date not after {@code now}; false
   * when it does not.
   */
  private static boolean deleteIfStillDue(Database.Tx tx, UUID id, Instant now)
      throws java.sql.SQLException {
    try (java.sql.PreparedStatement p = tx.connection().prepareStatement(
        "DELETE FROM keys WHERE id = ? AND state = ? AND deletion_ms IS NOT NULL"
            + " AND deletion_ms <= ?")) {
      p.setString(1, id.toString());
      p.setString(2, KeyState.PendingDeletion.name());
      p.setLong(3, now.toEpochMilli());
      return p.executeUpdate() == 1;
    }
  }

  /**
   * Refuses with {@code ConflictException} when the database's row no longer has {@code
   * copy}'s state, version or rotation schedule: another node rotated, disabled or rescheduled
   * the key since this node's copy was made, so a rotation decided on the copy (a stale leader's
   * automatic rotation) must change and record nothing. Two rotations racing on the same copy
   * are kept apart by the key_versions primary key.
   */
  private static void requireRotationUnchanged(Database.Tx tx, KeyRecord copy)
      throws java.sql.SQLException {
    try (java.sql.PreparedStatement p = tx.connection().prepareStatement(
        "SELECT state, current_version, rotation_period_days, next_rotation_ms FROM keys"
            + " WHERE id = ?")) {
      p.setString(1, copy.id().toString());
      try (java.sql.ResultSet r = p.executeQuery()) {
        boolean same = r.next()
            && r.getString(1).equals(copy.state().name())
            && r.getInt(2) == copy.currentVersion()
            && r.getInt(3) == copy.rotationPeriodDays();
        if (same) {
          long next = r.getLong(4);
          Long stored = r.wasNull() ? null : next;
          Long mine = copy.nextRotationDate() == null ? null
              : copy.nextRotationDate().toEpochMilli();
          same = java.util.Objects.equals(stored, mine);
        }
        if (!same) {
          throw new KmsException(ErrorType.CONFLICT, "key " + copy.id() + " was changed on"
              + " another node while this request ran; retry the request");
        }
      }
    }
  }

  private static boolean exists(Database.Tx tx, UUID id) throws java.sql.SQLException {
    try (java.sql.PreparedStatement p = tx.connection().prepareStatement(
        "SELECT 1 FROM keys WHERE id = ?")) {
      p.setString(1, id.toString());
      try (java.sql.ResultSet r = p.executeQuery()) {
        return r.next();
      }
    }
  }
}
