package dev.coffer.daemon.storage;

import dev.coffer.daemon.keys.AliasRecord;
import dev.coffer.daemon.keys.KeyMaterial;
import dev.coffer.daemon.keys.KeyRecord;
import dev.coffer.daemon.storage.Database.ImportToken;
import dev.coffer.daemon.storage.Database.StoredVersion;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.UUID;

/**
 * The reads and writes of one transaction ({@link Database#inTransaction}, {@link
 * Database#read}): each write lists the {@link Change} it made, which names the transaction's
 * audit records and its announcements to other nodes.
 */
public final class Tx {
  private final Connection conn;
  private final List<Change> changes = new ArrayList<>();
  /**
   * Whether a write locks what it re-reads with row locks ({@code SELECT ... FOR UPDATE}) and
   * transaction-level advisory locks: PostgreSQL. On SQLite a write transaction takes the one
   * database write lock instead (see {@link #lockForWrite}).
   */
  private final boolean rowLocking;

  Tx(Connection conn, boolean rowLocking) {
    this.conn = conn;
    this.rowLocking = rowLocking;
  }

  /** What this transaction's writes changed so far, in order. */
  List<Change> changes() {
    return List.copyOf(changes);
  }

  /** The connection, for statements on tables owned by other packages. */
  public Connection connection() {
    return conn;
  }

  public void insertKey(KeyRecord k) throws SQLException {
    KeysTable.insert(conn, k);
    changes.add(new Change(Change.Kind.KEY_CREATED, k.id(), null));
  }

  public void updateKey(KeyRecord k) throws SQLException {
    KeysTable.update(conn, k);
    changes.add(new Change(Change.Kind.KEY_UPDATED, k.id(), null));
  }

  /** Deletes a key with its versions, tags and aliases. */
  public void deleteKey(UUID keyId) throws SQLException {
    KeysTable.delete(conn, keyId);
    changes.add(new Change(Change.Kind.KEY_DELETED, keyId, null));
  }

  public void insertVersion(UUID keyId, int version, Instant created, String keyStore,
      byte[] stored, String rotationType) throws SQLException {
    KeyVersionsTable.insert(conn, keyId, version, created, keyStore, stored, rotationType);
    changes.add(new Change(Change.Kind.VERSION_ADDED, keyId, rotationType));
  }

  /**
   * Erases stored backing key versions of a key (imported material deleted or expired).
   *
   * @return the versions that were stored, for their key stores to destroy
   */
  public List<StoredVersion> deleteVersions(UUID keyId, Collection<Integer> versions)
      throws SQLException {
    List<StoredVersion> out = new ArrayList<>();
    for (StoredVersion v : versions(keyId)) {
      if (versions.contains(v.version())) {
        out.add(v);
      }
    }
    KeyVersionsTable.delete(conn, out);
    changes.add(new Change(Change.Kind.VERSIONS_DELETED, keyId, null));
    return out;
  }

  public List<StoredVersion> versions(UUID keyId) throws SQLException {
    return KeyVersionsTable.of(conn, keyId);
  }

  /** Records a key material, or replaces the record of its version. */
  public void putMaterial(UUID keyId, KeyMaterial m) throws SQLException {
    KeyVersionsTable.putMaterial(conn, keyId, m);
  }

  /** Forgets a key material (imported material pending rotation that was deleted). */
  public void deleteMaterial(UUID keyId, int version) throws SQLException {
    KeyVersionsTable.deleteMaterial(conn, keyId, version);
  }

  /** A key's stored materials ordered by version (empty when it has none). */
  public List<KeyMaterial> materialsOf(UUID keyId) throws SQLException {
    return KeyVersionsTable.materials(conn, keyId).getOrDefault(keyId, List.of());
  }

  public void insertImportToken(ImportToken t) throws SQLException {
    ImportTokensTable.insert(conn, t);
  }

  /** Marks a token used; false when it was already used (or does not exist). */
  public boolean consumeImportToken(byte[] token) throws SQLException {
    return ImportTokensTable.consume(conn, token);
  }

  /** Removes tokens that expired before {@code now}. */
  public int purgeImportTokens(Instant now) throws SQLException {
    return ImportTokensTable.purge(conn, now);
  }

  /** Stores the public key of a new asymmetric key. */
  public void insertPublicKey(UUID keyId, byte[] publicKey) throws SQLException {
    KeyPairTable.insert(conn, keyId, publicKey);
  }

  /** Replaces the certificate chain of an asymmetric key (null removes it). */
  public void putCertificateChain(UUID keyId, byte[] chain) throws SQLException {
    if (!KeyPairTable.putChain(conn, keyId, chain)) {
      throw new SQLException("key " + keyId + " has no key pair");
    }
    changes.add(new Change(Change.Kind.KEY_UPDATED, keyId, null));
  }

  // ------------------------------------------------ writes that resolve in the database
  // A write re-reads the row it changes through these, inside its transaction, and applies its
  // change to what the database holds, never to a node's memory: two nodes never overwrite
  // each other's change. See docs/cluster.md, Consistency.

  /** Key of the transaction-level advisory lock that serialises key quota checks. */
  static final long QUOTA_LOCK = 0x436f666665720001L;

  /**
   * Takes what this transaction needs to change rows it re-reads: on SQLite the database write
   * lock, at once (a read first would pin a snapshot that a later write could not commit on
   * when another connection wrote meanwhile); on PostgreSQL nothing, each read locks its rows.
   */
  public void lockForWrite() throws SQLException {
    if (!rowLocking) {
      try (Statement s = conn.createStatement()) {
        s.executeUpdate("DELETE FROM aliases WHERE 1 = 0");
      }
    }
  }

  /** The suffix of a read whose rows this transaction is about to change. */
  private String forUpdate() {
    return rowLocking ? " FOR UPDATE" : "";
  }

  /**
   * The stored record of a key with its tags, locked for this transaction (PostgreSQL
   * {@code SELECT ... FOR UPDATE}); null when no such key is stored.
   */
  public KeyRecord lockKey(UUID id) throws SQLException {
    lockForWrite();
    return KeysTable.find(conn, id, forUpdate());
  }

  /** The stored record of a key with its tags, without locking it; null when absent. */
  public KeyRecord readKey(UUID id) throws SQLException {
    return KeysTable.find(conn, id, "");
  }

  /** The stored alias {@code name}, locked for this transaction; null when absent. */
  public AliasRecord lockAlias(String name) throws SQLException {
    lockForWrite();
    List<AliasRecord> found = AliasesTable.where(conn, "name", name, forUpdate());
    return found.isEmpty() ? null : found.get(0);
  }

  /** The stored alias {@code name}, without locking it; null when absent. */
  public AliasRecord readAlias(String name) throws SQLException {
    List<AliasRecord> found = AliasesTable.where(conn, "name", name, "");
    return found.isEmpty() ? null : found.get(0);
  }

  /** The stored aliases of a key, ordered by name. */
  public List<AliasRecord> aliasesOf(UUID keyId) throws SQLException {
    return AliasesTable.where(conn, "target_key_id", keyId.toString(), "");
  }

  /**
   * Inserts a new alias unless one of that name is stored (by this node or another).
   *
   * @return false when the name was taken: nothing was written
   */
  public boolean insertAlias(AliasRecord a) throws SQLException {
    return AliasesTable.insertIfAbsent(conn, a);
  }

  /**
   * Retargets a stored alias.
   *
   * @return false when no alias of that name is stored: nothing was written
   */
  public boolean updateAlias(AliasRecord a) throws SQLException {
    return AliasesTable.update(conn, a);
  }

  /** Deletes an alias; false when none of that name was stored. */
  public boolean removeAlias(String name) throws SQLException {
    return AliasesTable.delete(conn, name);
  }

  /**
   * Serialises key quota checks across every node until this transaction ends: PostgreSQL
   * {@code pg_advisory_xact_lock}; SQLite takes its one write lock, which does the same.
   */
  public void lockKeyQuota() throws SQLException {
    if (rowLocking) {
      try (PreparedStatement p = conn.prepareStatement("SELECT pg_advisory_xact_lock(?)")) {
        p.setLong(1, QUOTA_LOCK);
        p.executeQuery().close();
      }
    } else {
      lockForWrite();
    }
  }

  /** How many rows a query of the form {@code SELECT COUNT(*) ...} counts. */
  public long count(String countSql) throws SQLException {
    try (Statement s = conn.createStatement(); ResultSet r = s.executeQuery(countSql)) {
      return r.next() ? r.getLong(1) : 0;
    }
  }
}
