package dev.coffer.daemon.storage;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * The {@code audit_outbox} table: SQL only; {@link Database} decides when it runs. A row belongs
 * to the node whose transaction held it ({@code node_id}): that node ships it to its own log.
 */
final class AuditOutboxTable {
  private AuditOutboxTable() {}

  static void put(Connection conn, String nodeId, List<OutboxRecord> records)
      throws SQLException {
    if (records.isEmpty()) {
      return;
    }
    try (PreparedStatement p = conn.prepareStatement(
        "INSERT INTO audit_outbox(event_id, created_ms, record, node_id) VALUES (?,?,?,?)"
            + " ON CONFLICT (event_id) DO UPDATE SET created_ms = excluded.created_ms,"
            + " record = excluded.record, node_id = excluded.node_id")) {
      for (OutboxRecord r : records) {
        p.setString(1, r.eventId());
        p.setLong(2, r.created().toEpochMilli());
        p.setBytes(3, r.record());
        p.setString(4, nodeId);
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

  /**
   * This node's rows, oldest first; rows of one millisecond by event id (the log orders records
   * by their own time, so their order inside one millisecond carries nothing).
   */
  static List<OutboxRecord> list(Connection conn, String nodeId) throws SQLException {
    try (PreparedStatement p = conn.prepareStatement("SELECT event_id, created_ms, record"
        + " FROM audit_outbox WHERE node_id = ? ORDER BY created_ms, event_id")) {
      p.setString(1, nodeId);
      try (ResultSet r = p.executeQuery()) {
        List<OutboxRecord> out = new ArrayList<>();
        while (r.next()) {
          out.add(new OutboxRecord(r.getString(1), Instant.ofEpochMilli(r.getLong(2)),
              r.getBytes(3)));
        }
        return out;
      }
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

  /** The event ids of the rows node {@code nodeId} holds. */
  static List<String> eventIds(Connection conn, String nodeId) throws SQLException {
    try (PreparedStatement p = conn.prepareStatement(
        "SELECT event_id FROM audit_outbox WHERE node_id = ?")) {
      p.setString(1, nodeId);
      try (ResultSet r = p.executeQuery()) {
        List<String> out = new ArrayList<>();
        while (r.next()) {
          out.add(r.getString(1));
        }
        return out;
      }
    }
  }
}
