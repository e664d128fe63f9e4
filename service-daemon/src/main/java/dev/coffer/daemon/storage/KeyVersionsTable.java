package dev.coffer.daemon.storage;

import dev.coffer.daemon.keys.KeyMaterial;
import dev.coffer.daemon.storage.Database.StoredVersion;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The {@code key_versions} table (each backing key version in its stored, wrapped form) and
 * {@code key_materials} (what {@code ListKeyRotations} and imported material report of each
 * version): SQL only; {@link Database} and {@link Tx} decide when it runs.
 */
final class KeyVersionsTable {
  private KeyVersionsTable() {}

  static void insert(Connection conn, UUID keyId, int version, Instant created, String keyStore,
      byte[] stored, String rotationType) throws SQLException {
    try (PreparedStatement p = conn.prepareStatement(
        "INSERT INTO key_versions(key_id, version, created_ms, key_store, stored,"
            + " rotation_type) VALUES (?,?,?,?,?,?)")) {
      p.setString(1, keyId.toString());
      p.setInt(2, version);
      p.setLong(3, created.toEpochMilli());
      p.setString(4, keyStore);
      p.setBytes(5, stored);
      p.setString(6, rotationType);
      p.executeUpdate();
    }
  }

  /** One stored version, or null. */
  static StoredVersion find(Connection conn, UUID keyId, int version) throws SQLException {
    try (PreparedStatement p = conn.prepareStatement(
        "SELECT key_store, stored FROM key_versions WHERE key_id = ? AND version = ?")) {
      p.setString(1, keyId.toString());
      p.setInt(2, version);
      try (ResultSet r = p.executeQuery()) {
        return r.next() ? new StoredVersion(keyId, version, r.getString(1), r.getBytes(2)) : null;
      }
    }
  }

  /** Every stored version of a key. */
  static List<StoredVersion> of(Connection conn, UUID keyId) throws SQLException {
    try (PreparedStatement p = conn.prepareStatement(
        "SELECT version, key_store, stored FROM key_versions WHERE key_id = ?")) {
      p.setString(1, keyId.toString());
      try (ResultSet r = p.executeQuery()) {
        List<StoredVersion> out = new ArrayList<>();
        while (r.next()) {
          out.add(new StoredVersion(keyId, r.getInt(1), r.getString(2), r.getBytes(3)));
        }
        return out;
      }
    }
  }

  static void delete(Connection conn, List<StoredVersion> versions) throws SQLException {
    try (PreparedStatement p = conn.prepareStatement(
        "DELETE FROM key_versions WHERE key_id = ? AND version = ?")) {
      for (StoredVersion v : versions) {
        p.setString(1, v.keyId().toString());
        p.setInt(2, v.version());
        p.executeUpdate();
      }
    }
  }

  /** Records a key material, or replaces the record of its version. */
  static void putMaterial(Connection conn, UUID keyId, KeyMaterial m) throws SQLException {
    try (PreparedStatement p = conn.prepareStatement(
        "INSERT INTO key_materials(key_id, version, material_id, rotation_type,"
            + " rotation_ms, expiration_model, valid_to_ms, description)"
            + " VALUES (?,?,?,?,?,?,?,?) ON CONFLICT (key_id, version) DO UPDATE SET"
            + " material_id = excluded.material_id, rotation_type = excluded.rotation_type,"
            + " rotation_ms = excluded.rotation_ms,"
            + " expiration_model = excluded.expiration_model,"
            + " valid_to_ms = excluded.valid_to_ms, description = excluded.description")) {
      p.setString(1, keyId.toString());
      p.setInt(2, m.version());
      p.setString(3, m.id());
      p.setString(4, m.rotationType());
      Columns.setInstant(p, 5, m.rotationDate());
      p.setString(6, m.expirationModel());
      Columns.setInstant(p, 7, m.validTo());
      p.setString(8, m.description());
      p.executeUpdate();
    }
  }

  static void deleteMaterial(Connection conn, UUID keyId, int version) throws SQLException {
    try (PreparedStatement p = conn.prepareStatement(
        "DELETE FROM key_materials WHERE key_id = ? AND version = ?")) {
      p.setString(1, keyId.toString());
      p.setInt(2, version);
      p.executeUpdate();
    }
  }

  /** Materials of one key ({@code keyId}) or of every key (null), each list by version. */
  static Map<UUID, List<KeyMaterial>> materials(Connection conn, UUID keyId)
      throws SQLException {
    try (PreparedStatement p = conn.prepareStatement(
        "SELECT m.key_id, m.version, m.material_id, m.rotation_type, m.rotation_ms,"
            + " m.expiration_model, m.valid_to_ms, m.description,"
            + " CASE WHEN v.version IS NULL THEN 0 ELSE 1 END"
            + " FROM key_materials m LEFT JOIN key_versions v"
            + " ON v.key_id = m.key_id AND v.version = m.version"
            + (keyId == null ? "" : " WHERE m.key_id = ?")
            + " ORDER BY m.key_id, m.version")) {
      if (keyId != null) {
        p.setString(1, keyId.toString());
      }
      try (ResultSet r = p.executeQuery()) {
        Map<UUID, List<KeyMaterial>> out = new HashMap<>();
        while (r.next()) {
          out.computeIfAbsent(UUID.fromString(r.getString(1)), k -> new ArrayList<>())
              .add(new KeyMaterial(r.getInt(2), r.getString(3), r.getString(4),
                  Columns.instant(r, 5), r.getInt(9) != 0, r.getString(6),
                  Columns.instant(r, 7), r.getString(8)));
        }
        return out;
      }
    }
  }
}
