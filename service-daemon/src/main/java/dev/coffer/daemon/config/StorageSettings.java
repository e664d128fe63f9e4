package dev.coffer.daemon.config;

import dev.coffer.daemon.files.SecureFiles;
import dev.coffer.daemon.storage.Engine;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import java.util.function.Function;

/**
 * Where the daemon keeps its durable state ({@code docs/cluster.md}, "Storage").
 *
 * <pre>
 * storage = postgresql                              # or sqlite, the default
 * jdbc-url = jdbc:postgresql://db.example.com:5432/coffer
 * jdbc-user = coffer
 * jdbc-password-file = /etc/coffer/jdbc.password    # mode 0600 or 0400; else $COFFER_JDBC_PASSWORD
 * </pre>
 *
 * <p>The password is never a setting: {@code coffer.properties} is readable by whoever may read
 * the daemon's configuration, and a command line is visible to every local user. A {@code
 * jdbc-password} setting is therefore refused, saying what to use instead. The password is read
 * when the daemon opens the database ({@link #password}), not kept in this value.
 *
 * @param engine {@code storage}: {@link Engine#SQLITE} ({@code $COFFER_HOME/coffer.db}) or
 *     {@link Engine#POSTGRESQL}
 * @param jdbcUrl {@code jdbc-url}, a {@code jdbc:postgresql://} URL; empty for SQLite
 * @param jdbcUser {@code jdbc-user}; empty for SQLite
 * @param passwordFile {@code jdbc-password-file}; empty to use {@value #PASSWORD_VARIABLE}
 */
public record StorageSettings(
    Engine engine, Optional<String> jdbcUrl, Optional<String> jdbcUser,
    Optional<Path> passwordFile) {

  /** The environment variable holding the PostgreSQL password when no file is named. */
  public static final String PASSWORD_VARIABLE = "COFFER_JDBC_PASSWORD";

  private static final String URL_PREFIX = "jdbc:postgresql://";

  public StorageSettings {
    if (engine == Engine.POSTGRESQL && (jdbcUrl.isEmpty() || jdbcUser.isEmpty())) {
      throw new IllegalArgumentException("storage=postgresql needs jdbc-url and jdbc-user");
    }
    if (engine == Engine.SQLITE
        && (jdbcUrl.isPresent() || jdbcUser.isPresent() || passwordFile.isPresent())) {
      throw new IllegalArgumentException("jdbc-* settings apply to storage=postgresql only");
    }
  }

  /** SQLite in {@code $COFFER_HOME/coffer.db}. */
  public static StorageSettings sqlite() {
    return new StorageSettings(Engine.SQLITE, Optional.empty(), Optional.empty(),
        Optional.empty());
  }

  /** PostgreSQL at {@code url} as {@code user}, the password from {@code passwordFile} or the environment. */
  public static StorageSettings postgresql(String url, String user, Optional<Path> passwordFile) {
    return new StorageSettings(Engine.POSTGRESQL, Optional.of(url), Optional.of(user),
        passwordFile);
  }

  static StorageSettings from(Settings p, StorageSettings d) {
    // Looked up without containsKey, which would list it among the valid settings.
    if (p.stringPropertyNames().contains("jdbc-password")) {
      throw p.invalid("jdbc-password", "(not shown)", "a password is never kept in"
          + " coffer.properties: put it in a file of mode 0600 or 0400 named by"
          + " jdbc-password-file, or in the environment variable " + PASSWORD_VARIABLE);
    }
    String storage = p.get("storage", d.engine.name().toLowerCase(java.util.Locale.ROOT));
    Engine engine = switch (storage) {
      case "sqlite" -> Engine.SQLITE;
      case "postgresql" -> Engine.POSTGRESQL;
      default -> throw p.invalid("storage", storage, "must be sqlite or postgresql");
    };
    Optional<String> url = optional(p, "jdbc-url").or(() -> d.jdbcUrl);
    Optional<String> user = optional(p, "jdbc-user").or(() -> d.jdbcUser);
    Optional<Path> file = optional(p, "jdbc-password-file").map(Path::of).or(() -> d.passwordFile);
    if (engine == Engine.SQLITE) {
      for (String key : new String[] {"jdbc-url", "jdbc-user", "jdbc-password-file"}) {
        if (p.containsKey(key)) {
          // An operator who wrote them believes the state is in PostgreSQL; it would not be.
          throw p.invalid(key, p.get(key, ""), "applies to storage=postgresql only; add"
              + " storage=postgresql or remove it");
        }
      }
      return sqlite();
    }
    String u = url.orElseThrow(() -> p.invalid("jdbc-url", "", "storage=postgresql needs"
        + " jdbc-url, e.g. jdbc:postgresql://db.example.com:5432/coffer"));
    if (!u.startsWith(URL_PREFIX) || u.length() == URL_PREFIX.length()) {
      throw p.invalid("jdbc-url", u, "must be a PostgreSQL JDBC URL, e.g."
          + " jdbc:postgresql://db.example.com:5432/coffer");
    }
    String who = user.orElseThrow(() -> p.invalid("jdbc-user", "", "storage=postgresql needs"
        + " jdbc-user, the PostgreSQL role the daemon logs in as"));
    if (who.isEmpty()) {
      throw p.invalid("jdbc-user", who, "must name a PostgreSQL role");
    }
    if (file.isPresent() && !file.get().isAbsolute()) {
      throw p.invalid("jdbc-password-file", file.get().toString(), "must be an absolute path");
    }
    return postgresql(u, who, file);
  }

  private static Optional<String> optional(Settings p, String key) {
    return p.containsKey(key) ? Optional.of(p.get(key, "")) : Optional.empty();
  }

  /**
   * The PostgreSQL password: the content of {@code jdbc-password-file} (one line, surrounding
   * white space stripped), which must be mode 0600 or 0400, else {@code env.apply}({@value
   * #PASSWORD_VARIABLE}), else empty (a server trusting the connection, e.g. by {@code
   * pg_hba.conf} peer or certificate authentication). The caller zeroes the array.
   *
   * @param env the environment ({@code System::getenv}; tests pass their own)
   * @throws IOException naming the file if it is unreadable or readable by other users
   */
  public char[] password(Function<String, String> env) throws IOException {
    if (passwordFile.isPresent()) {
      Path f = passwordFile.get();
      SecureFiles.requireOwnerOnly(f, "the PostgreSQL password (jdbc-password-file)");
      byte[] raw = Files.readAllBytes(f);
      try {
        return new String(raw, StandardCharsets.UTF_8).strip().toCharArray();
      } finally {
        Arrays.fill(raw, (byte) 0);
      }
    }
    String v = env.apply(PASSWORD_VARIABLE);
    return v == null ? new char[0] : v.toCharArray();
  }
}
