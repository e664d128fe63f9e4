package dev.coffer.daemon.migration;

import dev.coffer.daemon.files.SecureFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.Properties;

/**
 * The PostgreSQL database a SQLite home is migrated into, named with the settings a node uses
 * ({@code jdbc-url}, {@code jdbc-user}, {@code jdbc-password-file}, else the environment
 * variable {@code COFFER_JDBC_PASSWORD}; docs/cluster.md). The password is never a command-line
 * argument: other users can read a process's arguments.
 *
 * @param jdbcUrl e.g. {@code jdbc:postgresql://db:5432/coffer}
 * @param user the database role
 * @param passwordFile a file of mode 0600 or 0400 holding the password, or null for the
 *     environment variable
 */
public record PostgresTarget(String jdbcUrl, String user, Path passwordFile) {

  /** The environment variable holding the password when no file is named. */
  public static final String PASSWORD_VARIABLE = "COFFER_JDBC_PASSWORD";

  public PostgresTarget {
    if (jdbcUrl == null || !jdbcUrl.startsWith("jdbc:postgresql:")) {
      throw new IllegalArgumentException("--jdbc-url must be a PostgreSQL JDBC URL,"
          + " jdbc:postgresql://HOST:PORT/DATABASE; got " + jdbcUrl);
    }
    if (user == null || user.isBlank()) {
      throw new IllegalArgumentException("--jdbc-user is required");
    }
  }

  /**
   * A new connection, autocommit on.
   *
   * @throws MigrationException saying what to check when PostgreSQL refuses the login or
   *     cannot be reached
   * @throws IOException if the password file is unreadable or readable by other users
   */
  public Connection connect() throws IOException {
    char[] password = password();
    Properties p = new Properties();
    p.setProperty("user", user);
    p.setProperty("password", new String(password));
    Arrays.fill(password, '\0');
    try {
      return DriverManager.getConnection(jdbcUrl, p);
    } catch (SQLException e) {
      String state = e.getSQLState() == null ? "" : e.getSQLState();
      if (state.startsWith("28")) { // invalid_authorization_specification, invalid_password
        throw new MigrationException("PostgreSQL at " + jdbcUrl + " refused the login of user '"
            + user + "' (" + e.getMessage() + "); check the password in "
            + (passwordFile != null ? passwordFile : "$" + PASSWORD_VARIABLE)
            + " and the role's pg_hba.conf entry", e);
      }
      throw new MigrationException("cannot connect to PostgreSQL at " + jdbcUrl + ": "
          + e.getMessage(), e);
    } finally {
      p.clear();
    }
  }

  /** The password from the file (its first line) or the environment; empty if neither. */
  char[] password() throws IOException {
    if (passwordFile == null) {
      String env = System.getenv(PASSWORD_VARIABLE);
      return env == null ? new char[0] : env.toCharArray();
    }
    SecureFiles.requireOwnerOnly(passwordFile, "the PostgreSQL password");
    byte[] raw = Files.readAllBytes(passwordFile);
    try {
      return new String(raw, StandardCharsets.UTF_8).strip().toCharArray();
    } finally {
      Arrays.fill(raw, (byte) 0);
    }
  }
}
