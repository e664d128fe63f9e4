package dev.coffer.daemon.storage;

import java.sql.SQLException;
import java.sql.Statement;

/** Homes as older Coffer versions left them, made from a current one (upgrade tests). */
public final class LegacyHomes {
  private LegacyHomes() {}

  /**
   * Makes a SQLite home look as Coffer left it before Flyway kept the schema: {@code
   * meta.schema_version} and no history table, without the per-node column and tables of schema
   * 5. The caller drops what the version it imitates did not have yet.
   */
  public static void rewindToBeforeFlyway(Statement s, int version) throws SQLException {
    s.executeUpdate("DROP TABLE flyway_schema_history");
    s.executeUpdate("ALTER TABLE audit_outbox DROP COLUMN node_id");
    s.executeUpdate("CREATE TABLE usage_journal_folded (id INTEGER PRIMARY KEY CHECK (id = 1),"
        + " generation INTEGER NOT NULL)");
    s.executeUpdate("INSERT INTO usage_journal_folded SELECT 1, generation FROM"
        + " usage_journal_folds");
    s.executeUpdate("DROP TABLE usage_journal_folds");
    s.executeUpdate("DROP TABLE key_store_connections");
    s.executeUpdate("INSERT INTO meta(name, value) VALUES ('schema_version', '" + version + "')"
        + " ON CONFLICT (name) DO UPDATE SET value = excluded.value");
  }
}
