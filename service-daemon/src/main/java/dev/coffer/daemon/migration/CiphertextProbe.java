package dev.coffer.daemon.migration;

import dev.coffer.daemon.crypto.Bytes;
import dev.coffer.daemon.crypto.CiphertextBlob;
import dev.coffer.daemon.keys.KeyState;
import dev.coffer.daemon.keystore.BackingKey;
import dev.coffer.daemon.keystore.KeyStoreBackend;
import dev.coffer.daemon.keystore.SoftwareKeyStore;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import javax.crypto.AEADBadTagException;

/**
 * Checks that copied key versions still work: for a random sample of enabled symmetric
 * encryption keys, every stored version is opened twice with the home's root key, once from the
 * source row and once from the copied row, through the daemon's own key store ({@link
 * SoftwareKeyStore}, the code {@code Encrypt} and {@code Decrypt} use); a probe sealed with
 * either is opened with the other. A version that is missing, does not unwrap, or does not
 * open the other's ciphertext fails the migration.
 *
 * <p>Keys in a custom key store are not sampled: their material is in the token, and the rows
 * only name it.
 */
final class CiphertextProbe {

  /** Keys sampled and versions checked, in both directions. */
  record Samples(int keys, int versions) {}

  private final KeyStoreBackend store;
  private final SecureRandom random;

  CiphertextProbe(KeyStoreBackend store, SecureRandom random) {
    this.store = store;
    this.random = random;
  }

  /**
   * Probes up to {@code maxKeys} keys; {@code target} is read on its current (uncommitted)
   * transaction.
   *
   * @throws MigrationException naming the first key version that fails
   */
  Samples run(Connection source, Connection target, int maxKeys) throws SQLException {
    List<String> ids = new ArrayList<>();
    try (Statement s = source.createStatement();
        ResultSet r = s.executeQuery("SELECT id FROM keys WHERE state = '" + KeyState.Enabled.name() + "'"
            + " AND key_spec = 'SYMMETRIC_DEFAULT' AND key_usage = 'ENCRYPT_DECRYPT'"
            + " AND key_store = '" + SoftwareKeyStore.ID + "'")) {
      while (r.next()) {
        ids.add(r.getString(1));
      }
    }
    Collections.shuffle(ids, random);
    List<String> sample = ids.subList(0, Math.min(maxKeys, ids.size()));
    int versions = 0;
    for (String id : sample) {
      for (int v : versions(source, id)) {
        byte[] copied = stored(target, id, v);
        if (copied == null) {
          throw new MigrationException("key " + id + " version " + v + " was not copied");
        }
        probe(UUID.fromString(id), v, stored(source, id, v), copied);
        versions++;
      }
    }
    return new Samples(sample.size(), versions);
  }

  private void probe(UUID keyId, int version, byte[] original, byte[] copied) {
    BackingKey a = open(keyId, version, original, "SQLite home");
    try {
      BackingKey b = open(keyId, version, copied, "PostgreSQL copy");
      try {
        roundTrip(keyId, version, a, b);
        roundTrip(keyId, version, b, a);
      } finally {
        b.destroy();
      }
    } finally {
      a.destroy();
    }
  }

  private BackingKey open(UUID keyId, int version, byte[] stored, String where) {
    try {
      return store.open(keyId, version, stored);
    } catch (IllegalStateException e) {
      throw new MigrationException("key " + keyId + " version " + version + " in the " + where
          + " does not open with this home's root key: " + e.getMessage(), e);
    }
  }

  private void roundTrip(UUID keyId, int version, BackingKey seal, BackingKey open) {
    byte[] probe = new byte[32];
    byte[] nonce = new byte[CiphertextBlob.NONCE_BYTES];
    byte[] iv = new byte[CiphertextBlob.IV_BYTES];
    random.nextBytes(probe);
    random.nextBytes(nonce);
    random.nextBytes(iv);
    byte[] aad = ("coffer storage migrate " + keyId + " " + version)
        .getBytes(StandardCharsets.UTF_8);
    byte[] sealed = seal.seal(nonce, iv, probe, aad);
    byte[] opened = null;
    try {
      opened = open.open(nonce, iv, sealed, aad);
      if (!java.security.MessageDigest.isEqual(probe, opened)) {
        throw new MigrationException("key " + keyId + " version " + version
            + ": a probe encrypted on one side decrypts to other bytes on the other");
      }
    } catch (AEADBadTagException e) {
      throw new MigrationException("key " + keyId + " version " + version + ": a probe"
          + " encrypted on one side does not decrypt on the other (the copied material differs)",
          e);
    } finally {
      Bytes.zero(probe);
      if (opened != null) {
        Bytes.zero(opened);
      }
    }
  }

  private static List<Integer> versions(Connection c, String keyId) throws SQLException {
    List<Integer> out = new ArrayList<>();
    try (PreparedStatement p = c.prepareStatement("SELECT version FROM key_versions"
        + " WHERE key_id = ? AND key_store = '" + SoftwareKeyStore.ID + "' ORDER BY version")) {
      p.setString(1, keyId);
      try (ResultSet r = p.executeQuery()) {
        while (r.next()) {
          out.add(r.getInt(1));
        }
      }
    }
    return out;
  }

  private static byte[] stored(Connection c, String keyId, int version) throws SQLException {
    try (PreparedStatement p = c.prepareStatement(
        "SELECT stored FROM key_versions WHERE key_id = ? AND version = ?")) {
      p.setString(1, keyId);
      p.setInt(2, version);
      try (ResultSet r = p.executeQuery()) {
        return r.next() ? r.getBytes(1) : null;
      }
    }
  }
}
