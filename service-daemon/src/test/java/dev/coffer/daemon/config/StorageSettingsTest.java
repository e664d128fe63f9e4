package dev.coffer.daemon.config;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coffer.daemon.Daemon;
import dev.coffer.daemon.storage.Engine;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code storage} and the {@code jdbc-*} keys of {@code coffer.properties}, read strictly. */
class StorageSettingsTest {

  private static final String PG = "storage=postgresql\n"
      + "jdbc-url=jdbc:postgresql://db.example.com:5432/coffer\njdbc-user=coffer\n";

  private Path home;

  @BeforeEach
  void home() throws IOException {
    home = Files.createTempDirectory(Path.of("/tmp"), "css");
  }

  @AfterEach
  void clean() throws IOException {
    try (var s = Files.walk(home)) {
      s.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    }
  }

  private StorageSettings load(String text) throws IOException {
    Files.writeString(home.resolve("coffer.properties"), text);
    return DaemonConfig.fromEnvironment(home, home.resolve("coffer.sock")).storage();
  }

  private String refused(String text) {
    return assertThrows(IllegalArgumentException.class, () -> load(text)).getMessage();
  }

  @Test
  void default_isSqlite() throws IOException {
    assertEquals(StorageSettings.sqlite(), load(""));
    assertEquals(Engine.SQLITE, load("storage=sqlite\n").engine());
  }

  @Test
  void postgresql_readsUrlUserAndFile() throws IOException {
    StorageSettings s = load(PG + "jdbc-password-file=/etc/coffer/jdbc.password\n");
    assertEquals(Engine.POSTGRESQL, s.engine());
    assertEquals(Optional.of("jdbc:postgresql://db.example.com:5432/coffer"), s.jdbcUrl());
    assertEquals(Optional.of("coffer"), s.jdbcUser());
    assertEquals(Optional.of(Path.of("/etc/coffer/jdbc.password")), s.passwordFile());
  }

  @Test
  void jdbcPasswordSetting_isRefused_sayingWhatToUse_withoutEchoingIt() {
    String m = refused(PG + "jdbc-password=hunter2\n");
    assertTrue(m.contains("jdbc-password") && m.contains("jdbc-password-file")
        && m.contains("COFFER_JDBC_PASSWORD"), m);
    assertFalse(m.contains("hunter2"), m);
    // refused under SQLite too: whoever wrote it believes a password is kept there
    assertFalse(refused("jdbc-password=hunter2\n").contains("hunter2"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"storage=mysql\n", "storage=postgresql\njdbc-user=coffer\n",
      "storage=postgresql\njdbc-url=jdbc:postgresql://h/db\n",
      "storage=postgresql\njdbc-url=postgresql://h/db\njdbc-user=coffer\n",
      "storage=postgresql\njdbc-url=jdbc:mysql://h/db\njdbc-user=coffer\n",
      "storage=postgresql\njdbc-url=jdbc:postgresql://h/db\njdbc-user=\n",
      "storage=postgresql\njdbc-url=jdbc:postgresql://h/db\njdbc-user=c\n"
          + "jdbc-password-file=relative/pw\n",
      "jdbc-url=jdbc:postgresql://h/db\n", "jdbc-user=coffer\n", "jdbc-password-file=/x/pw\n"})
  void invalidCombinations_areRefused_namingTheKey(String text) {
    String m = refused(text);
    assertTrue(m.contains("'storage'") || m.contains("'jdbc-"), m);
  }

  @Test
  void passwordFile_mustBeOwnerOnly_andIsStripped() throws IOException {
    Path f = home.resolve("pw");
    Files.writeString(f, "s3cret\n");
    StorageSettings s = StorageSettings.postgresql("jdbc:postgresql://h/db", "coffer",
        Optional.of(f));
    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r--r--"));
    String m = assertThrows(IOException.class, () -> s.password(Map.<String, String>of()::get)).getMessage();
    assertTrue(m.contains("too open") && m.contains(f.toString()), m);
    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("r--------"));
    assertArrayEquals("s3cret".toCharArray(), s.password(Map.<String, String>of()::get));
  }

  @Test
  void withoutFile_passwordComesFromTheEnvironment() throws IOException {
    StorageSettings s = StorageSettings.postgresql("jdbc:postgresql://h/db", "coffer",
        Optional.empty());
    assertArrayEquals("pw".toCharArray(),
        s.password(Map.of(StorageSettings.PASSWORD_VARIABLE, "pw")::get));
    assertArrayEquals(new char[0], s.password(Map.<String, String>of()::get));
  }

  @Test
  void postgresqlDaemon_unreachableServer_isAStartFailure_neverServedFromSqlite()
      throws IOException {
    load(PG.replace("db.example.com", "coffer-db.invalid"));
    DaemonConfig c = DaemonConfig.fromEnvironment(home, home.resolve("coffer.sock"));
    String m = assertThrows(IOException.class, () -> Daemon.start(c)).getMessage();
    assertTrue(m.contains("jdbc-url=jdbc:postgresql://coffer-db.invalid:5432/coffer")
        && m.contains("coffer-db.invalid") && m.contains("UnknownHostException"), m);
    assertFalse(Files.exists(home.resolve("coffer.db")), "nothing written to SQLite");
  }
}
