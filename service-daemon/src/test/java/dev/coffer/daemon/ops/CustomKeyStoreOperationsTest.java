package dev.coffer.daemon.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import static dev.coffer.daemon.TestDaemon.bytes;

import dev.coffer.daemon.TestDaemon;
import dev.coffer.daemon.keystore.pkcs11.SoftHsm;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Custom key stores on real SoftHSM2 tokens, through the daemon's socket. */
class CustomKeyStoreOperationsTest {

  private static final byte[] SECRET = "in the token".getBytes(StandardCharsets.UTF_8);
  private static String tokenA;
  private static String tokenB;
  private TestDaemon d;

  @BeforeAll
  static void tokens() throws IOException {
    SoftHsm.conf();
    tokenA = SoftHsm.newToken("ops-a");
    tokenB = SoftHsm.newToken("ops-b");
  }

  @BeforeEach
  void start() throws IOException {
    d = new TestDaemon();
  }

  @AfterEach
  void stop() throws IOException {
    d.close();
  }

  private String createStore(String name, String token) {
    return d.call("CreateCustomKeyStore", "CustomKeyStoreName", name, "CustomKeyStoreType",
        "PKCS11", "Pkcs11LibraryPath", SoftHsm.LIBRARY, "Pkcs11TokenLabel", token,
        "KeyStorePassword", SoftHsm.PIN).get("CustomKeyStoreId").asText();
  }

  private String connectedStore(String name, String token) {
    String id = createStore(name, token);
    d.call("ConnectCustomKeyStore", "CustomKeyStoreId", id);
    assertEquals("CONNECTED", store(id).get("ConnectionState").asText(), () -> store(id).toString());
    return id;
  }

  private JsonNode store(String id) {
    JsonNode all = d.call("DescribeCustomKeyStores", "CustomKeyStoreId", id)
        .get("CustomKeyStores");
    assertEquals(1, all.size());
    return all.get(0);
  }

  private String createKey(String storeId) {
    return d.call("CreateKey", "CustomKeyStoreId", storeId).get("KeyMetadata").get("KeyId")
        .asText();
  }

  private String state(String key) {
    return d.call("DescribeKey", "KeyId", key).get("KeyMetadata").get("KeyState").asText();
  }

  private byte[] encrypt(String key) {
    return bytes(d.call("Encrypt", "KeyId", key, "Plaintext", SECRET,
        "EncryptionContext", Map.of("purpose", "test")).get("CiphertextBlob"));
  }

  private byte[] decrypt(byte[] blob) {
    return bytes(d.call("Decrypt", "CiphertextBlob", blob,
        "EncryptionContext", Map.of("purpose", "test")).get("Plaintext"));
  }


  @Test
  void createCustomKeyStore_disconnectedUntilConnected_describedWithConfiguration() {
    String id = createStore("first", tokenA);
    assertTrue(id.matches("cks-[0-9a-f]{17}"), id);
    JsonNode s = store(id);
    assertEquals("first", s.get("CustomKeyStoreName").asText());
    assertEquals("PKCS11", s.get("CustomKeyStoreType").asText());
    assertEquals("DISCONNECTED", s.get("ConnectionState").asText());
    assertFalse(s.has("ConnectionErrorCode"));
    assertEquals(tokenA, s.get("Pkcs11Configuration").get("TokenLabel").asText());
    assertFalse(s.toString().contains(SoftHsm.PIN + "\""), "the password is never returned");
    d.call("ConnectCustomKeyStore", "CustomKeyStoreId", id);
    assertEquals("CONNECTED", store(id).get("ConnectionState").asText());
    JsonNode byName = d.call("DescribeCustomKeyStores", "CustomKeyStoreName", "first")
        .get("CustomKeyStores");
    assertEquals(id, byName.get(0).get("CustomKeyStoreId").asText());
    assertEquals(1, d.call("DescribeCustomKeyStores").get("CustomKeyStores").size());
  }

  @Test
  void createCustomKeyStore_invalidRequests_awsErrors() {
    createStore("taken", tokenA);
    d.fails("CustomKeyStoreNameInUseException", "CreateCustomKeyStore", "CustomKeyStoreName",
        "taken", "Pkcs11LibraryPath", SoftHsm.LIBRARY, "Pkcs11TokenLabel", tokenB,
        "KeyStorePassword", SoftHsm.PIN);
    d.fails("CloudHsmClusterInUseException", "CreateCustomKeyStore", "CustomKeyStoreName",
        "other", "Pkcs11LibraryPath", SoftHsm.LIBRARY, "Pkcs11TokenLabel", tokenA,
        "KeyStorePassword", SoftHsm.PIN);
    d.fails("UnsupportedOperationException", "CreateCustomKeyStore", "CustomKeyStoreName", "x",
        "CustomKeyStoreType", "EXTERNAL_KEY_STORE", "Pkcs11LibraryPath", SoftHsm.LIBRARY,
        "Pkcs11TokenLabel", tokenB, "KeyStorePassword", SoftHsm.PIN);
    d.fails("ValidationException", "CreateCustomKeyStore", "CustomKeyStoreName", "x",
        "Pkcs11LibraryPath", SoftHsm.LIBRARY, "KeyStorePassword", SoftHsm.PIN);
    d.fails("ValidationException", "CreateCustomKeyStore", "CustomKeyStoreName", "x",
        "Pkcs11LibraryPath", "relative.so", "Pkcs11TokenLabel", tokenB,
        "KeyStorePassword", SoftHsm.PIN);
    d.fails("ValidationException", "CreateCustomKeyStore", "CustomKeyStoreName", "x",
        "Pkcs11LibraryPath", SoftHsm.LIBRARY, "Pkcs11TokenLabel", tokenB);
    d.fails("CustomKeyStoreNotFoundException", "DescribeCustomKeyStores", "CustomKeyStoreId",
        "cks-00000000000000000");
    d.fails("CustomKeyStoreNotFoundException", "ConnectCustomKeyStore", "CustomKeyStoreId",
        "cks-00000000000000000");
  }

  @Test
  void connectCustomKeyStore_wrongPassword_failedInvalidCredentials_updateThenConnects() {
    String id = d.call("CreateCustomKeyStore", "CustomKeyStoreName", "pin",
        "Pkcs11LibraryPath", SoftHsm.LIBRARY, "Pkcs11TokenLabel", tokenB,
        "KeyStorePassword", "0000").get("CustomKeyStoreId").asText();
    d.call("ConnectCustomKeyStore", "CustomKeyStoreId", id);
    JsonNode s = store(id);
    assertEquals("FAILED", s.get("ConnectionState").asText());
    assertEquals("INVALID_CREDENTIALS", s.get("ConnectionErrorCode").asText());
    d.fails("CustomKeyStoreInvalidStateException", "UpdateCustomKeyStore", "CustomKeyStoreId", id,
        "KeyStorePassword", SoftHsm.PIN);
    d.call("DisconnectCustomKeyStore", "CustomKeyStoreId", id);
    d.call("UpdateCustomKeyStore", "CustomKeyStoreId", id, "KeyStorePassword", SoftHsm.PIN);
    d.call("ConnectCustomKeyStore", "CustomKeyStoreId", id);
    assertEquals("CONNECTED", store(id).get("ConnectionState").asText());
  }

  @Test
  void connectCustomKeyStore_missingLibraryOrToken_failedWithErrorCode() {
    String lib = d.call("CreateCustomKeyStore", "CustomKeyStoreName", "lib",
        "Pkcs11LibraryPath", "/usr/lib/nothing/libnone.so", "Pkcs11TokenLabel", tokenB,
        "KeyStorePassword", SoftHsm.PIN).get("CustomKeyStoreId").asText();
    d.call("ConnectCustomKeyStore", "CustomKeyStoreId", lib);
    assertEquals("LIBRARY_NOT_FOUND", store(lib).get("ConnectionErrorCode").asText());
    String tok = d.call("CreateCustomKeyStore", "CustomKeyStoreName", "tok",
        "Pkcs11LibraryPath", SoftHsm.LIBRARY, "Pkcs11TokenLabel", "no-such-token",
        "KeyStorePassword", SoftHsm.PIN).get("CustomKeyStoreId").asText();
    d.call("ConnectCustomKeyStore", "CustomKeyStoreId", tok);
    assertEquals("FAILED", store(tok).get("ConnectionState").asText());
    assertEquals("TOKEN_NOT_FOUND", store(tok).get("ConnectionErrorCode").asText());
  }

  @Test
  void updateCustomKeyStore_renameWhileConnected_tokenChangeOnlyWhenDisconnected() {
    String id = connectedStore("old-name", tokenA);
    d.call("UpdateCustomKeyStore", "CustomKeyStoreId", id, "NewCustomKeyStoreName", "new-name");
    assertEquals("new-name", store(id).get("CustomKeyStoreName").asText());
    d.fails("CustomKeyStoreInvalidStateException", "UpdateCustomKeyStore", "CustomKeyStoreId", id,
        "Pkcs11TokenLabel", tokenB);
    d.call("DisconnectCustomKeyStore", "CustomKeyStoreId", id);
    d.call("UpdateCustomKeyStore", "CustomKeyStoreId", id, "Pkcs11TokenLabel", tokenB);
    assertEquals(tokenB, store(id).get("Pkcs11Configuration").get("TokenLabel").asText());
    d.fails("ValidationException", "UpdateCustomKeyStore", "CustomKeyStoreId", id);
  }

  @Test
  void generateRandom_inStore_onlyWhileConnected_unknownStoreNotFound() {
    String id = connectedStore("random", tokenA);
    byte[] a = bytes(d.call("GenerateRandom", "NumberOfBytes", 1024, "CustomKeyStoreId", id)
        .get("Plaintext"));
    byte[] b = bytes(d.call("GenerateRandom", "NumberOfBytes", 32, "CustomKeyStoreId", id)
        .get("Plaintext"));
    assertEquals(1024, a.length);
    assertEquals(32, b.length);
    assertFalse(java.util.Arrays.equals(java.util.Arrays.copyOf(a, 32), b));
    d.call("DisconnectCustomKeyStore", "CustomKeyStoreId", id);
    d.fails("CustomKeyStoreInvalidStateException", "GenerateRandom", "NumberOfBytes", 16,
        "CustomKeyStoreId", id);
    assertEquals(16, bytes(d.call("GenerateRandom", "NumberOfBytes", 16).get("Plaintext")).length,
        "without a store id the daemon's own generator answers");
    d.fails("CustomKeyStoreNotFoundException", "GenerateRandom", "NumberOfBytes", 16,
        "CustomKeyStoreId", "cks-00000000000000000");
    d.fails("ValidationException", "GenerateRandom", "NumberOfBytes", 1025,
        "CustomKeyStoreId", id);
  }

  @Test
  void createKey_inConnectedStore_originAwsCloudhsm_cryptoWorksAndBlobsLookTheSame() {
    String id = connectedStore("crypto", tokenA);
    JsonNode meta = d.call("CreateKey", "CustomKeyStoreId", id, "Origin", "AWS_CLOUDHSM",
        "Description", "hsm key").get("KeyMetadata");
    String key = meta.get("KeyId").asText();
    assertEquals("AWS_CLOUDHSM", meta.get("Origin").asText());
    assertEquals(id, meta.get("CustomKeyStoreId").asText());
    assertEquals("Enabled", state(key));
    byte[] blob = encrypt(key);
    assertArrayEquals(SECRET, decrypt(blob));
    byte[] software = bytes(d.call("Encrypt", "KeyId", d.createKey(), "Plaintext", SECRET,
        "EncryptionContext", Map.of("purpose", "test")).get("CiphertextBlob"));
    assertEquals(software.length, blob.length, "same self-describing blob format and size");
    d.fails("InvalidCiphertextException", "Decrypt", "CiphertextBlob", blob);

    JsonNode dk = d.call("GenerateDataKey", "KeyId", key, "KeySpec", "AES_256");
    byte[] plain = bytes(dk.get("Plaintext"));
    assertArrayEquals(plain, bytes(d.call("Decrypt", "CiphertextBlob",
        bytes(dk.get("CiphertextBlob"))).get("Plaintext")));
    d.call("GenerateDataKeyWithoutPlaintext", "KeyId", key, "NumberOfBytes", 64);
    String other = d.createKey();
    byte[] moved = bytes(d.call("ReEncrypt", "CiphertextBlob", blob, "SourceEncryptionContext",
        Map.of("purpose", "test"), "DestinationKeyId", other,
        "DestinationEncryptionContext", Map.of("purpose", "test")).get("CiphertextBlob"));
    assertArrayEquals(SECRET, decrypt(moved));
    d.call("CreateAlias", "AliasName", "alias/hsm", "TargetKeyId", key);
    assertArrayEquals(SECRET, decrypt(bytes(d.call("Encrypt", "KeyId", "alias/hsm", "Plaintext",
        SECRET, "EncryptionContext", Map.of("purpose", "test")).get("CiphertextBlob"))));
  }

  @Test
  void createKey_storeNotConnectedOrUnknownOrBadOrigin_refused() {
    String id = createStore("idle", tokenA);
    d.fails("CustomKeyStoreInvalidStateException", "CreateKey", "CustomKeyStoreId", id);
    d.fails("CustomKeyStoreNotFoundException", "CreateKey", "CustomKeyStoreId",
        "cks-00000000000000000");
    d.fails("ValidationException", "CreateKey", "Origin", "AWS_CLOUDHSM");
    d.fails("ValidationException", "CreateKey", "CustomKeyStoreId", id, "Origin", "EXTERNAL");
  }

  @Test
  void disconnect_keysUnavailable_cryptoInvalidState_reconnectRestoresEachState() {
    String id = connectedStore("flip", tokenA);
    String enabled = createKey(id);
    String disabled = createKey(id);
    d.call("DisableKey", "KeyId", disabled);
    byte[] blob = encrypt(enabled);

    d.call("DisconnectCustomKeyStore", "CustomKeyStoreId", id);
    assertEquals("DISCONNECTED", store(id).get("ConnectionState").asText());
    assertEquals("Unavailable", state(enabled));
    assertEquals("Unavailable", state(disabled));
    d.fails("KMSInvalidStateException", "Encrypt", "KeyId", enabled, "Plaintext", SECRET);
    d.fails("KMSInvalidStateException", "Decrypt", "CiphertextBlob", blob,
        "EncryptionContext", Map.of("purpose", "test"));
    d.fails("KMSInvalidStateException", "GenerateDataKey", "KeyId", enabled, "KeySpec",
        "AES_256");
    assertEquals(2, d.call("GetMetrics").get("KeysByState").get("Unavailable").asInt());

    d.call("ConnectCustomKeyStore", "CustomKeyStoreId", id);
    assertEquals("Enabled", state(enabled));
    assertEquals("Disabled", state(disabled));
    assertArrayEquals(SECRET, decrypt(blob));
  }

  @Test
  void importAndRotation_refusedForCustomKeyStoreKeys() {
    String key = createKey(connectedStore("norotate", tokenA));
    d.fails("UnsupportedOperationException", "GetParametersForImport", "KeyId", key,
        "WrappingAlgorithm", "RSAES_OAEP_SHA_256", "WrappingKeySpec", "RSA_2048");
    d.fails("UnsupportedOperationException", "EnableKeyRotation", "KeyId", key);
    d.fails("UnsupportedOperationException", "RotateKeyOnDemand", "KeyId", key);
    d.fails("UnsupportedOperationException", "GetKeyRotationStatus", "KeyId", key);
  }

  @Test
  void deleteCustomKeyStore_connectedOrWithKeys_refused_deletedKeyDestroysTokenObject()
      throws Exception {
    String id = connectedStore("doomed", tokenB);
    String key = createKey(id);
    d.fails("CustomKeyStoreInvalidStateException", "DeleteCustomKeyStore", "CustomKeyStoreId", id);
    d.call("ScheduleKeyDeletion", "KeyId", key, "PendingWindowInDays", 7);
    d.call("DisconnectCustomKeyStore", "CustomKeyStoreId", id);
    assertEquals("PendingDeletion", state(key), "pending deletion stays visible while disconnected");
    d.fails("CustomKeyStoreHasCMKsException", "DeleteCustomKeyStore", "CustomKeyStoreId", id);
    d.call("ConnectCustomKeyStore", "CustomKeyStoreId", id);
    String label = tokenObjects(tokenB).stream().filter(l -> l.contains(key)).findFirst()
        .orElseThrow();
    d.clock.advance(Duration.ofDays(8));
    d.daemon.runMaintenance();
    d.fails("NotFoundException", "DescribeKey", "KeyId", key);
    assertFalse(tokenObjects(tokenB).contains(label), "the token object was destroyed");
    d.call("DisconnectCustomKeyStore", "CustomKeyStoreId", id);
    d.call("DeleteCustomKeyStore", "CustomKeyStoreId", id);
    d.fails("CustomKeyStoreNotFoundException", "DescribeCustomKeyStores", "CustomKeyStoreId", id);
  }

  private static List<String> tokenObjects(String token) throws IOException {
    String out = SoftHsm.run("pkcs11-tool", "--module", SoftHsm.LIBRARY, "--token-label", token,
        "--login", "--pin", SoftHsm.PIN, "--list-objects", "--type", "secrkey");
    List<String> labels = new ArrayList<>();
    for (String line : out.split("\n")) {
      if (line.trim().startsWith("label:")) {
        labels.add(line.trim().substring("label:".length()).trim());
      }
    }
    return labels;
  }

  @Test
  void restart_connectedStoreReconnects_disconnectedStoreStaysDisconnected() throws IOException {
    String on = connectedStore("on", tokenA);
    String off = createStore("off", tokenB);
    String key = createKey(on);
    byte[] blob = encrypt(key);
    d.restart();
    assertEquals("CONNECTED", store(on).get("ConnectionState").asText());
    assertEquals("DISCONNECTED", store(off).get("ConnectionState").asText());
    assertArrayEquals(SECRET, decrypt(blob));
  }

  @Test
  void twoTokens_connectedAtOnce_keysIndependent() {
    String a = connectedStore("token-a", tokenA);
    String b = connectedStore("token-b", tokenB);
    String ka = createKey(a);
    String kb = createKey(b);
    byte[] ba = encrypt(ka);
    byte[] bb = encrypt(kb);
    d.call("DisconnectCustomKeyStore", "CustomKeyStoreId", a);
    d.fails("KMSInvalidStateException", "Decrypt", "CiphertextBlob", ba,
        "EncryptionContext", Map.of("purpose", "test"));
    assertArrayEquals(SECRET, decrypt(bb));
    d.call("ConnectCustomKeyStore", "CustomKeyStoreId", a);
    assertArrayEquals(SECRET, decrypt(ba));
  }

  @Test
  void tokenReinitialisedUnderRunningDaemon_failsCleanly_recoversAfterConnect() throws Exception {
    String token = SoftHsm.newToken("reinit");
    String id = connectedStore("reinit", token);
    String old = createKey(id);
    encrypt(old);
    SoftHsm.deleteToken(token);
    d.fails("KeyUnavailableException", "Encrypt", "KeyId", old, "Plaintext", SECRET);
    JsonNode s = store(id);
    assertEquals("FAILED", s.get("ConnectionState").asText());
    assertEquals("TOKEN_ERRORS", s.get("ConnectionErrorCode").asText());
    assertEquals("Unavailable", state(old));
    d.fails("KMSInvalidStateException", "Encrypt", "KeyId", old, "Plaintext", SECRET);

    SoftHsm.initToken(token);
    d.call("ConnectCustomKeyStore", "CustomKeyStoreId", id);
    assertEquals("CONNECTED", store(id).get("ConnectionState").asText());
    String fresh = createKey(id);
    assertArrayEquals(SECRET, decrypt(encrypt(fresh)));
    // The old key's token object went with the old token: it fails cleanly, alone.
    d.fails("KeyUnavailableException", "Encrypt", "KeyId", old, "Plaintext", SECRET);
    assertEquals("CONNECTED", store(id).get("ConnectionState").asText());
  }

  @Test
  void manyRequestsFromSeveralThreads_allSucceed_storeStaysConnected() throws Exception {
    String key = createKey(connectedStore("load", tokenA));
    ExecutorService pool = Executors.newFixedThreadPool(4);
    List<Future<Integer>> futures = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      futures.add(pool.submit(() -> {
        int ok = 0;
        for (int i = 0; i < 150; i++) {
          if (java.util.Arrays.equals(SECRET, decrypt(encrypt(key)))) {
            ok++;
          }
        }
        return ok;
      }));
    }
    int total = 0;
    for (Future<Integer> f : futures) {
      total += f.get();
    }
    pool.shutdown();
    assertEquals(600, total);
  }

  @Test
  void rootKeyInToken_keysSurviveRestart_noRootKeyFile() throws Exception {
    d.close();
    String token = SoftHsm.newToken("rootkey");
    Path pinFile = Files.createTempFile("coffer-pin", ".txt",
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.writeString(pinFile, SoftHsm.PIN + "\n");
    d = new TestDaemon(c -> {
      try {
        Files.writeString(c.home().resolve("coffer.properties"), "root-key-store = pkcs11\n"
            + "root-key-pkcs11-library = " + SoftHsm.LIBRARY + "\n"
            + "root-key-pkcs11-token-label = " + token + "\n"
            + "root-key-pkcs11-pin-file = " + pinFile + "\n");
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
      return c;
    });
    String key = d.createKey();
    byte[] blob = encrypt(key);
    String store = connectedStore("under-hsm-root", tokenB);
    d.restart();
    assertFalse(Files.exists(d.home.resolve("root.key")), "no software root key was written");
    assertArrayEquals(SECRET, decrypt(blob));
    assertEquals("CONNECTED", store(store).get("ConnectionState").asText(),
        "the store's PIN unwrapped under the token root key");
    assertNotEquals(0, blob.length);
    Files.delete(pinFile);
  }
}
