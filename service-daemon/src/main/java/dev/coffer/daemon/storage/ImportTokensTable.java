package dev.coffer.daemon.storage;

import dev.coffer.daemon.storage.Database.ImportToken;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.UUID;

/**
 * The {@code import_tokens} table ({@code GetParametersForImport}'s tokens): SQL only; {@link
 * Database} and {@link Tx} decide when it runs.
 */
final class ImportTokensTable {
  private ImportTokensTable() {}

  static void insert(Connection conn, ImportToken t) throws SQLException {
    try (PreparedStatement p = conn.prepareStatement(
        "INSERT INTO import_tokens(token, key_id, algorithm, wrapping_key_spec,"
            + " wrapped_private_key, valid_to_ms) VALUES (?,?,?,?,?,?)")) {
      p.setBytes(1, t.token());
      p.setString(2, t.keyId().toString());
      p.setString(3, t.algorithm());
      p.setString(4, t.wrappingKeySpec());
      p.setBytes(5, t.wrappedPrivateKey());
      p.setLong(6, t.validTo().toEpochMilli());
      p.executeUpdate();
    }
  }

  static ImportToken find(Connection conn, byte[] token) throws SQLException {
    try (PreparedStatement p = conn.prepareStatement(
        "SELECT key_id, algorithm, wrapping_key_spec, wrapped_private_key, valid_to_ms, used"
            + " FROM import_tokens WHERE token = ?")) {
      p.setBytes(1, token);
      try (ResultSet r = p.executeQuery()) {
        return r.next()
            ? new ImportToken(token, UUID.fromString(r.getString(1)), r.getString(2),
                r.getString(3), r.getBytes(4), Instant.ofEpochMilli(r.getLong(5)), r.getInt(6) != 0)
            : null;
      }
    }
  }

  /** Marks a token used; false when it was already used (or does not exist). */
  static boolean consume(Connection conn, byte[] token) throws SQLException {
    try (PreparedStatement p = conn.prepareStatement(
        "UPDATE import_tokens SET used = 1 WHERE token = ? AND used = 0")) {
      p.setBytes(1, token);
      return p.executeUpdate() == 1;
    }
  }

  /** Removes tokens that expired before {@code now}; how many. */
  static int purge(Connection conn, Instant now) throws SQLException {
    try (PreparedStatement p = conn.prepareStatement(
        "DELETE FROM import_tokens WHERE valid_to_ms < ?")) {
      p.setLong(1, now.toEpochMilli());
      return p.executeUpdate();
    }
  }
}
