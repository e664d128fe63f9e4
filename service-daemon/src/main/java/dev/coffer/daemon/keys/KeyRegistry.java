package dev.coffer.daemon.keys;

import dev.coffer.daemon.cluster.Announcer;
import dev.coffer.daemon.cluster.ChangeFeed.Topic;
import dev.coffer.daemon.cluster.Reloaders;
import dev.coffer.daemon.storage.Database;
import dev.coffer.daemon.storage.Database.StoredVersion;
import dev.coffer.daemon.storage.Tx;
import dev.coffer.protocol.ErrorType;
import dev.coffer.protocol.KmsException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.function.UnaryOperator;

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
 *
 * <p>The view itself, with the order in which it takes a change, is {@link KeyView}; an alias's
 * writes are {@link AliasWrites}, and the writes that change key materials {@link
 * MaterialWrites}. Every write and reload takes this registry's one write lock here, in this
 * class, and hands the view only what its transaction committed.
 */
public final class KeyRegistry {

  private final Database db;
  private final int maxKeys;
  private final KeyView keyView;
  private final AliasWrites aliasWrites;
  private final MaterialWrites materialWrites;
  /** Serialises this node's writes and reloads: one lock, whichever kind of change. */
  private final Object writeLock = new Object();
  /** How reads present a stored key ({@link #setView}). */
  private volatile UnaryOperator<KeyRecord> presentation = UnaryOperator.identity();
  /** Counts, in the database, the stored keys the quota does not count (AWS managed keys). */
  private volatile Database.Work<Long> quotaExempt = tx -> 0L;
  private volatile Announcer announcer = Announcer.NONE;

  public KeyRegistry(Database db, int maxKeys) {
    this.db = db;
    this.maxKeys = maxKeys;
    this.keyView = new KeyView(db);
    this.aliasWrites = new AliasWrites(db, keyView);
    this.materialWrites = new MaterialWrites(db, keyView);
  }

  /** A key's materials ordered by version (empty for a key without any), immutable. */
  public List<KeyMaterial> materials(UUID keyId) {
    return keyView.materials(keyId);
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
    KeyRecord k = keyView.key(id);
    return k == null ? null : presentation.apply(k);
  }

  /**
   * Sets how reads ({@link #get}, {@link #all}) present a key: custom key stores show the keys of
   * a store that is not connected as {@code Unavailable}. Changes ({@link #update} and the
   * others) always see and persist the stored record, so reconnecting restores the state.
   */
  public void setView(UnaryOperator<KeyRecord> v) {
    presentation = v;
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
    return keyView.count();
  }

  /** All keys ordered by id, which keeps list markers stable across calls. */
  public List<KeyRecord> all() {
    List<KeyRecord> out = new ArrayList<>(keyView.count());
    keyView.keys().forEach(k -> out.add(presentation.apply(k)));
    out.sort(Comparator.comparing(k -> k.id().toString()));
    return out;
  }

  public AliasRecord alias(String name) {
    return keyView.alias(name);
  }

  /** All aliases ordered by name. */
  public List<AliasRecord> aliases() {
    return new ArrayList<>(keyView.aliases());
  }

  public List<AliasRecord> aliasesOf(UUID keyId) {
    return keyView.aliases().stream().filter(a -> a.targetKeyId().equals(keyId)).toList();
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
      if (first != null) {
        keyView.putKey(key.id(), key, List.of(first));
      } else {
        keyView.putKey(key.id(), key);
      }
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
      AliasRecord existing = keyView.alias(alias.name());
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
      keyView.putKey(key.id(), key, List.of(first));
      keyView.putAlias(alias.name(), alias);
      return key.id();
    }
  }

  /** Thrown inside a transaction to roll it back when its alias was taken. */
  private static final class AliasTaken extends RuntimeException {
    AliasTaken() {
      super(null, null, false, false);
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
        KeyRecord current = keyView.lockKey(tx, id);
        KeyRecord changed = change.apply(current);
        if (!changed.equals(current)) {
          tx.updateKey(changed);
          announcer.announce(tx, Topic.KEY, id.toString());
        }
        return changed;
      });
      keyView.putKey(id, next);
      return next;
    }
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
      return materialWrites.addVersion(announcer, id, now, rotationType, change, factory);
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
      return materialWrites.changeMaterials(announcer, id, now, token, planner);
    }
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
      return aliasWrites.create(announcer, alias, check);
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
      return aliasWrites.update(announcer, name, change, check);
    }
  }

  /**
   * Deletes an alias ({@code DeleteAlias}).
   *
   * @throws KmsException NotFoundException when no such alias is stored
   */
  public void deleteAlias(String name) {
    synchronized (writeLock) {
      aliasWrites.delete(announcer, name);
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
      for (KeyRecord k : List.copyOf(keyView.keys())) {
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
    synchronized (writeLock) {
      return keyView.reloadKey(db, id);
    }
  }

  /**
   * Reloads one alias from the database (created, retargeted or deleted elsewhere).
   *
   * @return the stored alias, or null when none of that name is stored
   */
  public AliasRecord reloadAlias(String name) {
    synchronized (writeLock) {
      return keyView.reloadAlias(db, name);
    }
  }

  /** Reloads every key, material and alias: announcements may have been missed. */
  public void reloadAll() {
    synchronized (writeLock) {
      keyView.reloadAll(db);
    }
  }
}
