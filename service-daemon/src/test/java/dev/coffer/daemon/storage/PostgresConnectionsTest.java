package dev.coffer.daemon.storage;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coffer.daemon.Daemon;
import dev.coffer.daemon.config.DaemonConfig;
import dev.coffer.daemon.config.StorageSettings;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Connecting to a real PostgreSQL, and the one-line failures an operator sees at start. */
class PostgresConnectionsTest {

  private static EmbeddedPostgres pg;

  @BeforeAll
  static void start() throws IOException {
    pg = EmbeddedPostgres.builder().start();
  }

  @AfterAll
  static void stop() throws IOException {
    pg.close();
  }

  private String url(String database) {
    return pg.getJdbcUrl("postgres", database).replaceFirst("\\?.*", "");
  }

  @Test
  void rightSettings_connect() throws Exception {
    try (Connection c = PostgresConnections.connect(url("postgres"), "postgres", new char[0]);
        Statement s = c.createStatement();
        ResultSet r = s.executeQuery("SELECT 1")) {
      assertTrue(r.next());
    }
  }

  @Test
  void unknownRole_failsNamingTheSettingsAndTheServersReason() {
    String m = assertThrows(IOException.class, () -> PostgresConnections.connect(
        url("postgres"), "nobody", "wrong".toCharArray())).getMessage();
    assertTrue(m.contains("jdbc-user=nobody") && m.contains("nobody")
        && m.contains("jdbc-password-file or COFFER_JDBC_PASSWORD"), m);
    assertTrue(!m.contains("wrong"), "the password is never shown: " + m);
  }

  @Test
  void unknownDatabase_and_unreachableServer_failNamingTheUrl() throws IOException {
    String m = assertThrows(IOException.class, () -> PostgresConnections.connect(
        url("nosuchdb"), "postgres", new char[0])).getMessage();
    assertTrue(m.contains("jdbc-url=") && m.contains("nosuchdb"), m);
    int closed;
    try (ServerSocket s = new ServerSocket(0)) {
      closed = s.getLocalPort();
    }
    String url = "jdbc:postgresql://127.0.0.1:" + closed + "/coffer";
    m = assertThrows(IOException.class,
        () -> PostgresConnections.connect(url, "postgres", new char[0])).getMessage();
    assertTrue(m.contains("jdbc-url=" + url) && !m.contains("\n"), m);
  }

  @Test
  void daemonWithPostgresql_checksTheConnection_thenRefusesUntilTheEngineExists()
      throws IOException {
    Path home = Files.createTempDirectory(Path.of("/tmp"), "cpg");
    DaemonConfig base = DaemonConfig.forDirectory(home);
    DaemonConfig wrongRole = base.withStorage(
        StorageSettings.postgresql(url("postgres"), "nobody", Optional.empty()));
    String m = assertThrows(IOException.class, () -> Daemon.start(wrongRole)).getMessage();
    assertTrue(m.startsWith("cannot connect to the PostgreSQL database") && m.contains("nobody"),
        m);
    DaemonConfig right = base.withStorage(
        StorageSettings.postgresql(url("postgres"), "postgres", Optional.empty()));
    m = assertThrows(IOException.class, () -> Daemon.start(right)).getMessage();
    assertTrue(m.contains("storage=postgresql is not available in this build yet"), m);
    assertFalse(Files.exists(home.resolve("coffer.db")), "nothing written to SQLite");
    Files.delete(home); // still empty: the check comes before anything is created
  }
}
