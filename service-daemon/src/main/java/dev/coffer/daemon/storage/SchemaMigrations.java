package dev.coffer.daemon.storage;

import dev.coffer.daemon.keys.KeyMaterial;
import dev.coffer.daemon.keys.KeyRecord;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * The schema step that rewrites rows rather than tables ({@link Schema.KeyMaterials} runs it for
 * Flyway), inside Flyway's transaction, so a crash leaves the old schema or the new one. Nothing here touches a stored (wrapped) backing key: the
 * versions that existing ciphertexts name keep their numbers and their material.
 */
final class SchemaMigrations {
  private SchemaMigrations() {}

  /** The table of key materials, schema 2. */
  static final String KEY_MATERIALS =
      "CREATE TABLE IF NOT EXISTS key_materials ("
          + " key_id TEXT NOT NULL REFERENCES keys(id) ON DELETE CASCADE,"
          + " version INTEGER NOT NULL, material_id TEXT NOT NULL,"
          + " rotation_type TEXT, rotation_ms BIGINT,"
          + " expiration_model TEXT, valid_to_ms BIGINT, description TEXT,"
          + " PRIMARY KEY (key_id, version), UNIQUE (key_id, material_id))";

  /**
   * Schema 1 to 2: every backing key version becomes a key material with its id. Generated
   * versions take {@link KeyMaterial#generatedId}, with their rotation type and date from {@code
   * key_versions}. An imported key's one material takes {@link KeyMaterial#importedId} of the
   * fingerprint schema 1 kept, and its expiry from the key; if that material was deleted or had
   * expired (schema 1 then had no version and current version 0), the key gets version 1 as an
   * absent material, so re-importing the same material restores it as before. The per-key
   * fingerprint table is then dropped: the material id now carries that check.
   */
  static void toVersion2(Connection conn) throws SQLException {
    try (Statement s = conn.createStatement()) {
      s.executeUpdate(KEY_MATERIALS);
    }
    Map<String, byte[]> fingerprints = new HashMap<>();
    boolean schema1Imports = Schema.hasTable(conn, "imported_material");
    if (schema1Imports) {
      try (Statement s = conn.createStatement();
          ResultSet r = s.executeQuery("SELECT key_id, fingerprint FROM imported_material")) {
        while (r.next()) {
          fingerprints.put(r.getString(1), r.getBytes(2));
        }
      }
    }
    Map<String, String[]> imports = new HashMap<>(); // key id -> expiration model, valid to
    try (Statement s = conn.createStatement();
        ResultSet r = s.executeQuery("SELECT id, expiration_model, valid_to_ms FROM keys"
            + " WHERE origin = '" + KeyRecord.ORIGIN_EXTERNAL + "'")) {
      while (r.next()) {
        imports.put(r.getString(1), new String[] {r.getString(2), r.getString(3)});
      }
    }
    Set<String> withVersions = new HashSet<>();
    try (Statement s = conn.createStatement();
        ResultSet r = s.executeQuery(
            "SELECT key_id, version, created_ms, rotation_type FROM key_versions");
        PreparedStatement ins = conn.prepareStatement(
            "INSERT INTO key_materials(key_id, version, material_id, rotation_type, rotation_ms,"
                + " expiration_model, valid_to_ms) VALUES (?,?,?,?,?,?,?)")) {
      while (r.next()) {
        String keyId = r.getString(1);
        int version = r.getInt(2);
        withVersions.add(keyId);
        ins.setString(1, keyId);
        ins.setInt(2, version);
        String[] imported = imports.get(keyId);
        byte[] fingerprint = fingerprints.get(keyId);
        if (imported != null && fingerprint != null) {
          ins.setString(3, KeyMaterial.importedId(fingerprint));
          ins.setString(4, null);
          ins.setObject(5, null);
          ins.setString(6, imported[0]);
          ins.setObject(7, imported[1] == null ? null : Long.parseLong(imported[1]));
        } else {
          String rotationType = r.getString(4);
          ins.setString(3, KeyMaterial.generatedId(UUID.fromString(keyId), version));
          ins.setString(4, rotationType);
          ins.setObject(5, rotationType == null ? null : r.getLong(3));
          ins.setString(6, null);
          ins.setObject(7, null);
        }
        ins.addBatch();
      }
      ins.executeBatch();
    }
    try (PreparedStatement ins = conn.prepareStatement(
            "INSERT INTO key_materials(key_id, version, material_id) VALUES (?, 1, ?)");
        PreparedStatement upd = conn.prepareStatement(
            "UPDATE keys SET current_version = 1 WHERE id = ?")) {
      for (Map.Entry<String, byte[]> e : fingerprints.entrySet()) {
        if (imports.containsKey(e.getKey()) && !withVersions.contains(e.getKey())) {
          ins.setString(1, e.getKey());
          ins.setString(2, KeyMaterial.importedId(e.getValue()));
          ins.executeUpdate();
          upd.setString(1, e.getKey());
          upd.executeUpdate();
        }
      }
    }
    try (Statement s = conn.createStatement()) {
      s.executeUpdate("DROP TABLE IF EXISTS imported_material");
    }
  }
}
