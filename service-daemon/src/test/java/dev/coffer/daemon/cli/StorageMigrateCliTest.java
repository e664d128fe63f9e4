package dev.coffer.daemon.cli;

import dev.coffer.daemon.storage.TestPostgres;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coffer.daemon.TestDaemon;
import dev.coffer.daemon.migration.SqliteHomeFixture;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code coffer storage migrate}: its options, output and exit status. */
class StorageMigrateCliTest {

  private record Result(int code, String out, String err) {}

  private static Result run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = new CofferCli(new PrintWriter(out, true), new PrintWriter(err, true)).run(args);
    return new Result(code, out.toString(), err.toString());
  }

  @Test
  void migrate_printsWhatWasCopiedAndTheSettings_thenRefusesTheSameDatabase() throws Exception {
    String url = TestPostgres.newDatabaseUrl();
    try (TestDaemon d = new TestDaemon()) {
      new SqliteHomeFixture().populate(d);
      d.client.close();
      d.daemon.close();
      Path socket = d.home.resolve("coffer.sock");
      try {
        String[] args = {"storage", "migrate", "--home", d.home.toString(), "--to",
            "postgresql", "--jdbc-url", url, "--jdbc-user", "postgres", "--socket",
            socket.toString()};
        Result r = run(args);
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("  keys                             8 rows"), r.out());
        assertTrue(r.out().contains("\nstorage = postgresql\njdbc-url = " + url
            + "\njdbc-user = postgres\n# password: set COFFER_JDBC_PASSWORD"), r.out());

        Result again = run(args);
        assertEquals(StorageCommands.EXIT_REFUSED, again.code(), again.out());
        assertTrue(again.err().startsWith("coffer storage migrate: the PostgreSQL database "),
            again.err());
      } finally {
        d.start(); // for close
      }
    }
  }

  @Test
  void wrongEngineOrUrl_isAUsageError_beforeAnythingIsRead() {
    Result r = run("storage", "migrate", "--home", "/nonexistent", "--to", "mysql",
        "--jdbc-url", "jdbc:postgresql://x/y", "--jdbc-user", "u");
    assertEquals(CofferCli.EXIT_USAGE, r.code());
    assertTrue(r.err().contains("--to must be postgresql"), r.err());
    r = run("storage", "migrate", "--home", "/nonexistent", "--to", "postgresql",
        "--jdbc-url", "jdbc:mysql://x/y", "--jdbc-user", "u");
    assertEquals(CofferCli.EXIT_USAGE, r.code());
    assertTrue(r.err().contains("jdbc-url must be a PostgreSQL JDBC URL"), r.err());
  }

  @Test
  void aPasswordOnTheCommandLine_isNotAnOption() {
    Result r = run("storage", "migrate", "--to", "postgresql", "--jdbc-url",
        "jdbc:postgresql://x/y", "--jdbc-user", "u", "--jdbc-password", "secret");
    assertEquals(CofferCli.EXIT_USAGE, r.code());
    assertTrue(r.err().contains("use --jdbc-password-file or COFFER_JDBC_PASSWORD"), r.err());
    assertTrue(!r.err().contains("secret") && !r.out().contains("secret"), r.err());
  }

  @Test
  void aHomeWithoutADatabase_isRefusedByName() throws Exception {
    Path empty = Files.createTempDirectory(Path.of("/tmp"), "ce");
    try {
      Result r = run("storage", "migrate", "--home", empty.toString(), "--to", "postgresql",
          "--jdbc-url", "jdbc:postgresql://127.0.0.1:1/none", "--jdbc-user", "u");
      assertEquals(StorageCommands.EXIT_REFUSED, r.code(), r.out());
      assertTrue(r.err().contains("holds no coffer.db"), r.err());
      assertEquals(List.of(), List.of(empty.toFile().list()));
    } finally {
      Files.delete(empty);
    }
  }
}
