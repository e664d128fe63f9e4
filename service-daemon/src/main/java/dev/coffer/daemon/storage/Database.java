package dev.coffer.daemon.storage;

import dev.coffer.daemon.files.SecureFiles;
import dev.coffer.daemon.keys.AliasRecord;
import dev.coffer.daemon.keys.KeyMaterial;
import dev.coffer.daemon.keys.KeyRecord;
import dev.coffer.daemon.keys.KeyState;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.sqlite.SQLiteConfig;

/**
 * Durable state in SQLite (WAL journal, {@code synchronous=FULL}): a change the daemon has
 * acknowledged has been committed and fsynced, so it survives {@code kill -9} and power loss.
 *
 * <p>One connection, used under this object's monitor: SQLite serialises writers anyway, and
 * reads are served from the daemon's in-memory view.
 *
 * <p>Audit outbox: a transaction run inside a {@linkplain #inScope commit scope} stores the audit
 * records its changes need in the {@code audit_outbox} table, in that same transaction. A change
 * is therefore never committed without its record; the audit side ships outbox rows to the audit
 * log and deletes them once they are durable there ({@link #markShipped}). See
 * {@code docs/audit.md}.
 */
public final class Database implements Closeable {

  /**
   * 1: keys, versions, tokens, one fingerprint per imported key. 2: {@code key_materials}, one
   * row per key material with its {@code KeyMaterialId} (several imported materials per key).
   * 3: {@code key_pairs}, the public key and certificate chain of asymmetric keys.
   */
  private static final int SCHEMA_VERSION = 3;

  /** Log pages after which a commit checkpoints (SQLite's {@code wal_autocheckpoint}). */
  static final int WAL_AUTOCHECKPOINT_PAGES = 16;

  /** Files SQLite keeps beside the database; they hold the same data, so the same mode. */
  public static final java.util.List<String> JOURNAL_SUFFIXES =
      java.util.List.of("-wal", "-shm", "-journal");

  private final Connection conn;
  private final ThreadLocal<CommitScope> scope = new ThreadLocal<>();
  /** Outbox rows whose records are durable in the audit log: deleted by the next commit. */
  private final Set<String> shipped = ConcurrentHashMap.newKeySet();
  /** Run inside every transaction before it commits (usage accounting's key periods). */
  private final List<CommitHook> hooks = new java.util.concurrent.CopyOnWriteArrayList<>();

  /** The daemon's home, where {@link NodeId#FILE} is; the database file's directory. */
  private final Path home;
  private volatile String nodeId;

  private Database(Connection conn, Path home) {
    this.conn = conn;
    this.home = home;
  }

  /** The engine holding this database: {@link Engine#SQLITE} for a database {@link #open}ed from a file. */
  public Engine engine() {
    return Engine.SQLITE;
  }

  /**
   * A new JDBC connection to this same database, for work that needs its own session (a {@code
   * LISTEN} connection, an advisory-lock session). The caller closes it.
   *
   * @throws UnsupportedOperationException on SQLite: one node, one connection, nothing to
   *     listen to or lock against
   */
  public Connection newConnection() throws SQLException {
    throw new UnsupportedOperationException("SQLite serves one node: a second connection is"
        + " never needed (engine " + engine() + ")");
  }

  /**
   * This node's name among the nodes sharing the database ({@link NodeId}: {@code
   * $COFFER_HOME/node-id}, created on first use). Read lazily, so a daemon that never asks
   * leaves its home as before.
   *
   * @throws IOException if the node id file cannot be read or created
   */
  public String nodeId() throws IOException {
    String id = nodeId;
    if (id == null) {
      synchronized (this) {
        if (nodeId == null) {
          nodeId = NodeId.readOrCreate(home);
        }
        id = nodeId;
      }
    }
    return id;
  }

  /**
   * Opens (creating) the database at {@code file}. A new database is created empty with mode
   * 0600 before SQLite opens it: SQLite would create it 0644 minus the umask, and on Unix it
   * gives the {@code -wal} and {@code -shm} files it creates later the main file's mode, so they
   * are 0600 too (checked by {@code FileModesTest}); they are set again after opening should a
   * SQLite build behave otherwise.
   */
  public static Database open(Path file) throws IOException {
    if (!java.nio.file.Files.exists(file)) {
      try {
        SecureFiles.createEmpty(file, SecureFiles.OWNER_ONLY);
      } catch (java.nio.file.FileAlreadyExistsException raced) {
        // created meanwhile: SQLite opens it as it is
      }
    }
    SQLiteConfig cfg = new SQLiteConfig();
    cfg.setJournalMode(SQLiteConfig.JournalMode.WAL);
    cfg.setSynchronous(SQLiteConfig.SynchronousMode.FULL);
    cfg.enforceForeignKeys(true);
    cfg.setBusyTimeout(10_000);
    Database db = null;
    try {
      Connection c = DriverManager.getConnection("jdbc:sqlite:" + file, cfg.toProperties());
      db = new Database(c, file.toAbsolutePath().getParent());
      db.migrate();
      db.checkpoint(); // the schema's transactions, folded into the file while the log is small
      try (Statement s = c.createStatement()) {
        // Usage counters commit every second: a short log, checkpointed often, is reused
        // from its start instead of growing to SQLite's default 1000 pages (4 MB).
        s.execute("PRAGMA wal_autocheckpoint=" + WAL_AUTOCHECKPOINT_PAGES);
      }
      for (String journal : JOURNAL_SUFFIXES) {
        Path j = file.resolveSibling(file.getFileName() + journal);
        if (java.nio.file.Files.exists(j)) {
          java.nio.file.Files.setPosixFilePermissions(j, SecureFiles.OWNER_ONLY);
        }
      }
      return db;
    } catch (SQLException | StorageException e) {
      // A failed migration (a full disk, say) was rolled back: the file holds the schema it had.
      if (db != null) {
        db.close();
      }
      throw new IOException("cannot open the database " + file + ": " + e.getMessage(), e);
    }
  }

  /**
   * Creates the schema-1 tables of a new database and migrates an old one, each step in one
   * transaction, so a failure (a full disk) leaves the database as it was.
   */
  private void migrate() throws SQLException {
    inTransaction(tx -> {
      createSchema1();
      return null;
    });
    int version = schemaVersion();
    if (version > SCHEMA_VERSION) {
      throw new SQLException("it was written by a newer Coffer (schema " + version + "; this"
          + " daemon knows " + SCHEMA_VERSION + "); run that version, or restore a backup");
    }
    if (version < 2) {
      inTransaction(tx -> {
        SchemaMigrations.toVersion2(conn);
        setSchemaVersion(2);
        return null;
      });
    }
    if (version < 3) {
      inTransaction(tx -> {
        SchemaMigrations.toVersion3(conn);
        setSchemaVersion(3);
        return null;
      });
    }
  }

  private void createSchema1() throws SQLException {
    try (Statement s = conn.createStatement()) {
      s.executeUpdate("CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)");
      s.executeUpdate(
          "CREATE TABLE IF NOT EXISTS keys ("
              + " id TEXT PRIMARY KEY, creation_ms INTEGER NOT NULL, description TEXT NOT NULL,"
              + " state TEXT NOT NULL, key_usage TEXT NOT NULL, key_spec TEXT NOT NULL,"
              + " origin TEXT NOT NULL, key_store TEXT NOT NULL, deletion_ms INTEGER,"
              + " pending_window_days INTEGER NOT NULL DEFAULT 0,"
              + " current_version INTEGER NOT NULL,"
              + " rotation_period_days INTEGER NOT NULL DEFAULT 0, next_rotation_ms INTEGER,"
              + " on_demand_rotations INTEGER NOT NULL DEFAULT 0,"
              + " expiration_model TEXT, valid_to_ms INTEGER)");
      s.executeUpdate(
          "CREATE TABLE IF NOT EXISTS key_versions ("
              + " key_id TEXT NOT NULL REFERENCES keys(id) ON DELETE CASCADE,"
              + " version INTEGER NOT NULL, created_ms INTEGER NOT NULL,"
              + " key_store TEXT NOT NULL, stored BLOB NOT NULL, rotation_type TEXT,"
              + " PRIMARY KEY (key_id, version))");
      s.executeUpdate(
          "CREATE TABLE IF NOT EXISTS import_tokens ("
              + " token BLOB PRIMARY KEY, key_id TEXT NOT NULL REFERENCES keys(id)"
              + " ON DELETE CASCADE, algorithm TEXT NOT NULL, wrapping_key_spec TEXT NOT NULL,"
              + " wrapped_private_key BLOB NOT NULL, valid_to_ms INTEGER NOT NULL,"
              + " used INTEGER NOT NULL DEFAULT 0)");
      s.executeUpdate(
          "CREATE TABLE IF NOT EXISTS tags ("
              + " key_id TEXT NOT NULL REFERENCES keys(id) ON DELETE CASCADE,"
              + " tag_key TEXT NOT NULL, tag_value TEXT NOT NULL, PRIMARY KEY (key_id, tag_key))");
      s.executeUpdate(
          "CREATE TABLE IF NOT EXISTS aliases ("
              + " name TEXT PRIMARY KEY, target_key_id TEXT NOT NULL REFERENCES keys(id)"
              + " ON DELETE CASCADE, creation_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL)");
      // The tables above are schema 1 (without its imported_material, which schema 2 drops); a
      // new database starts there and migrates like an old one.
      s.executeUpdate(AuditOutboxTable.CREATE);
      s.executeUpdate(
          "INSERT OR IGNORE INTO meta(name, value) VALUES ('schema_version', '1')");
    }
  }

  private int schemaVersion() throws SQLException {
    try (Statement s = conn.createStatement();
        ResultSet r = s.executeQuery("SELECT value FROM meta WHERE name = 'schema_version'")) {
      return r.next() ? Integer.parseInt(r.getString(1)) : 1;
    }
  }

  private void setSchemaVersion(int version) throws SQLException {
    try (PreparedStatement p =
        conn.prepareStatement("UPDATE meta SET value = ? WHERE name = 'schema_version'")) {
      p.setString(1, Integer.toString(version));
      p.executeUpdate();
    }
  }

  /**
   * Work another package adds to every transaction that changes keys, in that transaction: what
   * it writes commits with the change or not at all.
   */
  @FunctionalInterface
  public interface CommitHook {
    /**
     * @param conn the transaction's connection
     * @param changes what the transaction changed ({@link Tx}'s methods); may be empty
     */
    void beforeCommit(Connection conn, List<Change> changes) throws SQLException;
  }

  /** Adds a hook run inside every later transaction, before it commits. */
  public void addCommitHook(CommitHook hook) {
    hooks.add(hook);
  }

  /** A unit of work run inside one transaction. */
  @FunctionalInterface
  public interface Work<T> {
    T run(Tx tx) throws SQLException;
  }

  /**
   * Runs {@code body} on this thread with every transaction it commits holding the audit records
   * {@code s} names, in the same transaction.
   */
  public <T> T inScope(CommitScope s, Supplier<T> body) {
    CommitScope outer = scope.get();
    scope.set(s);
    try {
      return body.get();
    } finally {
      if (outer == null) {
        scope.remove();
      } else {
        scope.set(outer);
      }
    }
  }

  /**
   * Runs {@code work} in one committed transaction; on any failure nothing is applied. Inside a
   * {@linkplain #inScope commit scope} the scope's audit records are inserted into the outbox in
   * the same transaction. Outbox rows already shipped are deleted in passing.
   */
  public synchronized <T> T inTransaction(Work<T> work) {
    CommitScope s = scope.get();
    List<String> done = List.copyOf(shipped);
    try {
      conn.setAutoCommit(false);
      try {
        Tx tx = new Tx(conn);
        T result = work.run(tx);
        if (!tx.changes.isEmpty()) {
          for (CommitHook h : hooks) {
            h.beforeCommit(conn, List.copyOf(tx.changes));
          }
        }
        List<OutboxRecord> held = s == null ? List.of() : s.records(List.copyOf(tx.changes));
        AuditOutboxTable.put(conn, held);
        AuditOutboxTable.delete(conn, done);
        conn.commit();
        done.forEach(shipped::remove);
        if (s != null) {
          s.committed(held);
        }
        return result;
      } catch (SQLException | RuntimeException e) {
        rollbackAfter(e);
        throw e;
      } finally {
        conn.setAutoCommit(true);
      }
    } catch (SQLException e) {
      throw new StorageException("database write failed: " + e.getMessage(), e);
    }
  }

  /**
   * Rolls back after {@code cause}. SQLite may have rolled back already (a commit refused with
   * {@code SQLITE_FULL} ends the transaction), and then the rollback itself fails with "no
   * transaction is active": that must not hide the cause, which is what the caller reports.
   */
  private void rollbackAfter(Exception cause) {
    try {
      conn.rollback();
    } catch (SQLException alreadyEnded) {
      cause.addSuppressed(alreadyEnded);
    }
  }

  /** Every record held in the outbox, oldest first. */
  public synchronized List<OutboxRecord> outbox() {
    try {
      return AuditOutboxTable.list(conn);
    } catch (SQLException e) {
      throw new StorageException("cannot read the audit outbox: " + e.getMessage(), e);
    }
  }

  /**
   * Replaces a held record with a fuller one (the request's final record, with its outcome),
   * in a transaction of its own; a row no longer held is not re-created.
   */
  public synchronized void replaceOutboxRecord(String eventId, byte[] record) {
    try {
      AuditOutboxTable.replace(conn, eventId, record);
    } catch (SQLException e) {
      throw new StorageException("cannot update the audit outbox: " + e.getMessage(), e);
    }
  }

  /**
   * Notes that the record of {@code eventId} is durable in the audit log. Its row is deleted by
   * the next transaction (or {@link #deleteShipped}): a row that outlives a crash is found in
   * the log at start-up and deleted then, so no fsync is spent on the deletion here.
   */
  public void markShipped(String eventId) {
    shipped.add(eventId);
  }

  /**
   * Records held in the outbox that the audit log does not hold yet: the audit backlog (rows
   * {@link #markShipped} named, awaiting deletion, are not counted).
   */
  public synchronized long outboxBacklog() {
    try (java.sql.Statement s = conn.createStatement();
        java.sql.ResultSet r = s.executeQuery("SELECT event_id FROM audit_outbox")) {
      long n = 0;
      while (r.next()) {
        if (!shipped.contains(r.getString(1))) {
          n++;
        }
      }
      return n;
    } catch (SQLException e) {
      throw new StorageException("cannot read the audit outbox: " + e.getMessage(), e);
    }
  }

  /** Deletes the rows {@link #markShipped} named, now. */
  public void deleteShipped() {
    if (!shipped.isEmpty()) {
      inTransaction(tx -> null);
    }
  }

  /**
   * Runs a read against the database connection, for tables owned by other packages (e.g. custom
   * key stores). Serialised with every other use of the connection.
   */
  public synchronized <T> T read(Work<T> work) {
    try {
      return work.run(new Tx(conn));
    } catch (SQLException e) {
      throw new StorageException("database read failed: " + e.getMessage(), e);
    }
  }

  /**
   * Copies the write-ahead log into the database file and truncates it, if it can. Start-up
   * writes the same pages (the schema page above all) in many small transactions, each a new
   * frame in the log; after it the log holds far more than the database's few pages, which on a
   * nearly full disk is the space the first requests need. A checkpoint that cannot complete (no
   * space to grow the database file) leaves the log as it was, still valid, so a failure is
   * ignored: the next automatic checkpoint tries again.
   */
  public synchronized void checkpoint() {
    try (Statement s = conn.createStatement()) {
      s.execute("PRAGMA wal_checkpoint(TRUNCATE)");
    } catch (SQLException notNow) {
      // the log stays; nothing is lost
    }
  }

  /** Creates a table owned by another package, if it does not exist yet. */
  public synchronized void ensureTable(String createTableSql) {
    try (Statement s = conn.createStatement()) {
      s.executeUpdate(createTableSql);
    } catch (SQLException e) {
      throw new StorageException("cannot create a table: " + e.getMessage(), e);
    }
    checkpoint(); // see checkpoint(): start-up's schema changes would otherwise pile up
  }

  /** Reads every key with its tags. */
  public synchronized List<KeyRecord> loadKeys() {
    try {
      Map<String, TreeMap<String, String>> tags = new java.util.HashMap<>();
      try (Statement s = conn.createStatement();
          ResultSet r = s.executeQuery("SELECT key_id, tag_key, tag_value FROM tags")) {
        while (r.next()) {
          tags.computeIfAbsent(r.getString(1), k -> new TreeMap<>())
              .put(r.getString(2), r.getString(3));
        }
      }
      List<KeyRecord> out = new ArrayList<>();
      try (Statement s = conn.createStatement();
          ResultSet r =
              s.executeQuery(
                  "SELECT id, creation_ms, description, state, key_usage, key_spec, origin,"
                      + " key_store, deletion_ms, pending_window_days, current_version,"
                      + " rotation_period_days, next_rotation_ms, on_demand_rotations,"
                      + " expiration_model, valid_to_ms FROM keys")) {
        while (r.next()) {
          out.add(
              new KeyRecord(
                  UUID.fromString(r.getString(1)),
                  Instant.ofEpochMilli(r.getLong(2)),
                  r.getString(3),
                  KeyState.valueOf(r.getString(4)),
                  r.getString(5),
                  r.getString(6),
                  r.getString(7),
                  r.getString(8),
                  instant(r, 9),
                  r.getInt(10),
                  r.getInt(11),
                  r.getInt(12),
                  instant(r, 13),
                  r.getInt(14),
                  r.getString(15),
                  instant(r, 16),
                  tags.getOrDefault(r.getString(1), new TreeMap<>())));
        }
      }
      return out;
    } catch (SQLException e) {
      throw new StorageException("cannot read keys: " + e.getMessage(), e);
    }
  }

  private static Instant instant(ResultSet r, int column) throws SQLException {
    long v = r.getLong(column);
    return r.wasNull() ? null : Instant.ofEpochMilli(v);
  }

  public synchronized List<AliasRecord> loadAliases() {
    try (Statement s = conn.createStatement();
        ResultSet r =
            s.executeQuery("SELECT name, target_key_id, creation_ms, updated_ms FROM aliases")) {
      List<AliasRecord> out = new ArrayList<>();
      while (r.next()) {
        out.add(
            new AliasRecord(
                r.getString(1),
                UUID.fromString(r.getString(2)),
                Instant.ofEpochMilli(r.getLong(3)),
                Instant.ofEpochMilli(r.getLong(4))));
      }
      return out;
    } catch (SQLException e) {
      throw new StorageException("cannot read aliases: " + e.getMessage(), e);
    }
  }

  /** The stored form of one backing key version, or null. */
  public synchronized StoredVersion loadVersion(UUID keyId, int version) {
    try (PreparedStatement p =
        conn.prepareStatement(
            "SELECT key_store, stored FROM key_versions WHERE key_id = ? AND version = ?")) {
      p.setString(1, keyId.toString());
      p.setInt(2, version);
      try (ResultSet r = p.executeQuery()) {
        return r.next() ? new StoredVersion(keyId, version, r.getString(1), r.getBytes(2)) : null;
      }
    } catch (SQLException e) {
      throw new StorageException("cannot read a key version: " + e.getMessage(), e);
    }
  }

  /** A persisted backing key version: which store holds it and its stored (wrapped) form. */
  public record StoredVersion(UUID keyId, int version, String keyStore, byte[] stored) {}

  /**
   * Every key's materials, each list ordered by version; whether each is present comes from
   * its stored version.
   */
  public synchronized Map<UUID, List<KeyMaterial>> loadMaterials() {
    try (Statement s = conn.createStatement();
        ResultSet r = s.executeQuery(
            "SELECT m.key_id, m.version, m.material_id, m.rotation_type, m.rotation_ms,"
                + " m.expiration_model, m.valid_to_ms, m.description, v.version IS NOT NULL"
                + " FROM key_materials m LEFT JOIN key_versions v"
                + " ON v.key_id = m.key_id AND v.version = m.version"
                + " ORDER BY m.key_id, m.version")) {
      Map<UUID, List<KeyMaterial>> out = new java.util.HashMap<>();
      while (r.next()) {
        out.computeIfAbsent(UUID.fromString(r.getString(1)), k -> new ArrayList<>())
            .add(new KeyMaterial(r.getInt(2), r.getString(3), r.getString(4), instant(r, 5),
                r.getInt(9) != 0, r.getString(6), instant(r, 7), r.getString(8)));
      }
      return out;
    } catch (SQLException e) {
      throw new StorageException("cannot read key materials: " + e.getMessage(), e);
    }
  }

  /** An import token: the wrapping key pair's private half, wrapped under the root key. */
  public record ImportToken(byte[] token, UUID keyId, String algorithm, String wrappingKeySpec,
      byte[] wrappedPrivateKey, Instant validTo, boolean used) {}

  public synchronized ImportToken loadImportToken(byte[] token) {
    try (PreparedStatement p =
        conn.prepareStatement(
            "SELECT key_id, algorithm, wrapping_key_spec, wrapped_private_key, valid_to_ms, used"
                + " FROM import_tokens WHERE token = ?")) {
      p.setBytes(1, token);
      try (ResultSet r = p.executeQuery()) {
        return r.next()
            ? new ImportToken(token, UUID.fromString(r.getString(1)), r.getString(2),
                r.getString(3), r.getBytes(4), Instant.ofEpochMilli(r.getLong(5)), r.getInt(6) != 0)
            : null;
      }
    } catch (SQLException e) {
      throw new StorageException("cannot read an import token: " + e.getMessage(), e);
    }
  }

  /** The DER SubjectPublicKeyInfo of an asymmetric key; null for other keys. */
  public synchronized byte[] loadPublicKey(UUID keyId) {
    try {
      return KeyPairTable.column(conn, keyId, "public_key");
    } catch (SQLException e) {
      throw new StorageException("cannot read a public key: " + e.getMessage(), e);
    }
  }

  /** The certificate chain stored for a key (its encoded form), or null. */
  public synchronized byte[] loadCertificateChain(UUID keyId) {
    try {
      return KeyPairTable.column(conn, keyId, "certificate_chain");
    } catch (SQLException e) {
      throw new StorageException("cannot read a certificate chain: " + e.getMessage(), e);
    }
  }

  @Override
  public synchronized void close() {
    try {
      conn.close();
    } catch (SQLException ignored) {
      // closing
    }
  }

  /** Write operations, only available inside {@link #inTransaction}. */
  public static final class Tx {
    private final Connection conn;
    private final List<Change> changes = new ArrayList<>();

    Tx(Connection conn) {
      this.conn = conn;
    }

    /** The connection, for statements on tables owned by other packages. */
    public Connection connection() {
      return conn;
    }

    public void insertKey(KeyRecord k) throws SQLException {
      try (PreparedStatement p =
          conn.prepareStatement(
              "INSERT INTO keys(id, creation_ms, description, state, key_usage, key_spec, origin,"
                  + " key_store, deletion_ms, pending_window_days, current_version,"
                  + " rotation_period_days, next_rotation_ms, on_demand_rotations,"
                  + " expiration_model, valid_to_ms) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")) {
        p.setString(1, k.id().toString());
        p.setLong(2, k.creationDate().toEpochMilli());
        bindMutable(p, 3, k);
        p.executeUpdate();
      }
      replaceTags(k);
      changes.add(new Change(Change.Kind.KEY_CREATED, k.id(), null));
    }

    public void updateKey(KeyRecord k) throws SQLException {
      try (PreparedStatement p =
          conn.prepareStatement(
              "UPDATE keys SET description = ?, state = ?, key_usage = ?, key_spec = ?,"
                  + " origin = ?, key_store = ?, deletion_ms = ?, pending_window_days = ?,"
                  + " current_version = ?, rotation_period_days = ?, next_rotation_ms = ?,"
                  + " on_demand_rotations = ?, expiration_model = ?, valid_to_ms = ?"
                  + " WHERE id = ?")) {
        bindMutable(p, 1, k);
        p.setString(15, k.id().toString());
        if (p.executeUpdate() != 1) {
          throw new SQLException("key " + k.id() + " vanished");
        }
      }
      replaceTags(k);
      changes.add(new Change(Change.Kind.KEY_UPDATED, k.id(), null));
    }

    private static void bindMutable(PreparedStatement p, int i, KeyRecord k) throws SQLException {
      p.setString(i, k.description());
      p.setString(i + 1, k.state().name());
      p.setString(i + 2, k.keyUsage());
      p.setString(i + 3, k.keySpec());
      p.setString(i + 4, k.origin());
      p.setString(i + 5, k.keyStore());
      setInstant(p, i + 6, k.deletionDate());
      p.setInt(i + 7, k.pendingWindowInDays());
      p.setInt(i + 8, k.currentVersion());
      p.setInt(i + 9, k.rotationPeriodDays());
      setInstant(p, i + 10, k.nextRotationDate());
      p.setInt(i + 11, k.onDemandRotations());
      p.setString(i + 12, k.expirationModel());
      setInstant(p, i + 13, k.validTo());
    }

    private static void setInstant(PreparedStatement p, int i, Instant t) throws SQLException {
      if (t == null) {
        p.setNull(i, java.sql.Types.INTEGER);
      } else {
        p.setLong(i, t.toEpochMilli());
      }
    }

    private void replaceTags(KeyRecord k) throws SQLException {
      try (PreparedStatement del = conn.prepareStatement("DELETE FROM tags WHERE key_id = ?")) {
        del.setString(1, k.id().toString());
        del.executeUpdate();
      }
      try (PreparedStatement ins =
          conn.prepareStatement("INSERT INTO tags(key_id, tag_key, tag_value) VALUES (?,?,?)")) {
        for (Map.Entry<String, String> t : k.tags().entrySet()) {
          ins.setString(1, k.id().toString());
          ins.setString(2, t.getKey());
          ins.setString(3, t.getValue());
          ins.addBatch();
        }
        ins.executeBatch();
      }
    }

    public void insertVersion(UUID keyId, int version, Instant created, String keyStore,
        byte[] stored, String rotationType) throws SQLException {
      try (PreparedStatement p =
          conn.prepareStatement(
              "INSERT INTO key_versions(key_id, version, created_ms, key_store, stored,"
                  + " rotation_type) VALUES (?,?,?,?,?,?)")) {
        p.setString(1, keyId.toString());
        p.setInt(2, version);
        p.setLong(3, created.toEpochMilli());
        p.setString(4, keyStore);
        p.setBytes(5, stored);
        p.setString(6, rotationType);
        p.executeUpdate();
      }
      changes.add(new Change(Change.Kind.VERSION_ADDED, keyId, rotationType));
    }

    /**
     * Erases stored backing key versions of a key (imported material deleted or expired).
     *
     * @return the versions that were stored, for their key stores to destroy
     */
    public List<StoredVersion> deleteVersions(UUID keyId, java.util.Collection<Integer> versions)
        throws SQLException {
      List<StoredVersion> out = new ArrayList<>();
      for (StoredVersion v : versions(keyId)) {
        if (versions.contains(v.version())) {
          out.add(v);
        }
      }
      try (PreparedStatement p = conn.prepareStatement(
          "DELETE FROM key_versions WHERE key_id = ? AND version = ?")) {
        for (StoredVersion v : out) {
          p.setString(1, keyId.toString());
          p.setInt(2, v.version());
          p.executeUpdate();
        }
      }
      changes.add(new Change(Change.Kind.VERSIONS_DELETED, keyId, null));
      return out;
    }

    /** Records a key material, or replaces the record of its version. */
    public void putMaterial(UUID keyId, KeyMaterial m) throws SQLException {
      try (PreparedStatement p = conn.prepareStatement(
          "INSERT OR REPLACE INTO key_materials(key_id, version, material_id, rotation_type,"
              + " rotation_ms, expiration_model, valid_to_ms, description)"
              + " VALUES (?,?,?,?,?,?,?,?)")) {
        p.setString(1, keyId.toString());
        p.setInt(2, m.version());
        p.setString(3, m.id());
        p.setString(4, m.rotationType());
        setInstant(p, 5, m.rotationDate());
        p.setString(6, m.expirationModel());
        setInstant(p, 7, m.validTo());
        p.setString(8, m.description());
        p.executeUpdate();
      }
    }

    /** Forgets a key material (imported material pending rotation that was deleted). */
    public void deleteMaterial(UUID keyId, int version) throws SQLException {
      try (PreparedStatement p = conn.prepareStatement(
          "DELETE FROM key_materials WHERE key_id = ? AND version = ?")) {
        p.setString(1, keyId.toString());
        p.setInt(2, version);
        p.executeUpdate();
      }
    }

    public void insertImportToken(ImportToken t) throws SQLException {
      try (PreparedStatement p =
          conn.prepareStatement(
              "INSERT INTO import_tokens(token, key_id, algorithm, wrapping_key_spec,"
                  + " wrapped_private_key, valid_to_ms) VALUES (?,?,?,?,?,?)")) {
        p.setBytes(1, t.token());
        p.setString(2, t.keyId().toString());
        p.setString(3, t.algorithm());
        p.setString(4, t.wrappingKeySpec());
        p.setBytes(5, t.wrappedPrivateKey());
        p.setLong(6, t.validTo().toEpochMilli());
        p.executeUpdate();
      }
    }

    /** Marks a token used; false when it was already used (or does not exist). */
    public boolean consumeImportToken(byte[] token) throws SQLException {
      try (PreparedStatement p =
          conn.prepareStatement("UPDATE import_tokens SET used = 1 WHERE token = ? AND used = 0")) {
        p.setBytes(1, token);
        return p.executeUpdate() == 1;
      }
    }

    /** Removes tokens that expired before {@code now}. */
    public int purgeImportTokens(Instant now) throws SQLException {
      try (PreparedStatement p =
          conn.prepareStatement("DELETE FROM import_tokens WHERE valid_to_ms < ?")) {
        p.setLong(1, now.toEpochMilli());
        return p.executeUpdate();
      }
    }

    /** Deletes a key with its versions, tags and aliases. */
    public void deleteKey(UUID keyId) throws SQLException {
      try (PreparedStatement p = conn.prepareStatement("DELETE FROM keys WHERE id = ?")) {
        p.setString(1, keyId.toString());
        p.executeUpdate();
      }
      changes.add(new Change(Change.Kind.KEY_DELETED, keyId, null));
    }

    public List<StoredVersion> versions(UUID keyId) throws SQLException {
      try (PreparedStatement p =
          conn.prepareStatement(
              "SELECT version, key_store, stored FROM key_versions WHERE key_id = ?")) {
        p.setString(1, keyId.toString());
        try (ResultSet r = p.executeQuery()) {
          List<StoredVersion> out = new ArrayList<>();
          while (r.next()) {
            out.add(new StoredVersion(keyId, r.getInt(1), r.getString(2), r.getBytes(3)));
          }
          return out;
        }
      }
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

    public void upsertAlias(AliasRecord a) throws SQLException {
      try (PreparedStatement p =
          conn.prepareStatement(
              "INSERT INTO aliases(name, target_key_id, creation_ms, updated_ms) VALUES (?,?,?,?)"
                  + " ON CONFLICT(name) DO UPDATE SET target_key_id = excluded.target_key_id,"
                  + " updated_ms = excluded.updated_ms")) {
        p.setString(1, a.name());
        p.setString(2, a.targetKeyId().toString());
        p.setLong(3, a.creationDate().toEpochMilli());
        p.setLong(4, a.lastUpdatedDate().toEpochMilli());
        p.executeUpdate();
      }
    }

    public void deleteAlias(String name) throws SQLException {
      try (PreparedStatement p = conn.prepareStatement("DELETE FROM aliases WHERE name = ?")) {
        p.setString(1, name);
        p.executeUpdate();
      }
    }
  }
}
