package dev.coffer.daemon.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import static dev.coffer.daemon.TestDaemon.bytes;

import dev.coffer.daemon.TestDaemon;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.X509EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PSource;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** BYOK: import parameters, wrapping algorithms, tokens, expiry, re-import. */
class ImportOperationsTest {

  private static final SecureRandom RANDOM = new SecureRandom();
  private static final byte[] SECRET = "imported".getBytes(StandardCharsets.UTF_8);
  private TestDaemon d;
  private String key;
  private byte[] material;

  record Params(byte[] token, PublicKey publicKey) {}

  @BeforeEach
  void start() throws Exception {
    d = new TestDaemon();
    key = d.call("CreateKey", "Origin", "EXTERNAL").get("KeyMetadata").get("KeyId").asText();
    material = new byte[32];
    RANDOM.nextBytes(material);
  }

  @AfterEach
  void stop() throws Exception {
    d.close();
  }


  private Params params(String keyId, String algorithm) throws Exception {
    JsonNode r = d.call("GetParametersForImport", "KeyId", keyId, "WrappingAlgorithm", algorithm,
        "WrappingKeySpec", "RSA_2048");
    PublicKey pub = KeyFactory.getInstance("RSA").generatePublic(
        new X509EncodedKeySpec(bytes(r.get("PublicKey"))));
    return new Params(bytes(r.get("ImportToken")), pub);
  }

  private static byte[] oaep(PublicKey pub, String digest, byte[] data) throws Exception {
    MGF1ParameterSpec mgf = digest.equals("SHA-256") ? MGF1ParameterSpec.SHA256 : MGF1ParameterSpec.SHA1;
    Cipher c = Cipher.getInstance("RSA/ECB/OAEPPadding");
    c.init(Cipher.ENCRYPT_MODE, pub, new OAEPParameterSpec(digest, "MGF1", mgf,
        PSource.PSpecified.DEFAULT));
    return c.doFinal(data);
  }

  private static byte[] wrap(Params p, String algorithm, byte[] keyMaterial) throws Exception {
    return switch (algorithm) {
      case "RSAES_OAEP_SHA_256" -> oaep(p.publicKey(), "SHA-256", keyMaterial);
      case "RSAES_OAEP_SHA_1" -> oaep(p.publicKey(), "SHA-1", keyMaterial);
      case "RSA_AES_KEY_WRAP_SHA_256" -> {
        byte[] aes = new byte[32];
        RANDOM.nextBytes(aes);
        Cipher kwp = Cipher.getInstance("AES/KWP/NoPadding");
        kwp.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(aes, "AES"));
        byte[] wrapped = kwp.doFinal(keyMaterial);
        byte[] rsa = oaep(p.publicKey(), "SHA-256", aes);
        yield ByteBuffer.allocate(rsa.length + wrapped.length).put(rsa).put(wrapped).array();
      }
      default -> throw new IllegalArgumentException(algorithm);
    };
  }

  private void importMaterial(String algorithm, byte[] keyMaterial, Object... extra)
      throws Exception {
    Params p = params(key, algorithm);
    Object[] args = new Object[6 + extra.length];
    args[0] = "KeyId";
    args[1] = key;
    args[2] = "ImportToken";
    args[3] = p.token();
    args[4] = "EncryptedKeyMaterial";
    args[5] = wrap(p, algorithm, keyMaterial);
    System.arraycopy(extra, 0, args, 6, extra.length);
    d.call("ImportKeyMaterial", args);
  }

  private void importNoExpiry(byte[] keyMaterial) throws Exception {
    importMaterial("RSAES_OAEP_SHA_256", keyMaterial, "ExpirationModel",
        "KEY_MATERIAL_DOES_NOT_EXPIRE");
  }

  private String state() {
    return d.call("DescribeKey", "KeyId", key).get("KeyMetadata").get("KeyState").asText();
  }

  private byte[] encrypt() {
    return bytes(d.call("Encrypt", "KeyId", key, "Plaintext", SECRET).get("CiphertextBlob"));
  }

  @Test
  void createKeyExternal_pendingImport_unusable() {
    assertEquals("PendingImport", state());
    assertEquals("EXTERNAL", d.call("DescribeKey", "KeyId", key).get("KeyMetadata").get("Origin")
        .asText());
    d.fails("KMSInvalidStateException", "Encrypt", "KeyId", key, "Plaintext", SECRET);
    d.fails("KMSInvalidStateException", "EnableKey", "KeyId", key);
  }

  @Test
  void importOaepSha256_keyEnabled_encryptDecryptWorks() throws Exception {
    importNoExpiry(material);
    assertEquals("Enabled", state());
    byte[] blob = encrypt();
    assertArrayEquals(SECRET, bytes(d.call("Decrypt", "CiphertextBlob", blob).get("Plaintext")));
  }

  @Test
  void importOaepSha1_and_rsaAesKeyWrapSha256_accepted() throws Exception {
    importMaterial("RSAES_OAEP_SHA_1", material, "ExpirationModel", "KEY_MATERIAL_DOES_NOT_EXPIRE");
    assertEquals("Enabled", state());
    String other = d.call("CreateKey", "Origin", "EXTERNAL").get("KeyMetadata").get("KeyId").asText();
    Params p = params(other, "RSA_AES_KEY_WRAP_SHA_256");
    d.call("ImportKeyMaterial", "KeyId", other, "ImportToken", p.token(), "EncryptedKeyMaterial",
        wrap(p, "RSA_AES_KEY_WRAP_SHA_256", material), "ExpirationModel",
        "KEY_MATERIAL_DOES_NOT_EXPIRE");
    assertEquals("Enabled", d.call("DescribeKey", "KeyId", other).get("KeyMetadata")
        .get("KeyState").asText());
  }

  /**
   * Proves the daemon really uses the imported bytes: a blob built here from the raw material,
   * following docs/ciphertext-format.md, decrypts in the daemon.
   */
  @Test
  void importedMaterial_isTheKeyUsed_locallyBuiltBlobDecrypts() throws Exception {
    importNoExpiry(material);
    UUID id = UUID.fromString(key);
    byte[] nonce = new byte[16];
    byte[] iv = new byte[12];
    RANDOM.nextBytes(nonce);
    RANDOM.nextBytes(iv);
    ByteBuffer header = ByteBuffer.allocate(49).put((byte) 1)
        .putLong(id.getMostSignificantBits()).putLong(id.getLeastSignificantBits()).putInt(1)
        .put(nonce).put(iv);
    byte[] context = ByteBuffer.allocate(36).put(nonce).putLong(id.getMostSignificantBits())
        .putLong(id.getLeastSignificantBits()).putInt(1).array();
    byte[] label = "coffer-v1-request-key".getBytes(StandardCharsets.US_ASCII);
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(material, "HmacSHA256"));
    byte[] requestKey = mac.doFinal(ByteBuffer.allocate(4 + label.length + 1 + 36 + 4)
        .putInt(1).put(label).put((byte) 0).put(context).putInt(256).array());
    Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding");
    gcm.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(requestKey, "AES"),
        new GCMParameterSpec(128, iv));
    gcm.updateAAD(header.array());
    gcm.updateAAD(new byte[4]); // empty encryption context: a count of zero pairs
    byte[] sealed = gcm.doFinal(SECRET);
    byte[] blob = ByteBuffer.allocate(49 + sealed.length).put(header.array()).put(sealed).array();
    assertArrayEquals(SECRET, bytes(d.call("Decrypt", "CiphertextBlob", blob).get("Plaintext")));
  }

  @Test
  void getParametersForImport_awsKmsKey_unsupported() {
    String normal = d.createKey();
    d.fails("UnsupportedOperationException", "GetParametersForImport", "KeyId", normal,
        "WrappingAlgorithm", "RSAES_OAEP_SHA_256", "WrappingKeySpec", "RSA_2048");
  }

  @Test
  void getParametersForImport_pkcs1OrBadSpec_validation() {
    d.fails("ValidationException", "GetParametersForImport", "KeyId", key,
        "WrappingAlgorithm", "RSAES_PKCS1_V1_5", "WrappingKeySpec", "RSA_2048");
    d.fails("ValidationException", "GetParametersForImport", "KeyId", key,
        "WrappingAlgorithm", "RSAES_OAEP_SHA_256", "WrappingKeySpec", "RSA_1024");
  }

  @Test
  void importKeyMaterial_tokenReused_invalidImportToken() throws Exception {
    Params p = params(key, "RSAES_OAEP_SHA_256");
    byte[] wrapped = wrap(p, "RSAES_OAEP_SHA_256", material);
    d.call("ImportKeyMaterial", "KeyId", key, "ImportToken", p.token(), "EncryptedKeyMaterial",
        wrapped, "ExpirationModel", "KEY_MATERIAL_DOES_NOT_EXPIRE");
    d.fails("InvalidImportTokenException", "ImportKeyMaterial", "KeyId", key, "ImportToken",
        p.token(), "EncryptedKeyMaterial", wrapped, "ExpirationModel",
        "KEY_MATERIAL_DOES_NOT_EXPIRE");
  }

  @Test
  void importKeyMaterial_tokenOfOtherKeyOrGarbage_invalidImportToken() throws Exception {
    String other = d.call("CreateKey", "Origin", "EXTERNAL").get("KeyMetadata").get("KeyId").asText();
    Params p = params(other, "RSAES_OAEP_SHA_256");
    d.fails("InvalidImportTokenException", "ImportKeyMaterial", "KeyId", key, "ImportToken",
        p.token(), "EncryptedKeyMaterial", wrap(p, "RSAES_OAEP_SHA_256", material),
        "ExpirationModel", "KEY_MATERIAL_DOES_NOT_EXPIRE");
    d.fails("InvalidImportTokenException", "ImportKeyMaterial", "KeyId", key, "ImportToken",
        new byte[5], "EncryptedKeyMaterial", new byte[256], "ExpirationModel",
        "KEY_MATERIAL_DOES_NOT_EXPIRE");
    assertEquals("PendingImport", state());
  }

  @Test
  void importKeyMaterial_after24Hours_expiredImportToken() throws Exception {
    Params p = params(key, "RSAES_OAEP_SHA_256");
    d.clock.advance(Duration.ofHours(24).plusSeconds(1));
    d.fails("ExpiredImportTokenException", "ImportKeyMaterial", "KeyId", key, "ImportToken",
        p.token(), "EncryptedKeyMaterial", wrap(p, "RSAES_OAEP_SHA_256", material),
        "ExpirationModel", "KEY_MATERIAL_DOES_NOT_EXPIRE");
  }

  @Test
  void importKeyMaterial_128BitMaterial_incorrectKeyMaterial() throws Exception {
    Params p = params(key, "RSAES_OAEP_SHA_256");
    d.fails("IncorrectKeyMaterialException", "ImportKeyMaterial", "KeyId", key, "ImportToken",
        p.token(), "EncryptedKeyMaterial", wrap(p, "RSAES_OAEP_SHA_256", new byte[16]),
        "ExpirationModel", "KEY_MATERIAL_DOES_NOT_EXPIRE");
    assertEquals("PendingImport", state());
  }

  @Test
  void importKeyMaterial_wrongAlgorithmForToken_invalidCiphertext() throws Exception {
    Params p = params(key, "RSAES_OAEP_SHA_256");
    d.fails("InvalidCiphertextException", "ImportKeyMaterial", "KeyId", key, "ImportToken",
        p.token(), "EncryptedKeyMaterial", wrap(p, "RSAES_OAEP_SHA_1", material),
        "ExpirationModel", "KEY_MATERIAL_DOES_NOT_EXPIRE");
  }

  @Test
  void importKeyMaterial_awsKmsKey_unsupported() throws Exception {
    String normal = d.createKey();
    Params p = params(key, "RSAES_OAEP_SHA_256");
    d.fails("UnsupportedOperationException", "ImportKeyMaterial", "KeyId", normal,
        "ImportToken", p.token(), "EncryptedKeyMaterial", wrap(p, "RSAES_OAEP_SHA_256", material),
        "ExpirationModel", "KEY_MATERIAL_DOES_NOT_EXPIRE");
  }

  @Test
  void importKeyMaterial_validToRules_validation() throws Exception {
    Params p = params(key, "RSAES_OAEP_SHA_256");
    byte[] w = wrap(p, "RSAES_OAEP_SHA_256", material);
    d.fails("ValidationException", "ImportKeyMaterial", "KeyId", key, "ImportToken", p.token(),
        "EncryptedKeyMaterial", w);
    d.fails("ValidationException", "ImportKeyMaterial", "KeyId", key, "ImportToken", p.token(),
        "EncryptedKeyMaterial", w, "ValidTo", d.clock.instant().plus(Duration.ofDays(366))
            .toString());
    d.fails("ValidationException", "ImportKeyMaterial", "KeyId", key, "ImportToken", p.token(),
        "EncryptedKeyMaterial", w, "ValidTo", d.clock.instant().minusSeconds(1).toString());
    d.fails("ValidationException", "ImportKeyMaterial", "KeyId", key, "ImportToken", p.token(),
        "EncryptedKeyMaterial", w, "ExpirationModel", "KEY_MATERIAL_DOES_NOT_EXPIRE",
        "ValidTo", d.clock.instant().plus(Duration.ofDays(1)).toString());
  }

  /**
   * AWS rotates imported keys on demand only, to material imported first with ImportType
   * NEW_KEY_MATERIAL (ImportedKeyRotationTest); automatic rotation stays unsupported.
   */
  @Test
  void rotation_ofExternalKey_automaticUnsupported_onDemandNeedsNewMaterial() throws Exception {
    importNoExpiry(material);
    d.fails("UnsupportedOperationException", "EnableKeyRotation", "KeyId", key);
    d.fails("KMSInvalidStateException", "RotateKeyOnDemand", "KeyId", key);
  }

  @Test
  void deleteImportedKeyMaterial_pendingImport_reimportSame_oldCiphertextDecrypts()
      throws Exception {
    importNoExpiry(material);
    byte[] blob = encrypt();
    d.call("DeleteImportedKeyMaterial", "KeyId", key);
    assertEquals("PendingImport", state());
    d.fails("KMSInvalidStateException", "Decrypt", "CiphertextBlob", blob);
    importNoExpiry(material);
    assertEquals("Enabled", state());
    assertArrayEquals(SECRET, bytes(d.call("Decrypt", "CiphertextBlob", blob).get("Plaintext")));
  }

  @Test
  void reimport_differentMaterial_incorrectKeyMaterial() throws Exception {
    importNoExpiry(material);
    d.call("DeleteImportedKeyMaterial", "KeyId", key);
    byte[] other = new byte[32];
    RANDOM.nextBytes(other);
    Params p = params(key, "RSAES_OAEP_SHA_256");
    d.fails("IncorrectKeyMaterialException", "ImportKeyMaterial", "KeyId", key, "ImportToken",
        p.token(), "EncryptedKeyMaterial", wrap(p, "RSAES_OAEP_SHA_256", other),
        "ExpirationModel", "KEY_MATERIAL_DOES_NOT_EXPIRE");
    assertEquals("PendingImport", state());
  }

  @Test
  void deleteImportedKeyMaterial_awsKmsKey_unsupported() {
    d.fails("UnsupportedOperationException", "DeleteImportedKeyMaterial", "KeyId", d.createKey());
  }

  @Test
  void expiry_validToPasses_materialErased_metricsCountedDown_reimportRestores() throws Exception {
    Instant validTo = d.clock.instant().plus(Duration.ofDays(2));
    importMaterial("RSAES_OAEP_SHA_256", material, "ValidTo", validTo.toString());
    JsonNode meta = d.call("DescribeKey", "KeyId", key).get("KeyMetadata");
    assertEquals("KEY_MATERIAL_EXPIRES", meta.get("ExpirationModel").asText());
    assertEquals(validTo.getEpochSecond(), meta.get("ValidTo").asLong());
    JsonNode expiring = d.call("GetMetrics").get("ImportedKeyMaterialExpiry").get(0);
    assertEquals(key, expiring.get("KeyId").asText());
    assertEquals(Duration.ofDays(2).toSeconds(), expiring.get("SecondsUntilExpiry").asLong());

    byte[] blob = encrypt();
    d.clock.advance(Duration.ofDays(1));
    d.daemon.runMaintenance();
    assertEquals("Enabled", state());
    assertTrue(java.nio.file.Files.readString(d.home.resolve("metrics.prom"))
        .contains("coffer_imported_key_material_expiry_seconds{key_id=\"" + key + "\"} 86400"));
    d.clock.advance(Duration.ofDays(1));
    d.daemon.runMaintenance();
    assertEquals("PendingImport", state());
    assertFalse(d.call("DescribeKey", "KeyId", key).get("KeyMetadata").has("ValidTo"));
    importNoExpiry(material);
    assertArrayEquals(SECRET, bytes(d.call("Decrypt", "CiphertextBlob", blob).get("Plaintext")));
  }

  @Test
  void importSurvivesRestart() throws Exception {
    importNoExpiry(material);
    byte[] blob = encrypt();
    d.restart();
    assertEquals("Enabled", state());
    assertArrayEquals(SECRET, bytes(d.call("Decrypt", "CiphertextBlob", blob).get("Plaintext")));
  }
}
