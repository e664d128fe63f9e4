package dev.coffer.daemon.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import static dev.coffer.daemon.TestDaemon.bytes;

import dev.coffer.daemon.TestDaemon;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import dev.coffer.protocol.KmsException;

/** Encrypt, Decrypt, ReEncrypt, data keys and random bytes through the real socket. */
class CryptoOperationsTest {

  private static final byte[] SECRET = "the launch codes".getBytes(StandardCharsets.UTF_8);
  private TestDaemon d;
  private String key;

  @BeforeEach
  void start() throws Exception {
    d = new TestDaemon();
    key = d.createKey();
  }

  @AfterEach
  void stop() throws Exception {
    d.close();
  }

  private byte[] encrypt(String keyRef, byte[] plaintext, Map<String, String> ctx) {
    return bytes(d.call("Encrypt", "KeyId", keyRef, "Plaintext", plaintext,
        "EncryptionContext", ctx).get("CiphertextBlob"));
  }


  @Test
  void encryptDecrypt_roundTrip_withoutKeyId() {
    byte[] blob = encrypt(key, SECRET, Map.of("order", "42"));
    JsonNode r = d.call("Decrypt", "CiphertextBlob", blob, "EncryptionContext", Map.of("order", "42"));
    assertArrayEquals(SECRET, bytes(r.get("Plaintext")));
    assertTrue(r.get("KeyId").asText().endsWith(key));
    assertEquals("SYMMETRIC_DEFAULT", r.get("EncryptionAlgorithm").asText());
  }

  /**
   * Members of the KMS model Coffer does not implement are refused by name, never ignored:
   * ignoring Recipient would hand back the plaintext a caller asked to have wrapped for an
   * enclave (newer SDKs send it).
   */
  @Test
  void modelMembersNotImplemented_refusedAsUnsupported_notIgnored() {
    byte[] blob = encrypt(key, SECRET, Map.of());
    Map<String, String> recipient = Map.of("KeyEncryptionAlgorithm", "RSAES_OAEP_SHA_256",
        "AttestationDocument", "AAAA");
    KmsException e = d.fails("UnsupportedOperationException", "Decrypt", "CiphertextBlob", blob,
        "Recipient", recipient);
    assertTrue(e.getMessage().contains("Recipient"), e.getMessage());
    d.fails("UnsupportedOperationException", "GenerateDataKey", "KeyId", key, "NumberOfBytes",
        32, "Recipient", recipient);
    d.fails("UnsupportedOperationException", "GenerateRandom", "NumberOfBytes", 32,
        "Recipient", recipient);
    // A member the model does not know stays a validation error.
    d.fails("ValidationException", "Decrypt", "CiphertextBlob", blob, "Recipients", recipient);
  }

  @Test
  void encrypt_sameInputTwice_differentBlobs() {
    assertFalse(Arrays.equals(encrypt(key, SECRET, Map.of()), encrypt(key, SECRET, Map.of())));
  }

  @Test
  void encrypt_blobDoesNotContainPlaintext() {
    byte[] blob = encrypt(key, SECRET, Map.of());
    String asText = new String(blob, StandardCharsets.ISO_8859_1);
    assertFalse(asText.contains("launch"));
  }

  @Test
  void encrypt_viaAlias_decryptsWithKeyIdOfTarget() {
    d.call("CreateAlias", "AliasName", "alias/app", "TargetKeyId", key);
    byte[] blob = encrypt("alias/app", SECRET, Map.of());
    JsonNode r = d.call("Decrypt", "CiphertextBlob", blob, "KeyId", "alias/app");
    assertArrayEquals(SECRET, bytes(r.get("Plaintext")));
  }

  @Test
  void encrypt_plaintextSizes_1and4096ok_0and4097rejected() {
    encrypt(key, new byte[1], Map.of());
    encrypt(key, new byte[4096], Map.of());
    d.fails("ValidationException", "Encrypt", "KeyId", key, "Plaintext", new byte[4097]);
    d.fails("ValidationException", "Encrypt", "KeyId", key, "Plaintext", new byte[0]);
  }

  @Test
  void encrypt_missingPlaintext_validation_notBase64_validation() {
    d.fails("ValidationException", "Encrypt", "KeyId", key);
    d.fails("ValidationException", "Encrypt", "KeyId", key, "Plaintext", "!!not base64!!");
  }

  @Test
  void encrypt_unknownKey_notFound() {
    d.fails("NotFoundException", "Encrypt", "KeyId", "alias/none", "Plaintext", SECRET);
  }

  @Test
  void encryptDecrypt_disabledKey_disabledException_thenWorksAfterEnable() {
    byte[] blob = encrypt(key, SECRET, Map.of());
    d.call("DisableKey", "KeyId", key);
    d.fails("DisabledException", "Encrypt", "KeyId", key, "Plaintext", SECRET);
    d.fails("DisabledException", "Decrypt", "CiphertextBlob", blob);
    d.fails("DisabledException", "GenerateDataKey", "KeyId", key, "KeySpec", "AES_256");
    d.call("EnableKey", "KeyId", key);
    assertArrayEquals(SECRET, bytes(d.call("Decrypt", "CiphertextBlob", blob).get("Plaintext")));
  }

  @Test
  void encryptDecrypt_pendingDeletion_unusable_cancelAndEnable_usableAgain() {
    byte[] blob = encrypt(key, SECRET, Map.of());
    d.call("ScheduleKeyDeletion", "KeyId", key, "PendingWindowInDays", 7);
    // AWS's key-state table: pending deletion is KMSInvalidStateException (only Disabled is
    // DisabledException).
    d.fails("KMSInvalidStateException", "Encrypt", "KeyId", key, "Plaintext", SECRET);
    d.fails("KMSInvalidStateException", "Decrypt", "CiphertextBlob", blob);
    d.call("CancelKeyDeletion", "KeyId", key);
    d.fails("DisabledException", "Decrypt", "CiphertextBlob", blob);
    d.call("EnableKey", "KeyId", key);
    assertArrayEquals(SECRET, bytes(d.call("Decrypt", "CiphertextBlob", blob).get("Plaintext")));
  }

  @Test
  void decrypt_differentContext_invalidCiphertext() {
    byte[] blob = encrypt(key, SECRET, Map.of("tenant", "a"));
    d.fails("InvalidCiphertextException", "Decrypt", "CiphertextBlob", blob,
        "EncryptionContext", Map.of("tenant", "b"));
    d.fails("InvalidCiphertextException", "Decrypt", "CiphertextBlob", blob);
    d.fails("InvalidCiphertextException", "Decrypt", "CiphertextBlob", blob,
        "EncryptionContext", Map.of("Tenant", "a"));
    d.fails("InvalidCiphertextException", "Decrypt", "CiphertextBlob", blob,
        "EncryptionContext", Map.of("tenant", "a", "extra", "x"));
  }

  @Test
  void decrypt_contextPairOrderIrrelevant() {
    Map<String, String> ab = new LinkedHashMap<>();
    ab.put("a", "1");
    ab.put("b", "2");
    Map<String, String> ba = new LinkedHashMap<>();
    ba.put("b", "2");
    ba.put("a", "1");
    byte[] blob = encrypt(key, SECRET, ab);
    assertArrayEquals(SECRET, bytes(d.call("Decrypt", "CiphertextBlob", blob,
        "EncryptionContext", ba).get("Plaintext")));
  }

  @Test
  void decrypt_contextConcatenationAmbiguity_rejected() {
    byte[] blob = encrypt(key, SECRET, Map.of("ab", "c"));
    d.fails("InvalidCiphertextException", "Decrypt", "CiphertextBlob", blob,
        "EncryptionContext", Map.of("a", "bc"));
  }

  @Test
  void decrypt_everyTamperedByte_invalidCiphertext() {
    byte[] blob = encrypt(key, SECRET, Map.of());
    // Flipping the key id bytes names a key that does not exist; every other byte is authenticated.
    for (int i = 17; i < blob.length; i++) {
      byte[] t = blob.clone();
      t[i] ^= 0x01;
      d.fails("InvalidCiphertextException", "Decrypt", "CiphertextBlob", t);
    }
    byte[] badVersion = blob.clone();
    badVersion[0] = 9;
    d.fails("InvalidCiphertextException", "Decrypt", "CiphertextBlob", badVersion);
  }

  @Test
  void decrypt_truncatedOrGarbage_invalidCiphertext() {
    byte[] blob = encrypt(key, SECRET, Map.of());
    d.fails("InvalidCiphertextException", "Decrypt", "CiphertextBlob",
        Arrays.copyOf(blob, blob.length - 1));
    d.fails("InvalidCiphertextException", "Decrypt", "CiphertextBlob", Arrays.copyOf(blob, 20));
    // Over the API's 6144 bytes: a constraint, so ValidationException (as AWS answers).
    d.fails("ValidationException", "Decrypt", "CiphertextBlob", new byte[6145]);
  }

  @Test
  void decrypt_blobKeyIdTamperedToUnknownKey_notFound() {
    byte[] blob = encrypt(key, SECRET, Map.of());
    blob[5] ^= 0x40;
    d.fails("NotFoundException", "Decrypt", "CiphertextBlob", blob);
  }

  @Test
  void decrypt_wrongKeyIdGiven_incorrectKey() {
    String other = d.createKey();
    byte[] blob = encrypt(key, SECRET, Map.of());
    d.fails("IncorrectKeyException", "Decrypt", "CiphertextBlob", blob, "KeyId", other);
  }

  @Test
  void decrypt_blobFromAnotherDaemon_notFound() throws Exception {
    try (TestDaemon other = new TestDaemon()) {
      String k = other.createKey();
      byte[] blob = bytes(other.call("Encrypt", "KeyId", k, "Plaintext", SECRET)
          .get("CiphertextBlob"));
      d.fails("NotFoundException", "Decrypt", "CiphertextBlob", blob);
    }
  }

  @Test
  void decrypt_asymmetricAlgorithm_invalidKeyUsage() {
    byte[] blob = encrypt(key, SECRET, Map.of());
    d.fails("InvalidKeyUsageException", "Decrypt", "CiphertextBlob", blob,
        "EncryptionAlgorithm", "RSAES_OAEP_SHA_256");
  }

  @Test
  void dryRun_wouldSucceed_dryRunOperationException_wouldFail_realError() {
    d.fails("DryRunOperationException", "Encrypt", "KeyId", key, "Plaintext", SECRET,
        "DryRun", true);
    d.call("DisableKey", "KeyId", key);
    d.fails("DisabledException", "Encrypt", "KeyId", key, "Plaintext", SECRET, "DryRun", true);
  }

  @Test
  void reEncrypt_toOtherKeyAndContext_decryptsThere_notUnderSource() {
    String dest = d.createKey();
    byte[] blob = encrypt(key, SECRET, Map.of("v", "1"));
    JsonNode r = d.call("ReEncrypt", "CiphertextBlob", blob,
        "SourceEncryptionContext", Map.of("v", "1"), "DestinationKeyId", dest,
        "DestinationEncryptionContext", Map.of("v", "2"));
    assertFalse(r.has("Plaintext"));
    assertTrue(r.get("SourceKeyId").asText().endsWith(key));
    assertTrue(r.get("KeyId").asText().endsWith(dest));
    byte[] moved = bytes(r.get("CiphertextBlob"));
    assertArrayEquals(SECRET, bytes(d.call("Decrypt", "CiphertextBlob", moved,
        "EncryptionContext", Map.of("v", "2")).get("Plaintext")));
    d.fails("IncorrectKeyException", "Decrypt", "CiphertextBlob", moved, "KeyId", key);
  }

  @Test
  void reEncrypt_wrongSourceContext_invalidCiphertext_disabledDestination_disabled() {
    String dest = d.createKey();
    byte[] blob = encrypt(key, SECRET, Map.of("v", "1"));
    d.fails("InvalidCiphertextException", "ReEncrypt", "CiphertextBlob", blob,
        "DestinationKeyId", dest);
    d.call("DisableKey", "KeyId", dest);
    d.fails("DisabledException", "ReEncrypt", "CiphertextBlob", blob,
        "SourceEncryptionContext", Map.of("v", "1"), "DestinationKeyId", dest);
  }

  @Test
  void generateDataKey_aes256_plaintextMatchesDecryptedBlob() {
    JsonNode r = d.call("GenerateDataKey", "KeyId", key, "KeySpec", "AES_256",
        "EncryptionContext", Map.of("file", "x"));
    byte[] plain = bytes(r.get("Plaintext"));
    assertEquals(32, plain.length);
    byte[] again = bytes(d.call("Decrypt", "CiphertextBlob", bytes(r.get("CiphertextBlob")),
        "EncryptionContext", Map.of("file", "x")).get("Plaintext"));
    assertArrayEquals(plain, again);
  }

  @Test
  void generateDataKey_aes128AndNumberOfBytes_sizes() {
    assertEquals(16, bytes(d.call("GenerateDataKey", "KeyId", key, "KeySpec", "AES_128")
        .get("Plaintext")).length);
    assertEquals(1, bytes(d.call("GenerateDataKey", "KeyId", key, "NumberOfBytes", 1)
        .get("Plaintext")).length);
    assertEquals(1024, bytes(d.call("GenerateDataKey", "KeyId", key, "NumberOfBytes", 1024)
        .get("Plaintext")).length);
  }

  @Test
  void generateDataKey_badSpecOrSize_validation() {
    d.fails("ValidationException", "GenerateDataKey", "KeyId", key);
    d.fails("ValidationException", "GenerateDataKey", "KeyId", key, "KeySpec", "AES_512");
    d.fails("ValidationException", "GenerateDataKey", "KeyId", key, "NumberOfBytes", 0);
    d.fails("ValidationException", "GenerateDataKey", "KeyId", key, "NumberOfBytes", 1025);
    d.fails("ValidationException", "GenerateDataKey", "KeyId", key, "KeySpec", "AES_256",
        "NumberOfBytes", 32);
  }

  @Test
  void generateDataKeyWithoutPlaintext_noPlaintext_blobDecryptsTo32Bytes() {
    JsonNode r = d.call("GenerateDataKeyWithoutPlaintext", "KeyId", key, "KeySpec", "AES_256");
    assertFalse(r.has("Plaintext"));
    assertEquals(32, bytes(d.call("Decrypt", "CiphertextBlob", bytes(r.get("CiphertextBlob")))
        .get("Plaintext")).length);
  }

  @Test
  void generateRandom_sizes_andDistinct() {
    byte[] a = bytes(d.call("GenerateRandom", "NumberOfBytes", 32).get("Plaintext"));
    byte[] b = bytes(d.call("GenerateRandom", "NumberOfBytes", 32).get("Plaintext"));
    assertEquals(32, a.length);
    assertNotEquals(Arrays.toString(a), Arrays.toString(b));
    assertEquals(1024, bytes(d.call("GenerateRandom", "NumberOfBytes", 1024).get("Plaintext")).length);
    d.fails("ValidationException", "GenerateRandom", "NumberOfBytes", 0);
    d.fails("ValidationException", "GenerateRandom", "NumberOfBytes", 1025);
    d.fails("ValidationException", "GenerateRandom");
  }

  @Test
  void ciphertexts_decryptAfterRestart() throws Exception {
    byte[] blob = encrypt(key, SECRET, Map.of("k", "v"));
    d.restart();
    assertArrayEquals(SECRET, bytes(d.call("Decrypt", "CiphertextBlob", blob,
        "EncryptionContext", Map.of("k", "v")).get("Plaintext")));
  }
}
