package dev.coffer.daemon.migration;

import dev.coffer.daemon.audit.AuditLog;
import dev.coffer.daemon.config.Settings;
import dev.coffer.daemon.keystore.RootKey;
import dev.coffer.daemon.keystore.RootKeyProbe;
import dev.coffer.daemon.keystore.RootKeys;
import dev.coffer.daemon.keystore.SoftwareKeyStore;
import dev.coffer.daemon.storage.Database;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code coffer storage migrate}: copies a stopped SQLite home's database into an empty
 * PostgreSQL database in one transaction, and commits only when every table's rows and sample
 * ciphertexts match (docs/cluster.md, "Migrating a SQLite home").
 *
 * <p>The home is only read. Its {@code coffer.db} (and {@code coffer.db-wal}, which holds
 * committed changes not yet folded into it) is copied into a private temporary directory and
 * the copy is opened, so the home's file is never opened by SQLite at all, not even read-only
 * (a read-only SQLite connection still writes the {@code -shm} index beside it); opening the
 * copy also brings a home written by an older Coffer to the current schema, with the daemon's
 * own code.
 */
public final class SqliteMigration {

  /**
   * What was copied and checked.
   *
   * @param tables each copied table's rows (equal on both sides), in copy order
   * @param sampledKeys enabled symmetric keys probed
   * @param sampledVersions their key versions, each probed in both directions
   */
  public record Report(Map<String, Long> tables, int sampledKeys, int sampledVersions) {}

  private static final String DB_FILE = "coffer.db";

  private final Path home;
  private final Path socket;
  private final PostgresTarget target;
  private final int sampleKeys;
  private final SecureRandom random;

  /**
   * @param socket the socket the home's daemon would listen on (checked: it must not answer)
   * @param sampleKeys most keys to probe ({@link CiphertextProbe})
   */
  public SqliteMigration(Path home, Path socket, PostgresTarget target, int sampleKeys,
      SecureRandom random) {
    this.home = home;
    this.socket = socket;
    this.target = target;
    this.sampleKeys = sampleKeys;
    this.random = random;
  }

  /**
   * Runs the migration.
   *
   * @throws MigrationException when refused or when a check fails (nothing committed)
   * @throws IOException when the home cannot be read
   */
  public Report run() throws IOException {
    Path dbFile = home.resolve(DB_FILE);
    if (!Files.isRegularFile(dbFile)) {
      throw new MigrationException(home + " holds no " + DB_FILE + "; name the home of a"
          + " SQLite daemon with --home");
    }
    DaemonRunning.requireStopped(home, dbFile, socket);
    requireSqliteHomeWithRootKey();
    Path work = Files.createTempDirectory("coffer-migrate",
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    try {
      Path copy = work.resolve(DB_FILE);
      Files.copy(dbFile, copy, StandardCopyOption.COPY_ATTRIBUTES);
      Path wal = home.resolve(DB_FILE + "-wal");
      if (Files.exists(wal)) {
        Files.copy(wal, work.resolve(DB_FILE + "-wal"), StandardCopyOption.COPY_ATTRIBUTES);
      }
      RootKey root = RootKeys.load(home, random);
      try (Database source = Database.open(copy)) {
        // A home of a Coffer from before the probe has none: give the copy one under the
        // home's root key, so the database refuses a node with another root key from its start.
        new RootKeyProbe(source).storeIfAbsent(root, random);
        return source.read(tx -> {
          try {
            return copy(tx.connection(), new CiphertextProbe(new SoftwareKeyStore(root, random),
                random));
          } catch (IOException e) {
            throw new SQLException(e.getMessage(), e);
          }
        });
      }
    } catch (dev.coffer.daemon.storage.StorageException e) {
      if (e.getCause() instanceof SQLException s && s.getCause() instanceof IOException io) {
        throw io;
      }
      throw new MigrationException("migration failed, nothing committed: " + e.getMessage(), e);
    } finally {
      try (var files = Files.walk(work)) {
        files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      }
    }
  }

  /**
   * The home must be on SQLite, and its software root key must exist already: {@link RootKeys#load} would otherwise create a new
   * one in the home, under which nothing of the home opens.
   */
  private void requireSqliteHomeWithRootKey() throws IOException {
    Settings p = Settings.read(home.resolve("coffer.properties"));
    if (!p.get("storage", "sqlite").equals("sqlite")) {
      // Its coffer.db, if any, is what it held before the switch: copying it would bring old
      // state back.
      throw new MigrationException(home + " already keeps its state in " + p.get("storage", "")
          + " (storage in coffer.properties); only a SQLite home is migrated");
    }
    if (p.get("root-key-store", "software").equals("software")
        && !Files.exists(home.resolve("root.key"))) {
      throw new MigrationException(home + " has a database but no root.key, so its keys cannot"
          + " be opened; restore root.key into the home first");
    }
  }

  private Report copy(Connection source, CiphertextProbe probe) throws SQLException, IOException {
    requireOutboxShipped(source);
    requireNoFoldedJournal(source);
    target.migrateSchema();
    try (Connection pg = target.connect()) {
      pg.setAutoCommit(false);
      try {
        List<String> tables = TableCopy.plan(source, pg);
        try (Statement s = pg.createStatement()) {
          // No node may write these tables while they are checked empty and filled.
          s.execute("LOCK TABLE " + String.join(", ", tables) + " IN SHARE ROW EXCLUSIVE MODE");
        }
        requireEmpty(pg, tables);
        Map<String, Long> rows = new LinkedHashMap<>();
        for (String t : tables) {
          Map<String, Integer> columns = TableCopy.copy(source, pg, t);
          TableCopy.advanceSequences(pg, t);
          TableCopy.Fingerprint from = TableCopy.fingerprint(source, t, columns);
          TableCopy.Fingerprint to = TableCopy.fingerprint(pg, t, columns);
          if (!from.equals(to)) {
            throw new MigrationException("table " + t + " differs after the copy (SQLite "
                + from.rows() + " rows, PostgreSQL " + to.rows() + " rows" + (from.rows()
                == to.rows() ? ", values differ" : "") + "); nothing was committed");
          }
          rows.put(t, from.rows());
        }
        CiphertextProbe.Samples samples = probe.run(source, pg, sampleKeys);
        pg.commit();
        return new Report(rows, samples.keys(), samples.versions());
      } catch (SQLException | RuntimeException e) {
        pg.rollback();
        if (e instanceof SQLException) {
          throw new MigrationException("copying into PostgreSQL failed, nothing was committed: "
              + e.getMessage(), e);
        }
        throw e;
      }
    }
  }

  /** Refuses a target that already holds Coffer data, naming what it holds. */
  private void requireEmpty(Connection pg, List<String> tables) throws SQLException {
    List<String> held = new ArrayList<>();
    for (String t : tables) {
      long n = TableCopy.count(pg, t);
      if (n > 0) {
        held.add(t + ": " + n);
      }
    }
    if (!held.isEmpty()) {
      throw new MigrationException("the PostgreSQL database " + target.jdbcUrl() + " already"
          + " holds Coffer data (" + String.join(", ", held) + " rows); migrate into a new,"
          + " empty database (CREATE DATABASE ...), or, if that data is not needed, drop this"
          + " database and create it again; nothing was copied");
    }
  }

  /**
   * The home's usage journal files ({@code usage-journal.N}) hold request counts on their way
   * into {@code usage_requests}, which is copied; how far they were folded ({@code
   * usage_journal_folds}) is this node's bookkeeping and is not. A file the home had folded
   * already (left by a daemon killed between the fold and the file's deletion) would be counted
   * a second time by a node on the new database that keeps this home, so it is refused.
   */
  private void requireNoFoldedJournal(Connection source) throws SQLException, IOException {
    long folded = -1;
    if (TableCopy.tables(source).contains("usage_journal_folds")) {
      try (Statement s = source.createStatement();
          ResultSet r = s.executeQuery("SELECT MAX(generation) FROM usage_journal_folds")) {
        if (r.next() && r.getObject(1) != null) {
          folded = r.getLong(1);
        }
      }
    }
    java.util.regex.Pattern journal = java.util.regex.Pattern.compile("usage-journal\\.([0-9]{1,18})");
    try (var files = Files.list(home)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        var m = journal.matcher(f.getFileName().toString());
        if (m.matches() && Long.parseLong(m.group(1)) <= folded) {
          throw new MigrationException("the usage journal " + f + " was already counted into"
              + " the database, but not yet deleted (the daemon stopped in between); start the"
              + " daemon on this home once and stop it (it deletes it), then migrate again");
        }
      }
    }
  }

  /**
   * The outbox rows hold audit records of committed changes on their way to the home's audit
   * log, which the new database does not share; each must be in the log already, else the
   * migrated changes would lose their records.
   */
  private void requireOutboxShipped(Connection source) throws SQLException, IOException {
    List<String> ids = new ArrayList<>();
    Instant oldest = null;
    try (Statement s = source.createStatement();
        ResultSet r = s.executeQuery("SELECT event_id, created_ms FROM audit_outbox")) {
      while (r.next()) {
        ids.add(r.getString(1));
        Instant c = Instant.ofEpochMilli(r.getLong(2));
        oldest = oldest == null || c.isBefore(oldest) ? c : oldest;
      }
    }
    if (ids.isEmpty()) {
      return;
    }
    int missing = ids.size() - AuditLog.eventIdsIn(home.resolve("audit"), ids, oldest).size();
    if (missing > 0) {
      throw new MigrationException(missing + " audit record(s) of committed changes are held in"
          + " the database outbox but not yet in the home's audit log (the daemon stopped"
          + " before writing them); start the daemon on this home once and stop it (it writes"
          + " them at start-up), then migrate again");
    }
  }
}
