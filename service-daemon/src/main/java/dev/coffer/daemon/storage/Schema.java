package dev.coffer.daemon.storage;

import dev.coffer.daemon.config.StorageSettings.Engine;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;
import java.util.Map;
import java.util.Properties;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.MigrationState;
import org.flywaydb.core.api.MigrationVersion;
import org.flywaydb.core.api.migration.Context;
import org.flywaydb.core.api.migration.JavaMigration;
import org.flywaydb.core.api.output.MigrateResult;

/**
 * The one schema of both engines, brought up to date by Flyway from {@code
 * db/migration/V*.sql} (and {@link KeyMaterials}, the one step that rewrites rows) before the
 * daemon uses the database. Each step runs in its own transaction, so a failure (a full disk)
 * leaves the schema as the last completed step left it.
 *
 * <p>Homes made before Flyway ran the schema record their version in {@code meta.schema_version}
 * (1 to 3) and have no history table: they are baselined at that version and migrated on.
 */
final class Schema {
  private Schema() {}

  /** The newest schema this build knows. */
  static final int VERSION = 5;

  /** Versions {@code meta.schema_version} held before Flyway ran the schema. */
  private static final int LAST_LEGACY_VERSION = 3;

  private static final Logger LOG = Logger.getLogger(Schema.class.getName());
  /** Flyway reports every step at INFO; the daemon says in one line what changed. */
  private static final Logger FLYWAY_LOG = Logger.getLogger("org.flywaydb");

  static {
    FLYWAY_LOG.setLevel(Level.WARNING);
  }

  /**
   * Migrates the database at {@code url} to {@link #VERSION}.
   *
   * @param nodeId the node running the migration: rows an existing single-node home holds
   *     become this node's
   * @throws SQLException if the database was written by a newer Coffer, or a step fails
   */
  static void migrate(Engine engine, String url, Properties credentials, String nodeId)
      throws SQLException {
    Integer legacy = engine == Engine.SQLITE ? legacyVersion(url, credentials) : null;
    if (legacy != null && legacy > LAST_LEGACY_VERSION) {
      throw newer(legacy);
    }
    try {
      run(engine, url, credentials, nodeId, legacy);
    } catch (org.flywaydb.core.api.FlywayException e) {
      throw new SQLException(cause(e), e);
    }
  }

  private static void run(Engine engine, String url, Properties credentials, String nodeId,
      Integer legacy) throws SQLException {
    Flyway flyway = Flyway.configure(Schema.class.getClassLoader())
        .dataSource(url, credentials.getProperty("user"), credentials.getProperty("password"))
        .locations("classpath:db/migration")
        .javaMigrations(new KeyMaterials())
        .placeholders(Map.of("blob", engine == Engine.POSTGRESQL ? "BYTEA" : "BLOB",
            "node_id", nodeId))
        .baselineOnMigrate(legacy != null)
        .baselineVersion(MigrationVersion.fromVersion(String.valueOf(legacy == null ? 1 : legacy)))
        .baselineDescription("Coffer schema " + legacy + ", before Flyway")
        .load();
    MigrationInfo[] applied = flyway.info().applied();
    int newest = Arrays.stream(applied)
        .filter(m -> m.getVersion() != null)
        .mapToInt(m -> m.getVersion().getMajor().intValue())
        .max().orElse(0);
    if (newest > VERSION || Arrays.stream(applied).anyMatch(m ->
        m.getState() == MigrationState.FUTURE_SUCCESS
            || m.getState() == MigrationState.FUTURE_FAILED)) {
      throw newer(newest);
    }
    MigrateResult r = flyway.migrate();
    if (r.migrationsExecuted > 0) {
      LOG.info(() -> "database schema " + (r.initialSchemaVersion == null ? "created"
          : "migrated from " + r.initialSchemaVersion) + " to " + r.targetSchemaVersion);
    }
  }

  /** The database's own words (e.g. {@code FATAL: role "x" does not exist}), else Flyway's. */
  private static String cause(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLException && !(t.getCause() instanceof SQLException)) {
        return t.getMessage();
      }
    }
    return "schema migration failed: " + e.getMessage();
  }

  private static SQLException newer(int version) {
    return new SQLException("it was written by a newer Coffer (schema " + version + "; this"
        + " daemon knows " + VERSION + "); run that version, or restore a backup");
  }

  /**
   * The {@code meta.schema_version} of a SQLite home that Flyway has not migrated yet; null for
   * an empty database or one Flyway already keeps.
   */
  private static Integer legacyVersion(String url, Properties credentials) throws SQLException {
    try (Connection c = DriverManager.getConnection(url, credentials)) {
      if (hasTable(c, "flyway_schema_history") || !hasTable(c, "meta")) {
        return null;
      }
      try (Statement s = c.createStatement();
          ResultSet r = s.executeQuery("SELECT value FROM meta WHERE name = 'schema_version'")) {
        return r.next() ? Integer.valueOf(r.getString(1)) : 1;
      }
    }
  }

  static boolean hasTable(Connection c, String name) throws SQLException {
    try (ResultSet r = c.getMetaData().getTables(null, null, name, new String[] {"TABLE"})) {
      return r.next();
    }
  }

  /** Schema 2: key materials with their ids ({@link SchemaMigrations#toVersion2}). */
  static final class KeyMaterials implements JavaMigration {
    @Override
    public MigrationVersion getVersion() {
      return MigrationVersion.fromVersion("2");
    }

    @Override
    public String getDescription() {
      return "key materials";
    }

    @Override
    public Integer getChecksum() {
      return 2;
    }

    @Override
    public boolean canExecuteInTransaction() {
      return true;
    }

    @Override
    public void migrate(Context context) throws SQLException {
      SchemaMigrations.toVersion2(context.getConnection());
    }
  }
}
