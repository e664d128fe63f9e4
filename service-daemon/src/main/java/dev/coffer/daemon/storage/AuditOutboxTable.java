package dev.coffer.daemon.storage;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/** The {@code audit_outbox} table: SQL only; {@link Database} decides when it runs. */
final class AuditOutboxTable {
  private AuditOutboxTable() {}

  static final String CREATE = "CREATE TABLE IF NOT EXISTS audit_outbox (event_id TEXT PRIMARY"
      + " KEY, created_ms INTEGER NOT NULL, record BLOB NOT NULL)";

  static void put(Connection conn, List<OutboxRecord> records) throws SQLException {
    if (records.isEmpty()) {
      return;
    }
    try (PreparedStatement p = conn.prepareStatement(
        "INSERT OR REPLACE INTO audit_outbox(event_id, created_ms, record) VALUES (?,?,?)")) {
      for (OutboxRecord r : records) {
        p.setString(1, r.eventId());
        p.setLong(2, r.created().toEpochMilli());
        p.setBytes(3, r.record());
        p.addBatch();
      }
      p.executeBatch();
    }
  }

  static void delete(Connection conn, Collection<String> eventIds) throws SQLException {
    if (eventIds.isEmpty()) {
      return;
    }
    try (PreparedStatement p = conn.prepareStatement(
        "DELETE FROM audit_outbox WHERE event_id = ?")) {
      for (String id : eventIds) {
        p.setString(1, id);
        p.addBatch();
      }
      p.executeBatch();
    }
  }

  static List<OutboxRecord> list(Connection conn) throws SQLException {
    try (Statement s = conn.createStatement();
        ResultSet r = s.executeQuery(
            "SELECT event_id, created_ms, record FROM audit_outbox ORDER BY created_ms, rowid")) {
      List<OutboxRecord> out = new ArrayList<>();
      while (r.next()) {
        out.add(new OutboxRecord(r.getString(1), Instant.ofEpochMilli(r.getLong(2)),
            r.getBytes(3)));
      }
      return out;
    }
  }

  static void replace(Connection conn, String eventId, byte[] record) throws SQLException {
    try (PreparedStatement p = conn.prepareStatement(
        "UPDATE audit_outbox SET record = ? WHERE event_id = ?")) {
      p.setBytes(1, record);
      p.setString(2, eventId);
      p.executeUpdate();
    }
  }
}
