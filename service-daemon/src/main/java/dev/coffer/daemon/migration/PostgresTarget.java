package dev.coffer.daemon.migration;

import dev.coffer.daemon.config.StorageSettings;
import dev.coffer.daemon.storage.Engine;
import java.io.IOException;
import java.nio.file.Path;
import dev.coffer.daemon.storage.PostgresConnections;
import java.sql.Connection;
import java.util.Arrays;
import java.util.Optional;

/**
 * The PostgreSQL database a SQLite home is migrated into, named by the storage settings a node
 * uses ({@code jdbc-url}, {@code jdbc-user}, {@code jdbc-password-file}, else the environment
 * variable {@code COFFER_JDBC_PASSWORD}; {@link StorageSettings}, docs/cluster.md).
 */
public record PostgresTarget(StorageSettings settings) {

  public PostgresTarget {
    if (settings.engine() != Engine.POSTGRESQL) {
      throw new IllegalArgumentException("the target of a migration is PostgreSQL");
    }
    if (!jdbcUrl(settings).startsWith("jdbc:postgresql://")) {
      throw new IllegalArgumentException("--jdbc-url must be a PostgreSQL JDBC URL,"
          + " jdbc:postgresql://HOST:PORT/DATABASE; got " + jdbcUrl(settings));
    }
  }

  /**
   * @param passwordFile a file of mode 0600 or 0400 holding the password, or null for the
   *     environment variable
   */
  public PostgresTarget(String jdbcUrl, String user, Path passwordFile) {
    this(StorageSettings.postgresql(String.valueOf(jdbcUrl), requireUser(user),
        Optional.ofNullable(passwordFile).map(Path::toAbsolutePath)));
  }

  private static String requireUser(String user) {
    if (user == null || user.isBlank()) {
      throw new IllegalArgumentException("--jdbc-user must name a PostgreSQL role");
    }
    return user;
  }

  private static String jdbcUrl(StorageSettings s) {
    return s.jdbcUrl().orElseThrow();
  }

  public String jdbcUrl() {
    return jdbcUrl(settings);
  }

  public String user() {
    return settings.jdbcUser().orElseThrow();
  }

  /** The password file, or null when the password comes from the environment. */
  public Path passwordFile() {
    return settings.passwordFile().orElse(null);
  }

  /**
   * A new connection, autocommit on, made as a node makes it ({@link PostgresConnections}).
   *
   * @throws MigrationException naming the URL, the role and the server's reason when it
   *     refuses the login or cannot be reached
   * @throws IOException if the password file is unreadable or readable by other users
   */
  public Connection connect() throws IOException {
    char[] password = settings.password(System::getenv);
    try {
      return PostgresConnections.connect(jdbcUrl(), user(), password);
    } catch (IOException e) {
      throw new MigrationException(e.getMessage(), e);
    } finally {
      Arrays.fill(password, '\0');
    }
  }
}
