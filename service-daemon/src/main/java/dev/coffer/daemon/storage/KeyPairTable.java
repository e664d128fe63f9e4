package dev.coffer.daemon.storage;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.UUID;

/**
 * Schema 3 ({@code V3__key_pairs.sql}): the public half of each asymmetric KMS key and the certificate chain attached to it
 * (Coffer's {@code PutCertificateChain}). Public data only: the private key is a wrapped key
 * version in {@code key_versions}, like a backing key.
 */
final class KeyPairTable {
  private KeyPairTable() {}

  static void insert(Connection conn, UUID keyId, byte[] publicKey) throws SQLException {
    try (PreparedStatement p = conn.prepareStatement(
        "INSERT INTO key_pairs(key_id, public_key) VALUES (?, ?)")) {
      p.setString(1, keyId.toString());
      p.setBytes(2, publicKey);
      p.executeUpdate();
    }
  }

  /** Sets the chain (null removes it); false when the key has no key pair row. */
  static boolean putChain(Connection conn, UUID keyId, byte[] chain) throws SQLException {
    try (PreparedStatement p = conn.prepareStatement(
        "UPDATE key_pairs SET certificate_chain = ? WHERE key_id = ?")) {
      p.setBytes(1, chain);
      p.setString(2, keyId.toString());
      return p.executeUpdate() == 1;
    }
  }

  /** Column 1 of the key's row, or null. */
  static byte[] column(Connection conn, UUID keyId, String column) throws SQLException {
    try (PreparedStatement p = conn.prepareStatement(
        "SELECT " + column + " FROM key_pairs WHERE key_id = ?")) {
      p.setString(1, keyId.toString());
      try (ResultSet r = p.executeQuery()) {
        return r.next() ? r.getBytes(1) : null;
      }
    }
  }
}
