package dev.coffer.daemon.ops;

import static dev.coffer.daemon.TestDaemon.bytes;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.coffer.daemon.TestDaemon;
import dev.coffer.daemon.keystore.RootKey;
import dev.coffer.daemon.keystore.RootKeys;
import dev.coffer.daemon.keystore.SoftwareKeyStore;
import dev.coffer.daemon.storage.Database;
import dev.coffer.daemon.storage.LegacyHomes;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A home written by schema 1 (one fingerprint per imported key, current version 0 after its
 * material was deleted) keeps working after the schema 2 migration: every ciphertext decrypts,
 * each version gets the key material id a fresh home would give it, and deleted imported
 * material can be re-imported.
 */
class KeyMaterialMigrationTest {

  private static final byte[] SECRET = "sealed by schema 1".getBytes(StandardCharsets.UTF_8);
  private TestDaemon d;

  @BeforeEach
  void start() throws Exception {
    d = new TestDaemon();
  }

  @AfterEach
  void stop() throws Exception {
    d.close();
  }

  private byte[] encrypt(String key) {
    return bytes(d.call("Encrypt", "KeyId", key, "Plaintext", SECRET).get("CiphertextBlob"));
  }

  private String decryptedBy(byte[] blob) {
    JsonNode r = d.call("Decrypt", "CiphertextBlob", blob);
    assertArrayEquals(SECRET, bytes(r.get("Plaintext")));
    return r.get("KeyMaterialId").asText();
  }

  private String external() {
    return d.call("CreateKey", "Origin", "EXTERNAL").get("KeyMetadata").get("KeyId").asText();
  }

  private Connection db() throws Exception {
    return DriverManager.getConnection("jdbc:sqlite:" + d.home.resolve("coffer.db"));
  }

  @Test
  void schema1Home_migrates_ciphertextsDecrypt_idsStable_deletedMaterialReimportable()
      throws Exception {
    String generated = d.createKey();
    byte[] g1 = encrypt(generated);
    d.clock.advance(Duration.ofDays(1));
    d.call("RotateKeyOnDemand", "KeyId", generated);
    byte[] g2 = encrypt(generated);
    String g1Id = decryptedBy(g1);
    String g2Id = decryptedBy(g2);

    String kept = external();
    byte[] keptMaterial = ImportedKeyRotationTest.newMaterial();
    String keptId = ImportedKeyRotationTest.importMaterial(d, kept, keptMaterial)
        .get("KeyMaterialId").asText();
    byte[] keptBlob = encrypt(kept);
    String erased = external();
    byte[] erasedMaterial = ImportedKeyRotationTest.newMaterial();
    String erasedId = ImportedKeyRotationTest.importMaterial(d, erased, erasedMaterial)
        .get("KeyMaterialId").asText();
    byte[] erasedBlob = encrypt(erased);
    d.call("DeleteImportedKeyMaterial", "KeyId", erased);
    d.client.close();
    d.daemon.close();

    // Rewrite the database as schema 1 left it.
    RootKey root = RootKeys.load(d.home, new SecureRandom());
    SoftwareKeyStore store = new SoftwareKeyStore(root, new SecureRandom());
    try (Connection c = db(); Statement s = c.createStatement()) {
      s.executeUpdate("CREATE TABLE imported_material (key_id TEXT PRIMARY KEY REFERENCES"
          + " keys(id) ON DELETE CASCADE, fingerprint BLOB NOT NULL)");
      try (PreparedStatement p = c.prepareStatement("INSERT INTO imported_material VALUES (?,?)")) {
        for (String[] k : new String[][] {{kept, "k"}, {erased, "e"}}) {
          p.setString(1, k[0]);
          p.setBytes(2, store.fingerprint(UUID.fromString(k[0]),
              k[1].equals("k") ? keptMaterial : erasedMaterial));
          p.executeUpdate();
        }
      }
      s.executeUpdate("UPDATE keys SET current_version = 0 WHERE id = '" + erased + "'");
      s.executeUpdate("DROP TABLE key_materials");
      s.executeUpdate("DROP TABLE key_pairs");
      LegacyHomes.rewindToBeforeFlyway(s, 1);
    }

    d.start();
    assertEquals(g1Id, decryptedBy(g1));
    assertEquals(g2Id, decryptedBy(g2));
    assertEquals(g2Id, d.call("DescribeKey", "KeyId", generated).get("KeyMetadata")
        .get("CurrentKeyMaterialId").asText());
    JsonNode rotation = d.call("ListKeyRotations", "KeyId", generated).get("Rotations").get(0);
    assertEquals(g2Id, rotation.get("KeyMaterialId").asText());
    assertEquals("ON_DEMAND", rotation.get("RotationType").asText());
    assertEquals(keptId, decryptedBy(keptBlob));

    JsonNode meta = d.call("DescribeKey", "KeyId", erased).get("KeyMetadata");
    assertEquals("PendingImport", meta.get("KeyState").asText());
    assertEquals(erasedId, meta.get("CurrentKeyMaterialId").asText());
    JsonNode listed = d.call("ListKeyRotations", "KeyId", erased, "IncludeKeyMaterial",
        "ALL_KEY_MATERIAL").get("Rotations");
    assertEquals(1, listed.size());
    assertEquals("PENDING_IMPORT", listed.get(0).get("ImportState").asText());
    d.fails("IncorrectKeyMaterialException", "ImportKeyMaterial", ImportedKeyRotationTest
        .importArgs(d, erased, ImportedKeyRotationTest.newMaterial()));
    assertEquals(erasedId, ImportedKeyRotationTest.importMaterial(d, erased, erasedMaterial)
        .get("KeyMaterialId").asText());
    assertEquals(erasedId, decryptedBy(erasedBlob));

    assertEquals(Database.SCHEMA_VERSION, flywayVersion());
  }

  private int flywayVersion() throws Exception {
    try (Connection c = db(); Statement s = c.createStatement();
        ResultSet r = s.executeQuery("SELECT MAX(CAST(version AS INTEGER)) FROM"
            + " flyway_schema_history WHERE success = 1")) {
      assertTrue(r.next());
      return r.getInt(1);
    }
  }

  /**
   * Schema 2 to 3 (asymmetric keys): the existing keys are SYMMETRIC_DEFAULT / ENCRYPT_DECRYPT
   * keys whose ciphertexts still decrypt, and the home can hold key pairs afterwards.
   */
  @Test
  void schema2Home_migratesTo3_existingKeysSymmetric_keyPairsWork() throws Exception {
    String key = d.createKey();
    byte[] blob = encrypt(key);
    String id = decryptedBy(blob);
    d.client.close();
    d.daemon.close();
    try (Connection c = db(); Statement s = c.createStatement()) {
      s.executeUpdate("DROP TABLE key_pairs");
      LegacyHomes.rewindToBeforeFlyway(s, 2);
    }
    d.start();
    assertEquals(id, decryptedBy(blob));
    JsonNode meta = d.call("DescribeKey", "KeyId", key).get("KeyMetadata");
    assertEquals("SYMMETRIC_DEFAULT", meta.get("KeySpec").asText());
    assertEquals("ENCRYPT_DECRYPT", meta.get("KeyUsage").asText());
    assertEquals("[\"SYMMETRIC_DEFAULT\"]", meta.get("EncryptionAlgorithms").toString());
    String ec = d.call("CreateKey", "KeySpec", "ECC_NIST_P256", "KeyUsage", "SIGN_VERIFY")
        .get("KeyMetadata").get("KeyId").asText();
    d.call("Sign", "KeyId", ec, "Message", SECRET, "SigningAlgorithm", "ECDSA_SHA_256");
    d.call("GetPublicKey", "KeyId", ec);
    assertEquals(Database.SCHEMA_VERSION, flywayVersion());
  }

  @Test
  void newerSchema_refusedWithWhatToDo() throws Exception {
    d.client.close();
    d.daemon.close();
    try (Connection c = db(); Statement s = c.createStatement()) {
      s.executeUpdate("INSERT INTO flyway_schema_history(installed_rank, version, description,"
          + " type, script, checksum, installed_by, execution_time, success)"
          + " VALUES (99, '99', 'from the future', 'SQL', 'V99__future.sql', 0, 'test', 0, 1)");
    }
    IOException e = assertThrows(IOException.class, d::start);
    assertTrue(e.getMessage().contains("newer Coffer"), e.getMessage());
    try (Connection c = db(); Statement s = c.createStatement()) {
      s.executeUpdate("DELETE FROM flyway_schema_history WHERE installed_rank = 99");
    }
    d.start();
  }
}
