package dev.coffer.daemon.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Optional;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/** {@code storage}, {@code jdbc-url}, {@code jdbc-user}, {@code jdbc-password-file}. */
class StorageSettingsTest {

  private static DaemonConfig config(String... kv) {
    Properties p = new Properties();
    for (int i = 0; i < kv.length; i += 2) {
      p.setProperty(kv[i], kv[i + 1]);
    }
    return DaemonConfig.forDirectory(Path.of("/tmp/unused")).withProperties(p);
  }

  @Test
  void default_isSqliteInTheHome() {
    assertEquals(StorageSettings.Engine.SQLITE, config().storage().engine());
  }

  @Test
  void postgresql_takesUrlUserAndPasswordFile() {
    StorageSettings s = config("storage", "postgresql", "jdbc-url",
        "jdbc:postgresql://db:5432/coffer", "jdbc-user", "coffer", "jdbc-password-file",
        "/etc/coffer/db.password").storage();
    assertEquals(StorageSettings.postgresql("jdbc:postgresql://db:5432/coffer", "coffer",
        Optional.of(Path.of("/etc/coffer/db.password"))), s);
  }

  @Test
  void aPasswordInTheFile_isRefused_sayingWhereItGoes_withoutRepeatingIt() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> config(
        "storage", "postgresql", "jdbc-url", "jdbc:postgresql://db/coffer", "jdbc-user", "c",
        "jdbc-password", "hunter2"));
    assertTrue(e.getMessage().contains("jdbc-password-file")
        && e.getMessage().contains("COFFER_JDBC_PASSWORD"), e.getMessage());
    assertFalse(e.getMessage().contains("hunter2"), e.getMessage());
  }

  /**
   * pgJDBC takes {@code password} (and {@code sslpassword}) as URL properties; the URL is printed
   * in connection errors and logs, so a password there is refused as the jdbc-password line is,
   * and a libpq-style URI with a password is not echoed in the error.
   */
  @Test
  void aPasswordInTheUrl_isRefused_withoutRepeatingIt() {
    for (String url : new String[] {"jdbc:postgresql://db/coffer?password=hunter2",
        "jdbc:postgresql://db/coffer?ssl=true&PASSWORD=hunter2",
        "jdbc:postgresql://db/coffer?sslpassword=hunter2",
        "jdbc:postgresql://coffer:hunter2@db/coffer",
        "postgresql://coffer:hunter2@db/coffer"}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> config(
          "storage", "postgresql", "jdbc-url", url, "jdbc-user", "c"), url);
      assertFalse(e.getMessage().contains("hunter2"), e.getMessage());
      if (url.startsWith("jdbc:")) {
        assertTrue(e.getMessage().contains("jdbc-password-file"), e.getMessage());
      }
    }
  }

  /** A password file that is missing, a directory, or an empty setting: named, with the fix. */
  @Test
  void anUnreadablePasswordFile_isNamedAsTheSetting() throws Exception {
    Path home = java.nio.file.Files.createTempDirectory(Path.of("/tmp"), "pwf");
    try {
      java.nio.file.Files.createDirectory(home.resolve("dir"),
          java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
              java.nio.file.attribute.PosixFilePermissions.fromString("rwx------")));
      for (String f : new String[] {"missing.password", "dir"}) {
        java.io.IOException e = assertThrows(java.io.IOException.class, () -> StorageSettings
            .postgresql("jdbc:postgresql://db/coffer", "c", Optional.of(Path.of(f)))
            .password(home), f);
        assertTrue(e.getMessage().contains("jdbc-password-file")
            && e.getMessage().contains(home.resolve(f).toString()), e.getMessage());
      }
    } finally {
      java.nio.file.Files.delete(home.resolve("dir"));
      java.nio.file.Files.delete(home);
    }
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> config(
        "storage", "postgresql", "jdbc-url", "jdbc:postgresql://db/coffer", "jdbc-user", "c",
        "jdbc-password-file", " "));
    assertTrue(e.getMessage().contains("jdbc-password-file"), e.getMessage());
  }

  /**
   * The daemon runs other programs (expiry-event-command, id for peer names): they must not
   * inherit the database password from its environment.
   */
  @Test
  void childProcesses_doNotInheritThePassword() throws Exception {
    ProcessBuilder pb = new ProcessBuilder("env");
    pb.environment().put(StorageSettings.PASSWORD_VARIABLE, "hunter2"); // as if the daemon's
    Process p = StorageSettings.withoutPassword(pb).start();
    String env = new String(p.getInputStream().readAllBytes(),
        java.nio.charset.StandardCharsets.UTF_8);
    p.waitFor();
    assertFalse(env.contains("hunter2"), env);
    assertTrue(env.contains("PATH="), env);
  }

  @Test
  void incompleteOrMismatchedSettings_areRefusedNamingTheSetting() {
    assertTrue(assertThrows(IllegalArgumentException.class, () -> config("storage", "mysql"))
        .getMessage().contains("storage"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> config("storage",
        "postgresql", "jdbc-user", "c")).getMessage().contains("jdbc-url"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> config("storage",
        "postgresql", "jdbc-url", "jdbc:mysql://db/coffer", "jdbc-user", "c")).getMessage()
        .contains("PostgreSQL JDBC URL"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> config("storage",
        "postgresql", "jdbc-url", "jdbc:postgresql://db/coffer")).getMessage()
        .contains("jdbc-user"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> config(
        "jdbc-url", "jdbc:postgresql://db/coffer")).getMessage().contains("storage=postgresql"));
  }
}
