package dev.coffer.daemon.ops;

import dev.coffer.daemon.keystore.pkcs11.Pkcs11Config;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The {@code custom_key_stores} table, owned by {@link CustomKeyStoreOperations}: SQL only, run
 * on the connection of the caller's transaction.
 */
final class CustomKeyStoresTable {
  private CustomKeyStoresTable() {}

  private static final String SELECT = "SELECT id, name, library, token_label, slot_list_index,"
      + " wrapped_pin, creation_ms, connect_wanted FROM custom_key_stores";

  /** A stored store and whether an operator left it connected ({@code connect_wanted}). */
  record Row(CustomKeyStoreRecord store, boolean connectWanted) {}

  /** Every store, ordered by id. */
  static List<Row> all(Connection conn) throws SQLException {
    try (PreparedStatement s = conn.prepareStatement(SELECT + " ORDER BY id");
        ResultSet r = s.executeQuery()) {
      List<Row> out = new ArrayList<>();
      while (r.next()) {
        out.add(new Row(record(r), r.getInt(8) != 0));
      }
      return out;
    }
  }

  /** One store, or null. */
  static CustomKeyStoreRecord find(Connection conn, String id) throws SQLException {
    try (PreparedStatement s = conn.prepareStatement(SELECT + " WHERE id = ?")) {
      s.setString(1, id);
      try (ResultSet r = s.executeQuery()) {
        return r.next() ? record(r) : null;
      }
    }
  }

  private static CustomKeyStoreRecord record(ResultSet r) throws SQLException {
    int index = r.getInt(5);
    Integer slotIndex = r.wasNull() ? null : index;
    return new CustomKeyStoreRecord(r.getString(1), r.getString(2),
        new Pkcs11Config(r.getString(3), r.getString(4), slotIndex), r.getBytes(6),
        Instant.ofEpochMilli(r.getLong(7)));
  }

  static void insert(Connection conn, CustomKeyStoreRecord st, String type) throws SQLException {
    try (PreparedStatement s = conn.prepareStatement(
        "INSERT INTO custom_key_stores (id, name, type, library, token_label,"
            + " slot_list_index, wrapped_pin, creation_ms) VALUES (?,?,?,?,?,?,?,?)")) {
      s.setString(1, st.id());
      s.setString(2, st.name());
      s.setString(3, type);
      s.setString(4, st.config().library());
      s.setString(5, st.config().tokenLabel());
      s.setObject(6, st.config().slotListIndex());
      s.setBytes(7, st.wrappedPin());
      s.setLong(8, st.created().toEpochMilli());
      s.executeUpdate();
    }
  }

  /** Writes the name, the token and the wrapped PIN. */
  static void update(Connection conn, CustomKeyStoreRecord st) throws SQLException {
    try (PreparedStatement s = conn.prepareStatement(
        "UPDATE custom_key_stores SET name = ?, library = ?, token_label = ?,"
            + " slot_list_index = ?, wrapped_pin = ? WHERE id = ?")) {
      s.setString(1, st.name());
      s.setString(2, st.config().library());
      s.setString(3, st.config().tokenLabel());
      s.setObject(4, st.config().slotListIndex());
      s.setBytes(5, st.wrappedPin());
      s.setString(6, st.id());
      s.executeUpdate();
    }
  }

  static void delete(Connection conn, String id) throws SQLException {
    try (PreparedStatement s = conn.prepareStatement(
        "DELETE FROM custom_key_stores WHERE id = ?")) {
      s.setString(1, id);
      s.executeUpdate();
    }
  }

  static void setConnectWanted(Connection conn, String id, boolean wanted) throws SQLException {
    try (PreparedStatement s = conn.prepareStatement(
        "UPDATE custom_key_stores SET connect_wanted = ? WHERE id = ?")) {
      s.setInt(1, wanted ? 1 : 0);
      s.setString(2, id);
      s.executeUpdate();
    }
  }

  /** The labels of the token objects the store's key versions name (their stored form). */
  static Set<String> referencedLabels(Connection conn, String storeId) throws SQLException {
    try (PreparedStatement s = conn.prepareStatement(
        "SELECT stored FROM key_versions WHERE key_store = ?")) {
      s.setString(1, storeId);
      try (ResultSet r = s.executeQuery()) {
        Set<String> out = new HashSet<>();
        while (r.next()) {
          out.add(new String(r.getBytes(1), StandardCharsets.UTF_8));
        }
        return out;
      }
    }
  }
}
