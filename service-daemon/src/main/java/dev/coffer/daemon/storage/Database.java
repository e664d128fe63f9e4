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
import java.util.logging.Logger;
import java.util.Properties;
import dev.coffer.daemon.config.StorageSettings;
import dev.coffer.daemon.config.StorageSettings.Engine;
import org.sqlite.SQLiteConfig;

/**
 * Durable state in SQLite (WAL journal, {@code synchronous=FULL}) or PostgreSQL ({@code
 * storage=postgresql}, docs/cluster.md): a change the daemon has acknowledged has been committed
 * and made durable, so it survives {@code kill -9} and power loss. One schema for both engines
 * ({@link Schema}); every statement here is valid on both.
 *
 * <p>One connection, used under this object's monitor: SQLite serialises writers anyway, and
 * reads are served from the daemon's in-memory view; a PostgreSQL node's writes are few next to
 * its reads, and other nodes' changes reach that view through the change feed.
 *
 * <p>Audit outbox: a transaction run inside a {@linkplain #inScope commit scope} stores the audit
 * records its changes need in the {@code audit_outbox} table, in that same transaction. A change
 * is therefore never committed without its record; the audit side ships outbox rows to the audit
 * log and deletes them once they are durable there ({@link #markShipped}). Each node ships only
 * its own rows ({@code node_id}), to its own log. See {@code docs/audit.md}.
 */
public final class Database implements Closeable {

  /** The newest schema this build knows: Flyway's version after {@code open}. */
  public static final int SCHEMA_VERSION = Schema.VERSION;

  /** Log pages after which a commit checkpoints (SQLite's {@code wal_autocheckpoint}). */
  static final int WAL_AUTOCHECKPOINT_PAGES = 16;

  /** Files SQLite keeps beside the database; they hold the same data, so the same mode. */
  public static final java.util.List<String> JOURNAL_SUFFIXES =
      java.util.List.of("-wal", "-shm", "-journal");

  private static final Logger LOG = Logger.getLogger(Database.class.getName());

  private final Engine engine;
  private final String url;
  /**
   * How long a statement on a node's PostgreSQL session may wait for the server's answer: far
   * above any statement or row-lock wait of a request, far below TCP's own give-up time.
   */
  static final int SOCKET_TIMEOUT_SECONDS = 10;

  private final Properties credentials;
  private final String nodeId;
  private Connection conn; // replaced under this object's monitor when PostgreSQL drops it
  private final ThreadLocal<CommitScope> scope = new ThreadLocal<>();
  /** Outbox rows whose records are durable in the audit log: deleted by the next commit. */
  private final Set<String> shipped = ConcurrentHashMap.newKeySet();
  /** Run inside every transaction before it commits (usage accounting's key periods). */
  private final List<CommitHook> hooks = new java.util.concurrent.CopyOnWriteArrayList<>();

  private Database(Engine engine, String url, Properties credentials, String nodeId)
      throws SQLException {
    this.engine = engine;
    this.url = url;
    this.credentials = credentials;
    this.nodeId = nodeId;
    this.conn = DriverManager.getConnection(url, credentials);
  }

  /**
   * Opens (creating) the SQLite database at {@code file} for a single node named {@code
   * nodeId}. A new database is created empty with mode 0600 before SQLite opens it: SQLite would
   * create it 0644 minus the umask, and on Unix it gives the {@code -wal} and {@code -shm} files
   * it creates later the main file's mode, so they are 0600 too (checked by {@code
   * FileModesTest}); they are set again after opening should a SQLite build behave otherwise.
   */
  public static Database open(Path file, String nodeId) throws IOException {
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
    String url = "jdbc:sqlite:" + file;
    Database db = null;
    try {
      Schema.migrate(Engine.SQLITE, url, cfg.toProperties(), nodeId);
      db = new Database(Engine.SQLITE, url, cfg.toProperties(), nodeId);
      db.checkpoint(); // the schema's transactions, folded into the file while the log is small
      try (Statement s = db.conn.createStatement()) {
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
   * As {@link #open(Path, String)} for the node of the home {@code file} lies in ({@code
   * node-id} beside it, else {@code local}): tools and tests that open a home's database.
   */
  public static Database open(Path file) throws IOException {
    return open(file, NodeId.readOrLocal(file.toAbsolutePath().getParent()));
  }

  /**
   * Opens the PostgreSQL database of {@code settings} as node {@code nodeId}, migrating its
   * schema first (Flyway serialises nodes that start together with a lock of its own).
   *
   * @param password the role's password ({@code jdbc-password-file} or {@code
   *     COFFER_JDBC_PASSWORD}); may be empty for trust or peer authentication
   * @throws IOException naming the URL, the role and the server's reason when it cannot connect,
   *     and whether the schema is from a newer Coffer
   */
  public static Database open(StorageSettings settings, String password, String nodeId)
      throws IOException {
    Properties credentials = new Properties();
    credentials.setProperty("user", settings.jdbcUser());
    credentials.setProperty("password", password);
    // A server that stops answering must not hang a request forever (seconds).
    credentials.setProperty("connectTimeout", "10");
    credentials.setProperty("loginTimeout", "10");
    credentials.setProperty("ApplicationName", "coffer " + nodeId);
    // The node's own sessions: a partition that neither answers nor resets the connection fails
    // the statement after SOCKET_TIMEOUT_SECONDS (KMSInternalException; the session is replaced
    // on the next write) rather than holding the write connection, and every request that needs
    // it, until the kernel gives up on TCP. Not for the schema migration, which may take longer.
    Properties sessions = new Properties();
    sessions.putAll(credentials);
    sessions.setProperty("socketTimeout", Integer.toString(SOCKET_TIMEOUT_SECONDS));
    sessions.setProperty("tcpKeepAlive", "true");
    try {
      Schema.migrate(Engine.POSTGRESQL, settings.jdbcUrl(), credentials, nodeId);
      return new Database(Engine.POSTGRESQL, settings.jdbcUrl(), sessions, nodeId);
    } catch (SQLException | StorageException e) {
      throw new IOException("cannot open the database " + settings.jdbcUrl() + " as "
          + settings.jdbcUser() + " (jdbc-url, jdbc-user, jdbc-password-file in"
          + " coffer.properties): " + e.getMessage(), e);
    }
  }

  /** Which engine holds the state. */
  public Engine engine() {
    return engine;
  }

  /** The node this daemon is in the cluster ({@code $COFFER_HOME/node-id}). */
  public String nodeId() {
    return nodeId;
  }

  /**
   * A new connection to the same database, owned by the caller: a {@code LISTEN} session or an
   * advisory-lock session. PostgreSQL only.
   *
   * @throws UnsupportedOperationException for SQLite, which has one node
   * @throws StorageException if the server cannot be reached
   */
  public Connection newConnection() {
    if (engine != Engine.POSTGRESQL) {
      throw new UnsupportedOperationException("SQLite serves one node: no second session");
    }
    try {
      return DriverManager.getConnection(url, credentials);
    } catch (SQLException e) {
      throw new StorageException("cannot connect to " + url + ": " + e.getMessage(), e);
    }
  }

  /**
   * The connection, reopened if PostgreSQL dropped it (a server restart, a failover): the
   * request that saw it drop has failed; the next one gets a new session.
   */
  private Connection connection() throws SQLException {
    if (engine == Engine.POSTGRESQL && conn.isClosed()) {
      // After a failed attempt, the requests queued behind it fail at once instead of each
      // waiting out another connect timeout while the database is unreachable.
      if (System.nanoTime() - reconnectFailedAt < RECONNECT_BACKOFF_NANOS) {
        throw new SQLException("the database " + url + " did not answer a moment ago; retry",
            "08001");
      }
      LOG.warning(() -> "database connection lost; reconnecting to " + url);
      try {
        conn = DriverManager.getConnection(url, credentials);
      } catch (SQLException e) {
        reconnectFailedAt = System.nanoTime();
        throw e;
      }
    }
    return conn;
  }

  /** How long writes fail at once after a failed reconnect (2 s). */
  private static final long RECONNECT_BACKOFF_NANOS = 2_000_000_000L;

  /** When the last reconnect failed, or long ago; under this object's monitor. */
  private long reconnectFailedAt = System.nanoTime() - RECONNECT_BACKOFF_NANOS;

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
      Connection conn = connection();
      conn.setAutoCommit(false);
      try {
        Tx tx = new Tx(conn, engine == Engine.POSTGRESQL);
        T result = work.run(tx);
        if (!tx.changes.isEmpty()) {
          for (CommitHook h : hooks) {
            h.beforeCommit(conn, List.copyOf(tx.changes));
          }
        }
        List<OutboxRecord> held = s == null ? List.of() : s.records(List.copyOf(tx.changes));
        AuditOutboxTable.put(conn, nodeId, held);
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
        if (!conn.isClosed()) {
          conn.setAutoCommit(true);
        }
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
    if (cause instanceof SQLException e && e.getSQLState() != null
        && e.getSQLState().startsWith("08")) {
      // The connection failed (a partition, a server restart): a rollback would wait out the
      // same timeout again. Dropping the session rolls back on the server; the next write
      // opens a new one, once the database answers again.
      try {
        conn.close();
      } catch (SQLException ignored) {
        // already unusable
      }
      return;
    }
    try {
      conn.rollback();
    } catch (SQLException alreadyEnded) {
      cause.addSuppressed(alreadyEnded);
    }
  }

  /** Every record held in the outbox, oldest first. */
  public synchronized List<OutboxRecord> outbox() {
    try {
      return AuditOutboxTable.list(connection(), nodeId);
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
      AuditOutboxTable.replace(connection(), eventId, record);
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
    try (PreparedStatement p = connection().prepareStatement(
        "SELECT event_id FROM audit_outbox WHERE node_id = ?")) {
      p.setString(1, nodeId);
      try (ResultSet r = p.executeQuery()) {
        long n = 0;
        while (r.next()) {
          if (!shipped.contains(r.getString(1))) {
            n++;
          }
        }
        return n;
      }
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
      return work.run(new Tx(connection(), engine == Engine.POSTGRESQL));
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
    if (engine != Engine.SQLITE) {
      return; // PostgreSQL manages its own log
    }
    try (Statement s = conn.createStatement()) {
      s.execute("PRAGMA wal_checkpoint(TRUNCATE)");
    } catch (SQLException notNow) {
      // the log stays; nothing is lost
    }
  }

  /** Reads every key with its tags. */
  public synchronized List<KeyRecord> loadKeys() {
    try {
      Map<String, TreeMap<String, String>> tags = new java.util.HashMap<>();
      try (Statement s = connection().createStatement();
          ResultSet r = s.executeQuery("SELECT key_id, tag_key, tag_value FROM tags")) {
        while (r.next()) {
          tags.computeIfAbsent(r.getString(1), k -> new TreeMap<>())
              .put(r.getString(2), r.getString(3));
        }
      }
      List<KeyRecord> out = new ArrayList<>();
      try (Statement s = connection().createStatement();
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
    try (Statement s = connection().createStatement();
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
        connection().prepareStatement(
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
    try (Statement s = connection().createStatement();
        ResultSet r = s.executeQuery(
            "SELECT m.key_id, m.version, m.material_id, m.rotation_type, m.rotation_ms,"
                + " m.expiration_model, m.valid_to_ms, m.description,"
                + " CASE WHEN v.version IS NULL THEN 0 ELSE 1 END"
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
        connection().prepareStatement(
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
      return KeyPairTable.column(connection(), keyId, "public_key");
    } catch (SQLException e) {
      throw new StorageException("cannot read a public key: " + e.getMessage(), e);
    }
  }

  /** The certificate chain stored for a key (its encoded form), or null. */
  public synchronized byte[] loadCertificateChain(UUID keyId) {
    try {
      return KeyPairTable.column(connection(), keyId, "certificate_chain");
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
        p.setNull(i, java.sql.Types.BIGINT);
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
          "INSERT INTO key_materials(key_id, version, material_id, rotation_type,"
              + " rotation_ms, expiration_model, valid_to_ms, description)"
              + " VALUES (?,?,?,?,?,?,?,?) ON CONFLICT (key_id, version) DO UPDATE SET"
              + " material_id = excluded.material_id, rotation_type = excluded.rotation_type,"
              + " rotation_ms = excluded.rotation_ms,"
              + " expiration_model = excluded.expiration_model,"
              + " valid_to_ms = excluded.valid_to_ms, description = excluded.description")) {
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
      return readKey(id, forUpdate());
    }

    /** The stored record of a key with its tags, without locking it; null when absent. */
    public KeyRecord readKey(UUID id) throws SQLException {
      return readKey(id, "");
    }

    private KeyRecord readKey(UUID id, String suffix) throws SQLException {
      TreeMap<String, String> tags = new TreeMap<>();
      try (PreparedStatement p = conn.prepareStatement(
          "SELECT id, creation_ms, description, state, key_usage, key_spec, origin,"
              + " key_store, deletion_ms, pending_window_days, current_version,"
              + " rotation_period_days, next_rotation_ms, on_demand_rotations,"
              + " expiration_model, valid_to_ms FROM keys WHERE id = ?" + suffix)) {
        p.setString(1, id.toString());
        try (ResultSet r = p.executeQuery()) {
          if (!r.next()) {
            return null;
          }
          try (PreparedStatement t = conn.prepareStatement(
              "SELECT tag_key, tag_value FROM tags WHERE key_id = ?")) {
            t.setString(1, id.toString());
            try (ResultSet tr = t.executeQuery()) {
              while (tr.next()) {
                tags.put(tr.getString(1), tr.getString(2));
              }
            }
          }
          return new KeyRecord(UUID.fromString(r.getString(1)),
              Instant.ofEpochMilli(r.getLong(2)), r.getString(3),
              KeyState.valueOf(r.getString(4)), r.getString(5), r.getString(6), r.getString(7),
              r.getString(8), instant(r, 9), r.getInt(10), r.getInt(11), r.getInt(12),
              instant(r, 13), r.getInt(14), r.getString(15), instant(r, 16), tags);
        }
      }
    }

    /** A key's stored materials ordered by version (empty when it has none). */
    public List<KeyMaterial> materialsOf(UUID keyId) throws SQLException {
      try (PreparedStatement p = conn.prepareStatement(
          "SELECT m.version, m.material_id, m.rotation_type, m.rotation_ms,"
              + " m.expiration_model, m.valid_to_ms, m.description, v.version IS NOT NULL"
              + " FROM key_materials m LEFT JOIN key_versions v"
              + " ON v.key_id = m.key_id AND v.version = m.version"
              + " WHERE m.key_id = ? ORDER BY m.version")) {
        p.setString(1, keyId.toString());
        try (ResultSet r = p.executeQuery()) {
          List<KeyMaterial> out = new ArrayList<>();
          while (r.next()) {
            out.add(new KeyMaterial(r.getInt(1), r.getString(2), r.getString(3), instant(r, 4),
                r.getBoolean(8), r.getString(5), instant(r, 6), r.getString(7)));
          }
          return out;
        }
      }
    }

    /** The stored alias {@code name}, locked for this transaction; null when absent. */
    public AliasRecord lockAlias(String name) throws SQLException {
      lockForWrite();
      List<AliasRecord> found = aliases("name = ?", name, forUpdate());
      return found.isEmpty() ? null : found.get(0);
    }

    /** The stored alias {@code name}, without locking it; null when absent. */
    public AliasRecord readAlias(String name) throws SQLException {
      List<AliasRecord> found = aliases("name = ?", name, "");
      return found.isEmpty() ? null : found.get(0);
    }

    /** The stored aliases of a key, ordered by name. */
    public List<AliasRecord> aliasesOf(UUID keyId) throws SQLException {
      return aliases("target_key_id = ?", keyId.toString(), "");
    }

    private List<AliasRecord> aliases(String where, String value, String suffix)
        throws SQLException {
      try (PreparedStatement p = conn.prepareStatement(
          "SELECT name, target_key_id, creation_ms, updated_ms FROM aliases WHERE " + where
              + " ORDER BY name" + suffix)) {
        p.setString(1, value);
        try (ResultSet r = p.executeQuery()) {
          List<AliasRecord> out = new ArrayList<>();
          while (r.next()) {
            out.add(new AliasRecord(r.getString(1), UUID.fromString(r.getString(2)),
                Instant.ofEpochMilli(r.getLong(3)), Instant.ofEpochMilli(r.getLong(4))));
          }
          return out;
        }
      }
    }

    /**
     * Inserts a new alias unless one of that name is stored (by this node or another).
     *
     * @return false when the name was taken: nothing was written
     */
    public boolean insertAlias(AliasRecord a) throws SQLException {
      try (PreparedStatement p = conn.prepareStatement(
          "INSERT INTO aliases(name, target_key_id, creation_ms, updated_ms) VALUES (?,?,?,?)"
              + " ON CONFLICT (name) DO NOTHING")) {
        p.setString(1, a.name());
        p.setString(2, a.targetKeyId().toString());
        p.setLong(3, a.creationDate().toEpochMilli());
        p.setLong(4, a.lastUpdatedDate().toEpochMilli());
        return p.executeUpdate() == 1;
      }
    }

    /**
     * Retargets a stored alias.
     *
     * @return false when no alias of that name is stored: nothing was written
     */
    public boolean updateAlias(AliasRecord a) throws SQLException {
      try (PreparedStatement p = conn.prepareStatement(
          "UPDATE aliases SET target_key_id = ?, updated_ms = ? WHERE name = ?")) {
        p.setString(1, a.targetKeyId().toString());
        p.setLong(2, a.lastUpdatedDate().toEpochMilli());
        p.setString(3, a.name());
        return p.executeUpdate() == 1;
      }
    }

    /** Deletes an alias; false when none of that name was stored. */
    public boolean removeAlias(String name) throws SQLException {
      try (PreparedStatement p = conn.prepareStatement("DELETE FROM aliases WHERE name = ?")) {
        p.setString(1, name);
        return p.executeUpdate() == 1;
      }
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
}
