package dev.coffer.daemon.migration;

import dev.coffer.daemon.config.StorageSettings;
import dev.coffer.daemon.storage.Database;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Optional;
import java.util.Properties;

/**
 * The PostgreSQL database a SQLite home is migrated into, named by the storage settings a node
 * uses ({@code jdbc-url}, {@code jdbc-user}, {@code jdbc-password-file}, else the environment
 * variable {@code COFFER_JDBC_PASSWORD}; {@link StorageSettings}, docs/cluster.md).
 */
public record PostgresTarget(StorageSettings settings) {

  /** The name the migration's sessions give PostgreSQL (its node id while it runs Flyway). */
  static final String SESSION = "coffer-storage-migrate";

  public PostgresTarget {
    if (settings.engine() != StorageSettings.Engine.POSTGRESQL) {
      throw new IllegalArgumentException("the target of a migration is PostgreSQL");
    }
  }

  /**
   * @param passwordFile a file of mode 0600 or 0400 holding the password, or null for the
   *     environment variable
   * @throws IllegalArgumentException for a URL that is not PostgreSQL's or an empty user
   */
  public PostgresTarget(String jdbcUrl, String user, Path passwordFile) {
    this(StorageSettings.postgresql(String.valueOf(jdbcUrl), user == null ? "" : user,
        Optional.ofNullable(passwordFile).map(Path::toAbsolutePath)));
  }

  public String jdbcUrl() {
    return settings.jdbcUrl();
  }

  public String user() {
    return settings.jdbcUser();
  }

  /** The password file, or null when the password comes from the environment. */
  public Path passwordFile() {
    return settings.passwordFile().orElse(null);
  }

  /**
   * Brings the database's schema to this build's version, as a node's start does ({@link
   * Database#open(StorageSettings, String, String)}: the same Flyway migrations).
   *
   * @throws MigrationException naming the URL, the role and the server's reason when it
   *     refuses the login, cannot be reached, or holds a newer schema
   * @throws IOException if the password file is unreadable or open to other users
   */
  void migrateSchema() throws IOException {
    String password = settings.password(Path.of("/"));
    try (Database db = Database.open(settings, password, SESSION)) {
      // opened: the schema is current
    } catch (IOException e) {
      throw new MigrationException(e.getMessage(), e);
    }
  }

  /**
   * A new connection, autocommit on, for the migration's transaction.
   *
   * @throws MigrationException naming the URL, the role and the server's reason
   * @throws IOException if the password file is unreadable or open to other users
   */
  public Connection connect() throws IOException {
    Properties p = new Properties();
    p.setProperty("user", user());
    p.setProperty("password", settings.password(Path.of("/")));
    p.setProperty("connectTimeout", "10");
    p.setProperty("ApplicationName", SESSION);
    try {
      return DriverManager.getConnection(jdbcUrl(), p);
    } catch (SQLException e) {
      throw new MigrationException("cannot connect to " + jdbcUrl() + " as " + user() + ": "
          + e.getMessage(), e);
    } finally {
      p.clear();
    }
  }
}
