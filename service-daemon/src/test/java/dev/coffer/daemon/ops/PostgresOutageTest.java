package dev.coffer.daemon.ops;

import static dev.coffer.daemon.TestDaemon.bytes;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coffer.daemon.Daemon;
import dev.coffer.daemon.TestDaemon;
import dev.coffer.daemon.config.DaemonConfig;
import dev.coffer.daemon.config.StorageSettings;
import dev.coffer.daemon.storage.TestPostgres;
import dev.coffer.protocol.KmsException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.Comparator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A daemon on PostgreSQL whose sessions the server ends (a restart, a failover, an operator's
 * pg_terminate_backend): it keeps serving from memory, and its writes work again.
 */
class PostgresOutageTest {

  private static final byte[] SECRET = "outage".getBytes(StandardCharsets.UTF_8);
  private TestDaemon d;

  @AfterEach
  void close() throws Exception {
    if (d != null) {
      d.close();
    }
  }

  @Test
  void sessionsEndedByTheServer_theDaemonKeepsServing_andWritesRecover() throws Exception {
    StorageSettings db = TestPostgres.newDatabase();
    d = new TestDaemon(c -> c.withStorage(db));
    String key = d.createKey();
    byte[] blob = bytes(d.call("Encrypt", "KeyId", key, "Plaintext", SECRET)
        .get("CiphertextBlob"));
    try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.jdbcUser(), "");
        Statement s = c.createStatement()) {
      s.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
          + " WHERE datname = current_database() AND pid <> pg_backend_pid()");
    }
    Thread.sleep(200);
    assertArrayEquals(SECRET, bytes(d.call("Decrypt", "CiphertextBlob", blob).get("Plaintext")));
    try {
      d.call("CreateKey");
    } catch (KmsException e) {
      // The request that finds its session gone fails, as docs/cluster.md says; not the next.
      assertEquals("KMSInternalException", e.errorType(), e.getMessage());
    }
    assertTrue(!d.createKey().isEmpty());
    d.call("DisableKey", "KeyId", key);
    // The node takes its node-id again once the server is back: a copy of its home is still
    // refused.
    Thread.sleep(2_000);
    Path other = Files.createTempDirectory(Path.of("/tmp"), "cd3");
    Files.copy(d.home.resolve("root.key"), other.resolve("root.key"));
    Files.copy(d.home.resolve("node-id"), other.resolve("node-id"));
    Files.setPosixFilePermissions(other, PosixFilePermissions.fromString("rwx------"));
    try {
      IOException e = assertThrows(IOException.class,
          () -> Daemon.start(DaemonConfig.forDirectory(other).withStorage(db)).close());
      assertTrue(e.getMessage().contains("node-id"), e.getMessage());
    } finally {
      try (var files = Files.walk(other)) {
        files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      }
    }
  }
}
