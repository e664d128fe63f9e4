package dev.coffer.daemon.config;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Where the daemon keeps its durable state ({@code docs/cluster.md}, "Storage").
 *
 * <pre>
 * storage = sqlite                    # default: $COFFER_HOME/coffer.db, one node
 * storage = postgresql                # several nodes on one database
 * jdbc-url = jdbc:postgresql://db.example:5432/coffer
 * jdbc-user = coffer
 * jdbc-password-file = /etc/coffer/db.password   # mode 0600 or 0400; else COFFER_JDBC_PASSWORD
 * </pre>
 *
 * <p>The password is never a setting: a {@code jdbc-password} line is refused, because {@code
 * coffer.properties} is readable by the daemon's operators and ends up in backups and tickets.
 *
 * @param engine which database holds the state
 * @param jdbcUrl {@code jdbc:postgresql://...} for {@link Engine#POSTGRESQL}; empty for SQLite
 * @param jdbcUser the database role; empty for SQLite
 * @param passwordFile the file holding the role's password (first line), if set
 */
public record StorageSettings(Engine engine, String jdbcUrl, String jdbcUser,
    Optional<Path> passwordFile) {

  /** The environment variable holding the password when {@code jdbc-password-file} is unset. */
  public static final String PASSWORD_VARIABLE = "COFFER_JDBC_PASSWORD";

  /** The database engines Coffer runs on. */
  public enum Engine {
    SQLITE("sqlite"), POSTGRESQL("postgresql");

    private final String setting;

    Engine(String setting) {
      this.setting = setting;
    }

    /** The value of {@code storage=} that selects this engine. */
    public String setting() {
      return setting;
    }
  }

  public StorageSettings {
    if (engine == Engine.POSTGRESQL) {
      if (carriesPassword(jdbcUrl)) {
        throw new IllegalArgumentException("jdbc-url must not carry a password (it is printed in"
            + " errors, logs and the process list): put the database password in a file of mode"
            + " 0600 named by jdbc-password-file, or in the environment variable "
            + PASSWORD_VARIABLE + ", and remove it from the URL");
      }
      if (!jdbcUrl.startsWith("jdbc:postgresql:")) {
        throw new IllegalArgumentException("jdbc-url must be a PostgreSQL JDBC URL, e.g."
            + " jdbc:postgresql://db.example:5432/coffer, with storage=postgresql; got '"
            + jdbcUrl + "'");
      }
      if (jdbcUser.isEmpty()) {
        throw new IllegalArgumentException("storage=postgresql needs jdbc-user, the database"
            + " role the daemon connects as");
      }
    }
  }

  /**
   * Whether {@code url} holds a secret: a {@code password} or {@code sslpassword} property
   * (pgJDBC reads both from the URL, names in any case) or a {@code user:password@} part (the
   * libpq URI form an operator may paste).
   */
  private static boolean carriesPassword(String url) {
    int query = url.indexOf('?');
    String beforeQuery = query < 0 ? url : url.substring(0, query);
    int authority = beforeQuery.indexOf("//");
    if (authority >= 0) {
      String rest = beforeQuery.substring(authority + 2);
      int slash = rest.indexOf('/');
      if ((slash < 0 ? rest : rest.substring(0, slash)).contains("@")) {
        return true;
      }
    }
    if (query < 0) {
      return false;
    }
    for (String property : url.substring(query + 1).split("&")) {
      String name = property.split("=", 2)[0].strip().toLowerCase(java.util.Locale.ROOT);
      if (name.equals("password") || name.equals("sslpassword")) {
        return true;
      }
    }
    return false;
  }

  /** SQLite in the data directory. */
  public static StorageSettings defaults() {
    return new StorageSettings(Engine.SQLITE, "", "", Optional.empty());
  }

  /** PostgreSQL at {@code jdbcUrl} as {@code jdbcUser} (tests, {@code coffer storage}). */
  public static StorageSettings postgresql(String jdbcUrl, String jdbcUser,
      Optional<Path> passwordFile) {
    return new StorageSettings(Engine.POSTGRESQL, jdbcUrl, jdbcUser, passwordFile);
  }

  /**
   * The role's password: the first line of {@code jdbc-password-file} (relative to {@code
   * home}), which must be mode 0600 or 0400 as the PIN files are, else {@value
   * #PASSWORD_VARIABLE}, else empty (trust or peer authentication). For the daemon and {@code
   * coffer storage migrate}.
   *
   * @throws IOException naming the file if it is unreadable or open to other users
   */
  public String password(Path home) throws IOException {
    if (passwordFile.isPresent()) {
      Path f = home.resolve(passwordFile.get());
      if (!java.nio.file.Files.isRegularFile(f)) {
        throw new IOException("jdbc-password-file " + f + (java.nio.file.Files.exists(f)
            ? " is not a regular file" : " does not exist") + ": it must hold the database"
            + " password on its first line (mode 0600 or 0400), or remove the setting and set "
            + PASSWORD_VARIABLE);
      }
      dev.coffer.daemon.files.SecureFiles.requireOwnerOnly(f,
          "the database password (jdbc-password-file)");
      try {
        return java.nio.file.Files.readAllLines(f, java.nio.charset.StandardCharsets.UTF_8)
            .stream().findFirst().orElse("");
      } catch (IOException e) {
        // The exception's message is the cause only; never the file's content.
        throw new IOException("cannot read jdbc-password-file " + f + ": " + e, e);
      }
    }
    return Optional.ofNullable(System.getenv(PASSWORD_VARIABLE)).orElse("");
  }

  /**
   * {@code pb} without {@value #PASSWORD_VARIABLE} in its environment: a program the daemon runs
   * (an {@code expiry-event-command}, {@code id}) must not inherit the database password.
   */
  public static ProcessBuilder withoutPassword(ProcessBuilder pb) {
    pb.environment().remove(PASSWORD_VARIABLE);
    return pb;
  }

  static StorageSettings from(Settings p, StorageSettings d) {
    // Not containsKey: that would list jdbc-password among the valid settings.
    if (p.stringPropertyNames().contains("jdbc-password")) {
      throw new IllegalArgumentException(p.source() + ": jdbc-password is not a setting: put"
          + " the database password in a file of mode 0600 named by jdbc-password-file, or in"
          + " the environment variable " + PASSWORD_VARIABLE + ", and remove the line");
    }
    String engine = p.get("storage", d.engine.setting());
    Engine e = switch (engine) {
      case "sqlite" -> Engine.SQLITE;
      case "postgresql" -> Engine.POSTGRESQL;
      default -> throw p.invalid("storage", engine, "must be sqlite or postgresql");
    };
    String url = p.get("jdbc-url", d.jdbcUrl);
    String user = p.get("jdbc-user", d.jdbcUser);
    Optional<Path> file = p.containsKey("jdbc-password-file")
        ? Optional.of(Path.of(p.get("jdbc-password-file", ""))) : d.passwordFile;
    if (file.isPresent() && file.get().toString().isBlank()) {
      throw p.invalid("jdbc-password-file", "", "must name the file holding the database"
          + " password; remove the line to take it from " + PASSWORD_VARIABLE);
    }
    if (e == Engine.SQLITE && (p.containsKey("jdbc-url") || p.containsKey("jdbc-user")
        || p.containsKey("jdbc-password-file"))) {
      throw new IllegalArgumentException(p.source() + ": jdbc-* settings apply only with"
          + " storage=postgresql, but storage is sqlite; add storage=postgresql to keep the state"
          + " in that database, or remove the jdbc-* lines");
    }
    try {
      return new StorageSettings(e, url, user, file);
    } catch (IllegalArgumentException bad) {
      throw new IllegalArgumentException(p.source() + ": " + bad.getMessage(), bad);
    }
  }
}
