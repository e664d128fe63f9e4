package dev.coffer.daemon.storage;

import dev.coffer.daemon.keys.AliasRecord;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/** The {@code aliases} table: SQL only; {@link Database} and {@link Tx} decide when it runs. */
final class AliasesTable {
  private AliasesTable() {}

  private static final String SELECT =
      "SELECT name, target_key_id, creation_ms, updated_ms FROM aliases";

  /** Every alias, ordered by name. */
  static List<AliasRecord> all(Connection conn) throws SQLException {
    try (PreparedStatement p = conn.prepareStatement(SELECT + " ORDER BY name")) {
      return records(p);
    }
  }

  /**
   * The aliases whose {@code column} equals {@code value}, ordered by name.
   *
   * @param suffix appended to the {@code SELECT}: {@code ""} or {@code " FOR UPDATE"}
   */
  static List<AliasRecord> where(Connection conn, String column, String value, String suffix)
      throws SQLException {
    try (PreparedStatement p = conn.prepareStatement(
        SELECT + " WHERE " + column + " = ? ORDER BY name" + suffix)) {
      p.setString(1, value);
      return records(p);
    }
  }

  private static List<AliasRecord> records(PreparedStatement p) throws SQLException {
    try (ResultSet r = p.executeQuery()) {
      List<AliasRecord> out = new ArrayList<>();
      while (r.next()) {
        out.add(new AliasRecord(r.getString(1), UUID.fromString(r.getString(2)),
            Instant.ofEpochMilli(r.getLong(3)), Instant.ofEpochMilli(r.getLong(4))));
      }
      return out;
    }
  }

  /**
   * Inserts {@code a} unless an alias of its name is stored.
   *
   * @return whether a row was written
   */
  static boolean insertIfAbsent(Connection conn, AliasRecord a) throws SQLException {
    try (PreparedStatement p = conn.prepareStatement(
        "INSERT INTO aliases(name, target_key_id, creation_ms, updated_ms) VALUES (?,?,?,?)"
            + " ON CONFLICT (name) DO NOTHING")) {
      p.setString(1, a.name());
      p.setString(2, a.targetKeyId().toString());
      p.setLong(3, a.creationDate().toEpochMilli());
      p.setLong(4, a.lastUpdatedDate().toEpochMilli());
      return p.executeUpdate() == 1;
    }
  }

  /** Retargets a stored alias; false when none of that name is stored. */
  static boolean update(Connection conn, AliasRecord a) throws SQLException {
    try (PreparedStatement p = conn.prepareStatement(
        "UPDATE aliases SET target_key_id = ?, updated_ms = ? WHERE name = ?")) {
      p.setString(1, a.targetKeyId().toString());
      p.setLong(2, a.lastUpdatedDate().toEpochMilli());
      p.setString(3, a.name());
      return p.executeUpdate() == 1;
    }
  }

  /** Deletes an alias; false when none of that name was stored. */
  static boolean delete(Connection conn, String name) throws SQLException {
    try (PreparedStatement p = conn.prepareStatement("DELETE FROM aliases WHERE name = ?")) {
      p.setString(1, name);
      return p.executeUpdate() == 1;
    }
  }
}
