package dev.coffer.daemon.storage;

import dev.coffer.daemon.keys.KeyRecord;
import dev.coffer.daemon.keys.KeyState;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

/**
 * The {@code keys} table and its {@code tags}: SQL only, one row mapping for every read; {@link
 * Database} and {@link Tx} decide when it runs.
 */
final class KeysTable {
  private KeysTable() {}

  /** The columns every read selects, in {@link #record}'s order. */
  private static final String COLUMNS =
      "id, creation_ms, description, state, key_usage, key_spec, origin, key_store, deletion_ms,"
          + " pending_window_days, current_version, rotation_period_days, next_rotation_ms,"
          + " on_demand_rotations, expiration_model, valid_to_ms";

  static void insert(Connection conn, KeyRecord k) throws SQLException {
    try (PreparedStatement p = conn.prepareStatement("INSERT INTO keys(" + COLUMNS
        + ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")) {
      p.setString(1, k.id().toString());
      p.setLong(2, k.creationDate().toEpochMilli());
      bindMutable(p, 3, k);
      p.executeUpdate();
    }
    replaceTags(conn, k);
  }

  /** Writes every column but the id and creation date, and the tags. */
  static void update(Connection conn, KeyRecord k) throws SQLException {
    try (PreparedStatement p = conn.prepareStatement(
        "UPDATE keys SET description = ?, state = ?, key_usage = ?, key_spec = ?,"
            + " origin = ?, key_store = ?, deletion_ms = ?, pending_window_days = ?,"
            + " current_version = ?, rotation_period_days = ?, next_rotation_ms = ?,"
            + " on_demand_rotations = ?, expiration_model = ?, valid_to_ms = ? WHERE id = ?")) {
      bindMutable(p, 1, k);
      p.setString(15, k.id().toString());
      if (p.executeUpdate() != 1) {
        throw new SQLException("key " + k.id() + " vanished");
      }
    }
    replaceTags(conn, k);
  }

  /** Deletes a key; its versions, tags and aliases go with it (foreign keys cascade). */
  static void delete(Connection conn, UUID keyId) throws SQLException {
    try (PreparedStatement p = conn.prepareStatement("DELETE FROM keys WHERE id = ?")) {
      p.setString(1, keyId.toString());
      p.executeUpdate();
    }
  }

  /**
   * One key with its tags, or null.
   *
   * @param suffix appended to the key's {@code SELECT}: {@code ""} or {@code " FOR UPDATE"}
   */
  static KeyRecord find(Connection conn, UUID id, String suffix) throws SQLException {
    try (PreparedStatement p = conn.prepareStatement(
        "SELECT " + COLUMNS + " FROM keys WHERE id = ?" + suffix)) {
      p.setString(1, id.toString());
      try (ResultSet r = p.executeQuery()) {
        if (!r.next()) {
          return null;
        }
        TreeMap<String, String> tags = new TreeMap<>();
        try (PreparedStatement t = conn.prepareStatement(
            "SELECT tag_key, tag_value FROM tags WHERE key_id = ?")) {
          t.setString(1, id.toString());
          try (ResultSet tr = t.executeQuery()) {
            while (tr.next()) {
              tags.put(tr.getString(1), tr.getString(2));
            }
          }
        }
        return record(r, tags);
      }
    }
  }

  /** Every key with its tags. */
  static List<KeyRecord> all(Connection conn) throws SQLException {
    Map<String, TreeMap<String, String>> tags = new HashMap<>();
    try (Statement s = conn.createStatement();
        ResultSet r = s.executeQuery("SELECT key_id, tag_key, tag_value FROM tags")) {
      while (r.next()) {
        tags.computeIfAbsent(r.getString(1), k -> new TreeMap<>())
            .put(r.getString(2), r.getString(3));
      }
    }
    List<KeyRecord> out = new ArrayList<>();
    try (Statement s = conn.createStatement();
        ResultSet r = s.executeQuery("SELECT " + COLUMNS + " FROM keys")) {
      while (r.next()) {
        out.add(record(r, tags.getOrDefault(r.getString(1), new TreeMap<>())));
      }
    }
    return out;
  }

  private static KeyRecord record(ResultSet r, TreeMap<String, String> tags)
      throws SQLException {
    return new KeyRecord(UUID.fromString(r.getString(1)), Instant.ofEpochMilli(r.getLong(2)),
        r.getString(3), KeyState.valueOf(r.getString(4)), r.getString(5), r.getString(6),
        r.getString(7), r.getString(8), Columns.instant(r, 9), r.getInt(10), r.getInt(11),
        r.getInt(12), Columns.instant(r, 13), r.getInt(14), r.getString(15),
        Columns.instant(r, 16), tags);
  }

  private static void bindMutable(PreparedStatement p, int i, KeyRecord k) throws SQLException {
    p.setString(i, k.description());
    p.setString(i + 1, k.state().name());
    p.setString(i + 2, k.keyUsage());
    p.setString(i + 3, k.keySpec());
    p.setString(i + 4, k.origin());
    p.setString(i + 5, k.keyStore());
    Columns.setInstant(p, i + 6, k.deletionDate());
    p.setInt(i + 7, k.pendingWindowInDays());
    p.setInt(i + 8, k.currentVersion());
    p.setInt(i + 9, k.rotationPeriodDays());
    Columns.setInstant(p, i + 10, k.nextRotationDate());
    p.setInt(i + 11, k.onDemandRotations());
    p.setString(i + 12, k.expirationModel());
    Columns.setInstant(p, i + 13, k.validTo());
  }

  private static void replaceTags(Connection conn, KeyRecord k) throws SQLException {
    try (PreparedStatement del = conn.prepareStatement("DELETE FROM tags WHERE key_id = ?")) {
      del.setString(1, k.id().toString());
      del.executeUpdate();
    }
    try (PreparedStatement ins =
        conn.prepareStatement("INSERT INTO tags(key_id, tag_key, tag_value) VALUES (?,?,?)")) {
      for (Map.Entry<String, String> t : k.tags().entrySet()) {
        ins.setString(1, k.id().toString());
        ins.setString(2, t.getKey());
        ins.setString(3, t.getValue());
        ins.addBatch();
      }
      ins.executeBatch();
    }
  }
}
