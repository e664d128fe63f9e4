package dev.coffer.daemon.storage;

import dev.coffer.daemon.files.SecureFiles;
import dev.coffer.daemon.keys.AliasRecord;
import dev.coffer.daemon.keys.KeyMaterial;
import dev.coffer.daemon.keys.KeyRecord;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
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
        List<Change> changes = tx.changes();
        if (!changes.isEmpty()) {
          for (CommitHook h : hooks) {
            h.beforeCommit(conn, changes);
          }
        }
        List<OutboxRecord> held = s == null ? List.of() : s.records(changes);
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
    try {
      return AuditOutboxTable.eventIds(connection(), nodeId).stream()
          .filter(id -> !shipped.contains(id)).count();
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
      return KeysTable.all(connection());
    } catch (SQLException e) {
      throw new StorageException("cannot read keys: " + e.getMessage(), e);
    }
  }

  /** Reads every alias. */
  public synchronized List<AliasRecord> loadAliases() {
    try {
      return AliasesTable.all(connection());
    } catch (SQLException e) {
      throw new StorageException("cannot read aliases: " + e.getMessage(), e);
    }
  }

  /** The stored form of one backing key version, or null. */
  public synchronized StoredVersion loadVersion(UUID keyId, int version) {
    try {
      return KeyVersionsTable.find(connection(), keyId, version);
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
    try {
      return KeyVersionsTable.materials(connection(), null);
    } catch (SQLException e) {
      throw new StorageException("cannot read key materials: " + e.getMessage(), e);
    }
  }

  /** An import token: the wrapping key pair's private half, wrapped under the root key. */
  public record ImportToken(byte[] token, UUID keyId, String algorithm, String wrappingKeySpec,
      byte[] wrappedPrivateKey, Instant validTo, boolean used) {}

  /** The import token {@code token}, used or not; null when none is stored. */
  public synchronized ImportToken loadImportToken(byte[] token) {
    try {
      return ImportTokensTable.find(connection(), token);
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
}
