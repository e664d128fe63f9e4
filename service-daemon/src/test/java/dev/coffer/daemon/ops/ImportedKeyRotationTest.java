package dev.coffer.daemon.ops;

import static dev.coffer.daemon.TestDaemon.bytes;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.coffer.daemon.TestDaemon;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.X509EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import javax.crypto.Cipher;
import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Several imported key materials per key, as AWS documents them (ImportKeyMaterial ImportType,
 * RotateKeyOnDemand of EXTERNAL keys, DeleteImportedKeyMaterial KeyMaterialId, ListKeyRotations
 * entries) and the KeyMaterialId reported wherever AWS reports it. Through the real socket.
 */
class ImportedKeyRotationTest {

  private static final SecureRandom RANDOM = new SecureRandom();
  private static final byte[] SECRET = "under imported material".getBytes(StandardCharsets.UTF_8);
  private TestDaemon d;
  private String key;
  private String arn;

  @BeforeEach
  void start() throws Exception {
    d = new TestDaemon();
    JsonNode meta = d.call("CreateKey", "Origin", "EXTERNAL").get("KeyMetadata");
    key = meta.get("KeyId").asText();
    arn = meta.get("Arn").asText();
    assertFalse(meta.has("CurrentKeyMaterialId"), "no material yet: " + meta);
  }

  @AfterEach
  void stop() throws Exception {
    d.close();
  }

  static byte[] newMaterial() {
    byte[] m = new byte[32];
    RANDOM.nextBytes(m);
    return m;
  }

  /**
   * The arguments of an ImportKeyMaterial call: a fresh token from GetParametersForImport, the
   * material wrapped with RSAES_OAEP_SHA_256, {@code extra} fields, and KEY_MATERIAL_DOES_NOT_EXPIRE
   * unless {@code extra} sets the expiry.
   */
  static Object[] importArgs(TestDaemon d, String keyId, byte[] material, Object... extra)
      throws Exception {
    JsonNode p = d.call("GetParametersForImport", "KeyId", keyId, "WrappingAlgorithm",
        "RSAES_OAEP_SHA_256", "WrappingKeySpec", "RSA_2048");
    PublicKey pub = KeyFactory.getInstance("RSA").generatePublic(
        new X509EncodedKeySpec(bytes(p.get("PublicKey"))));
    Cipher c = Cipher.getInstance("RSA/ECB/OAEPPadding");
    c.init(Cipher.ENCRYPT_MODE, pub, new OAEPParameterSpec("SHA-256", "MGF1",
        MGF1ParameterSpec.SHA256, PSource.PSpecified.DEFAULT));
    List<Object> args = new ArrayList<>(List.of("KeyId", keyId, "ImportToken",
        bytes(p.get("ImportToken")), "EncryptedKeyMaterial", c.doFinal(material)));
    args.addAll(List.of(extra));
    if (!args.contains("ExpirationModel") && !args.contains("ValidTo")) {
      args.addAll(List.of("ExpirationModel", "KEY_MATERIAL_DOES_NOT_EXPIRE"));
    }
    return args.toArray();
  }

  static JsonNode importMaterial(TestDaemon d, String keyId, byte[] material, Object... extra)
      throws Exception {
    return d.call("ImportKeyMaterial", importArgs(d, keyId, material, extra));
  }

  private String importMaterial(byte[] material, Object... extra) throws Exception {
    JsonNode r = importMaterial(d, key, material, extra);
    assertEquals(arn, r.get("KeyId").asText());
    String id = r.get("KeyMaterialId").asText();
    assertTrue(id.matches("[0-9a-f]{64}"), id);
    return id;
  }

  private JsonNode meta() {
    return d.call("DescribeKey", "KeyId", key).get("KeyMetadata");
  }

  private String state() {
    return meta().get("KeyState").asText();
  }

  private byte[] encrypt() {
    return bytes(d.call("Encrypt", "KeyId", key, "Plaintext", SECRET).get("CiphertextBlob"));
  }

  /** Decrypts, checks the plaintext, and returns the KeyMaterialId Decrypt reported. */
  private String decryptedBy(byte[] blob) {
    JsonNode r = d.call("Decrypt", "CiphertextBlob", blob);
    assertArrayEquals(SECRET, bytes(r.get("Plaintext")));
    return r.get("KeyMaterialId").asText();
  }

  private JsonNode materials() {
    return d.call("ListKeyRotations", "KeyId", key, "IncludeKeyMaterial", "ALL_KEY_MATERIAL")
        .get("Rotations");
  }

  private static JsonNode entry(JsonNode rotations, String materialId) {
    for (JsonNode e : rotations) {
      if (e.get("KeyMaterialId").asText().equals(materialId)) {
        return e;
      }
    }
    throw new AssertionError(materialId + " not listed in " + rotations);
  }

  private static int version(byte[] blob) {
    return ByteBuffer.wrap(blob, 17, 4).getInt();
  }

  @Test
  void newMaterial_rotateOnDemand_oldCiphertextDecryptsUnderItsMaterialId() throws Exception {
    byte[] first = newMaterial();
    String m1 = importMaterial(first);
    assertEquals(m1, meta().get("CurrentKeyMaterialId").asText());
    byte[] before = encrypt();
    assertEquals(m1, decryptedBy(before));

    String m2 = importMaterial(newMaterial(), "ImportType", "NEW_KEY_MATERIAL",
        "KeyMaterialDescription", "second/2026 material");
    assertNotEquals(m1, m2);
    assertEquals(m1, meta().get("CurrentKeyMaterialId").asText(), "pending until rotated");
    assertEquals(1, version(encrypt()));
    JsonNode pending = entry(materials(), m2);
    assertEquals("PENDING_ROTATION", pending.get("KeyMaterialState").asText());
    assertEquals("IMPORTED", pending.get("ImportState").asText());
    assertEquals("second/2026 material", pending.get("KeyMaterialDescription").asText());
    assertFalse(pending.has("RotationDate"));
    assertEquals("CURRENT", entry(materials(), m1).get("KeyMaterialState").asText());
    assertEquals(0, d.call("ListKeyRotations", "KeyId", key).get("Rotations").size(),
        "ROTATIONS_ONLY (the default) lists completed rotations only");

    d.clock.advance(Duration.ofMinutes(5));
    assertEquals(arn, d.call("RotateKeyOnDemand", "KeyId", key).get("KeyId").asText());
    assertEquals(m2, meta().get("CurrentKeyMaterialId").asText());
    byte[] after = encrypt();
    assertEquals(2, version(after));
    assertEquals(m2, decryptedBy(after));
    assertEquals(m1, decryptedBy(before));
    JsonNode rotations = d.call("ListKeyRotations", "KeyId", key).get("Rotations");
    assertEquals(1, rotations.size());
    assertEquals(m2, rotations.get(0).get("KeyMaterialId").asText());
    assertEquals("ON_DEMAND", rotations.get(0).get("RotationType").asText());
    assertEquals(d.clock.instant().getEpochSecond(), rotations.get(0).get("RotationDate").asLong());
    assertEquals("CURRENT", rotations.get(0).get("KeyMaterialState").asText());
    assertEquals("NON_CURRENT", entry(materials(), m1).get("KeyMaterialState").asText());

    JsonNode moved = d.call("ReEncrypt", "CiphertextBlob", before, "DestinationKeyId", key);
    assertEquals(m1, moved.get("SourceKeyMaterialId").asText());
    assertEquals(m2, moved.get("DestinationKeyMaterialId").asText());

    d.restart();
    assertEquals(m2, meta().get("CurrentKeyMaterialId").asText());
    assertEquals(m1, decryptedBy(before));
    assertEquals(m2, decryptedBy(after));
  }

  @Test
  void rotationOperations_checkKeyStateFirst() throws Exception {
    // Pending import: the state answers, not the origin.
    d.fails("KMSInvalidStateException", "RotateKeyOnDemand", "KeyId", key);
    d.fails("KMSInvalidStateException", "EnableKeyRotation", "KeyId", key);
    d.fails("KMSInvalidStateException", "GetKeyRotationStatus", "KeyId", key);
    importMaterial(newMaterial());
    d.call("DisableKey", "KeyId", key);
    d.fails("DisabledException", "RotateKeyOnDemand", "KeyId", key);
    assertFalse(d.call("GetKeyRotationStatus", "KeyId", key).get("KeyRotationEnabled")
        .asBoolean(), "the status of a disabled key is readable");
    d.call("EnableKey", "KeyId", key);
    assertFalse(d.call("GetKeyRotationStatus", "KeyId", key).get("KeyRotationEnabled")
        .asBoolean());
    d.fails("UnsupportedOperationException", "EnableKeyRotation", "KeyId", key);
    d.fails("KMSInvalidStateException", "RotateKeyOnDemand", "KeyId", key); // nothing pending
  }

  @Test
  void reimportExistingNonCurrentMaterial_afterDeletingItById_restoresOldCiphertexts()
      throws Exception {
    byte[] first = newMaterial();
    String m1 = importMaterial(first);
    byte[] old = encrypt();
    String m2 = importMaterial(newMaterial(), "ImportType", "NEW_KEY_MATERIAL");
    d.call("RotateKeyOnDemand", "KeyId", key);

    JsonNode deleted = d.call("DeleteImportedKeyMaterial", "KeyId", key, "KeyMaterialId", m1);
    assertEquals(m1, deleted.get("KeyMaterialId").asText());
    assertEquals("PendingImport", state(), "a permanent material is missing");
    assertEquals("PENDING_IMPORT", entry(materials(), m1).get("ImportState").asText());
    assertEquals("IMPORTED", entry(materials(), m2).get("ImportState").asText());
    d.fails("KMSInvalidStateException", "Decrypt", "CiphertextBlob", old);

    // EXISTING_KEY_MATERIAL with other material, or naming another material's id, is refused.
    d.fails("IncorrectKeyMaterialException", "ImportKeyMaterial", importArgs(newMaterial(),
        "ImportType", "EXISTING_KEY_MATERIAL"));
    d.fails("IncorrectKeyMaterialException", "ImportKeyMaterial", importArgs(first,
        "ImportType", "EXISTING_KEY_MATERIAL", "KeyMaterialId", m2));
    d.fails("ValidationException", "ImportKeyMaterial", importArgs(first,
        "ImportType", "NEW_KEY_MATERIAL", "KeyMaterialId", m1));
    assertEquals("PendingImport", state());

    assertEquals(m1, importMaterial(first, "ImportType", "EXISTING_KEY_MATERIAL",
        "KeyMaterialId", m1));
    assertEquals("Enabled", state());
    assertEquals(m1, decryptedBy(old));
    assertEquals(m2, meta().get("CurrentKeyMaterialId").asText());
  }

  private Object[] importArgs(byte[] material, Object... extra) throws Exception {
    return importArgs(d, key, material, extra);
  }

  @Test
  void deletePendingRotationMaterialById_forgotten_keyStaysEnabled_otherMaterialTakesItsPlace()
      throws Exception {
    String m1 = importMaterial(newMaterial());
    String m2 = importMaterial(newMaterial(), "ImportType", "NEW_KEY_MATERIAL");
    d.fails("KMSInvalidStateException", "ImportKeyMaterial", importArgs(newMaterial(),
        "ImportType", "NEW_KEY_MATERIAL")); // one material waits at a time
    assertEquals(m2, d.call("DeleteImportedKeyMaterial", "KeyId", key, "KeyMaterialId", m2)
        .get("KeyMaterialId").asText());
    assertEquals("Enabled", state());
    assertEquals(1, materials().size());
    String m3 = importMaterial(newMaterial(), "ImportType", "NEW_KEY_MATERIAL");
    assertEquals("PENDING_ROTATION", entry(materials(), m3).get("KeyMaterialState").asText());
    d.call("RotateKeyOnDemand", "KeyId", key);
    assertEquals(m3, meta().get("CurrentKeyMaterialId").asText());

    d.fails("NotFoundException", "DeleteImportedKeyMaterial", "KeyId", key, "KeyMaterialId", m2);
    d.fails("ValidationException", "DeleteImportedKeyMaterial", "KeyId", key, "KeyMaterialId",
        "ABC");
    // Without an id, the current material goes.
    assertEquals(m3, d.call("DeleteImportedKeyMaterial", "KeyId", key).get("KeyMaterialId")
        .asText());
    assertEquals("PendingImport", state());
    assertEquals("IMPORTED", entry(materials(), m1).get("ImportState").asText());
  }

  @Test
  void expiry_perMaterial_currentExpiresToPendingImport_pendingOneIsForgotten() throws Exception {
    byte[] first = newMaterial();
    String m1 = importMaterial(first);
    byte[] second = newMaterial();
    Instant validTo = d.clock.instant().plus(Duration.ofDays(2));
    String m2 = importMaterial(second, "ImportType", "NEW_KEY_MATERIAL",
        "ValidTo", validTo.toString());
    assertFalse(meta().has("ValidTo"), "pending material is not yet the key's");
    d.call("RotateKeyOnDemand", "KeyId", key);
    JsonNode meta = meta();
    assertEquals("KEY_MATERIAL_EXPIRES", meta.get("ExpirationModel").asText());
    assertEquals(validTo.getEpochSecond(), meta.get("ValidTo").asLong());
    assertEquals(validTo.getEpochSecond(), entry(materials(), m2).get("ValidTo").asLong());
    assertEquals("KEY_MATERIAL_DOES_NOT_EXPIRE",
        entry(materials(), m1).get("ExpirationModel").asText());
    byte[] blob = encrypt();

    d.clock.advance(Duration.ofDays(2));
    d.daemon.runMaintenance();
    assertEquals("PendingImport", state());
    assertEquals("PENDING_IMPORT", entry(materials(), m2).get("ImportState").asText());
    assertEquals("IMPORTED", entry(materials(), m1).get("ImportState").asText());
    importMaterial(second); // EXISTING_KEY_MATERIAL is the default now
    assertEquals("Enabled", state());
    assertEquals(m2, decryptedBy(blob));

    // Material pending rotation that expires is forgotten; the key stays usable.
    String m3 = importMaterial(newMaterial(), "ImportType", "NEW_KEY_MATERIAL", "ValidTo",
        d.clock.instant().plus(Duration.ofDays(1)).toString());
    d.clock.advance(Duration.ofDays(1));
    d.daemon.runMaintenance();
    assertEquals("Enabled", state());
    assertFalse(materials().toString().contains(m3));
  }

  /** The new fields' constraints (API reference) are ValidationExceptions. */
  @Test
  void newFields_constraintsChecked() throws Exception {
    String k = key;
    Object[] base = {"ImportToken", new byte[32], "EncryptedKeyMaterial", new byte[256],
        "ExpirationModel", "KEY_MATERIAL_DOES_NOT_EXPIRE"};
    for (Object[] bad : new Object[][] {{"ImportType", "NEWER"},
        {"KeyMaterialDescription", "no ! here"},
        {"KeyMaterialDescription", "x".repeat(257)},
        {"KeyMaterialId", "A".repeat(64)}, {"KeyMaterialId", "a".repeat(63)}}) {
      List<Object> args = new ArrayList<>(List.of("KeyId", k));
      args.addAll(List.of(base));
      args.addAll(List.of(bad));
      d.fails("ValidationException", "ImportKeyMaterial", args.toArray());
    }
    d.fails("ValidationException", "DeleteImportedKeyMaterial", "KeyId", k,
        "KeyMaterialId", "0".repeat(65));
    d.fails("ValidationException", "ListKeyRotations", "KeyId", k,
        "IncludeKeyMaterial", "EVERYTHING");
    String id = importMaterial(newMaterial(), "KeyMaterialDescription", "d".repeat(256));
    assertEquals(256, entry(materials(), id).get("KeyMaterialDescription").asText().length());
  }

  /** Which material an import or a deletion touched is in its audit record. */
  @Test
  void auditRecords_nameTheKeyMaterial() throws Exception {
    String m1 = importMaterial(newMaterial(), "KeyMaterialDescription", "first");
    d.call("DeleteImportedKeyMaterial", "KeyId", key, "KeyMaterialId", m1);
    d.restart();
    List<JsonNode> records = new ArrayList<>();
    new dev.coffer.daemon.audit.AuditLookup(null, null, null, null, null).run(
        d.home.resolve("audit"), line -> records.add(dev.coffer.protocol.Json.parseObject(
            line.getBytes(StandardCharsets.UTF_8))));
    JsonNode imported = records.stream()
        .filter(r -> r.get("eventName").asText().equals("ImportKeyMaterial")).findFirst()
        .orElseThrow();
    assertEquals(m1, imported.at("/responseElements/KeyMaterialId").asText());
    assertEquals("first", imported.at("/requestParameters/KeyMaterialDescription").asText());
    JsonNode deleted = records.stream()
        .filter(r -> r.get("eventName").asText().equals("DeleteImportedKeyMaterial"))
        .findFirst().orElseThrow();
    assertEquals(m1, deleted.at("/requestParameters/KeyMaterialId").asText());
    assertEquals(m1, deleted.at("/responseElements/KeyMaterialId").asText());
  }

  @Test
  void cancelKeyDeletion_materialMissing_pendingImportNotDisabled() throws Exception {
    byte[] material = newMaterial();
    importMaterial(material);
    d.call("ScheduleKeyDeletion", "KeyId", key, "PendingWindowInDays", 7);
    d.call("DeleteImportedKeyMaterial", "KeyId", key);
    assertEquals("PendingDeletion", state());
    d.call("CancelKeyDeletion", "KeyId", key);
    assertEquals("PendingImport", state());
    d.fails("KMSInvalidStateException", "EnableKey", "KeyId", key);
    importMaterial(material);
    assertEquals("Enabled", state());
    // With its material, a cancelled key is Disabled, as AWS documents.
    d.call("ScheduleKeyDeletion", "KeyId", key, "PendingWindowInDays", 7);
    d.call("CancelKeyDeletion", "KeyId", key);
    assertEquals("Disabled", state());
  }

  @Test
  void generatedKey_materialIdsInDescribeListDecryptAndDataKeys() {
    JsonNode created = d.call("CreateKey").get("KeyMetadata");
    String k = created.get("KeyId").asText();
    String m1 = created.get("CurrentKeyMaterialId").asText();
    assertTrue(m1.matches("[0-9a-f]{64}"), m1);
    byte[] blob = bytes(d.call("Encrypt", "KeyId", k, "Plaintext", SECRET).get("CiphertextBlob"));
    d.call("RotateKeyOnDemand", "KeyId", k);
    String m2 = d.call("DescribeKey", "KeyId", k).get("KeyMetadata").get("CurrentKeyMaterialId")
        .asText();
    assertNotEquals(m1, m2);
    assertEquals(m1, d.call("Decrypt", "CiphertextBlob", blob).get("KeyMaterialId").asText());
    assertEquals(m2, d.call("GenerateDataKey", "KeyId", k, "KeySpec", "AES_256")
        .get("KeyMaterialId").asText());
    assertEquals(m2, d.call("GenerateDataKeyWithoutPlaintext", "KeyId", k, "KeySpec", "AES_256")
        .get("KeyMaterialId").asText());
    JsonNode rotation = d.call("ListKeyRotations", "KeyId", k).get("Rotations").get(0);
    assertEquals(m2, rotation.get("KeyMaterialId").asText());
    assertFalse(rotation.has("ImportState"), "import fields are for EXTERNAL keys only");
    JsonNode all = d.call("ListKeyRotations", "KeyId", k, "IncludeKeyMaterial",
        "ALL_KEY_MATERIAL").get("Rotations");
    assertEquals(2, all.size());
    assertEquals(m1, all.get(0).get("KeyMaterialId").asText());
    assertEquals("NON_CURRENT", all.get(0).get("KeyMaterialState").asText());
    assertFalse(all.get(0).has("RotationType"), "the first material was no rotation");
    d.fails("ValidationException", "ListKeyRotations", "KeyId", k, "IncludeKeyMaterial", "SOME");
  }
}
