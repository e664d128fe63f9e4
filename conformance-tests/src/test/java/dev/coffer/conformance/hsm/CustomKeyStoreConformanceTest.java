package dev.coffer.conformance.hsm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.coffer.conformance.DaemonProcess;
import dev.coffer.conformance.DaemonProcess.CliResult;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A key in a custom key store, end to end: a real SoftHSM2 token, a real {@code coffer serve}
 * process, the CLI, and {@code pkcs11-tool} (OpenSC) as an independent witness of what the
 * token holds. The daemon's database must hold only the token object's label.
 */
class CustomKeyStoreConformanceTest {

  private static final String LIBRARY = SoftHsm.LIBRARY;
  private static final String PIN = SoftHsm.PIN;
  private static final ObjectMapper JSON = new ObjectMapper();

  private static JsonNode ok(DaemonProcess d, String... args) throws Exception {
    CliResult r = d.cli(args);
    assertEquals(0, r.exitCode(), () -> String.join(" ", args) + ": " + r.stderr());
    return r.stdout().isBlank() ? JSON.createObjectNode() : JSON.readTree(r.stdout());
  }

  /** pkcs11-tool's description of each secret key object, by label. */
  private static List<String[]> objects(String token) throws Exception {
    String out = SoftHsm.run("pkcs11-tool", "--module", LIBRARY, "--token-label", token, "--login",
        "--pin", PIN, "--list-objects", "--type", "secrkey");
    List<String[]> objects = new ArrayList<>();
    String label = null;
    for (String line : out.split("\n")) {
      String t = line.trim();
      if (t.startsWith("label:")) {
        label = t.substring("label:".length()).trim();
      } else if (t.startsWith("Access:") && label != null) {
        objects.add(new String[] {label, t.substring("Access:".length()).trim()});
        label = null;
      }
    }
    return objects;
  }

  @Test
  void keyInCustomKeyStore_isSensitiveNonExtractableTokenObject_databaseHoldsOnlyItsLabel()
      throws Exception {
    SoftHsm.reset();
    String token = "conformance";
    SoftHsm.initToken(token);
    try (DaemonProcess d = DaemonProcess.start()) {
      String store = SoftHsm.connectStore(d, token);
      JsonNode stores = ok(d, "describe-custom-key-stores", "--custom-key-store-id", store);
      assertEquals("CONNECTED",
          stores.get("CustomKeyStores").get(0).get("ConnectionState").asText());
      JsonNode meta = ok(d, "create-key", "--custom-key-store-id", store, "--origin",
          "AWS_CLOUDHSM").get("KeyMetadata");
      String key = meta.get("KeyId").asText();
      assertEquals("AWS_CLOUDHSM", meta.get("Origin").asText());
      assertEquals(store, meta.get("CustomKeyStoreId").asText());

      byte[] secret = "kept by the token".getBytes(StandardCharsets.UTF_8);
      Path plain = d.home().resolve("plain.bin");
      Files.write(plain, secret);
      String blob = ok(d, "encrypt", "--key-id", key, "--plaintext", "fileb://" + plain)
          .get("CiphertextBlob").asText();
      Path blobFile = d.home().resolve("blob.bin");
      Files.write(blobFile, Base64.getDecoder().decode(blob));
      assertArrayEquals(secret, Base64.getDecoder().decode(ok(d, "decrypt",
          "--ciphertext-blob", "fileb://" + blobFile).get("Plaintext").asText()));

      // The token holds the key: a token object, CKA_SENSITIVE true, CKA_EXTRACTABLE false.
      String[] object = objects(token).stream().filter(o -> o[0].contains(key)).findFirst()
          .orElseThrow(() -> new AssertionError("no token object for " + key));
      List<String> access = Arrays.stream(object[1].split(",")).map(String::trim).toList();
      assertTrue(access.contains("sensitive"), object[1]);
      assertTrue(access.contains("never extractable"), object[1]);
      assertFalse(access.contains("extractable"), object[1]);

      // The daemon's database holds the label and nothing else for that key.
      try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + d.home().resolve("coffer.db"));
          Statement s = c.createStatement();
          ResultSet r = s.executeQuery("SELECT key_store, stored FROM key_versions WHERE key_id = '"
              + key + "'")) {
        assertTrue(r.next());
        assertEquals(store, r.getString(1));
        assertEquals(object[0], new String(r.getBytes(2), StandardCharsets.UTF_8));
        assertFalse(r.next(), "one version only");
      }
      try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + d.home().resolve("coffer.db"));
          Statement s = c.createStatement();
          ResultSet r = s.executeQuery("SELECT wrapped_pin FROM custom_key_stores")) {
        assertTrue(r.next());
        String wrapped = new String(r.getBytes(1), StandardCharsets.ISO_8859_1);
        assertFalse(wrapped.contains(PIN), "the PIN is stored only wrapped");
      }

      // Disconnected: Unavailable, and the CLI reports the AWS error.
      ok(d, "disconnect-custom-key-store", "--custom-key-store-id", store);
      CliResult refused = d.cli("encrypt", "--key-id", key, "--plaintext", "fileb://" + plain);
      assertNotEquals(0, refused.exitCode());
      assertTrue(refused.stderr().contains("KMSInvalidStateException"), refused.stderr());
      assertEquals("Unavailable", ok(d, "describe-key", "--key-id", key).get("KeyMetadata")
          .get("KeyState").asText());
      CliResult hasKeys = d.cli("delete-custom-key-store", "--custom-key-store-id", store);
      assertTrue(hasKeys.stderr().contains("CustomKeyStoreHasCMKsException"), hasKeys.stderr());

      // A restart of a connected store reconnects it.
      ok(d, "connect-custom-key-store", "--custom-key-store-id", store);
      d.restart();
      assertArrayEquals(secret, Base64.getDecoder().decode(ok(d, "decrypt",
          "--ciphertext-blob", "fileb://" + blobFile).get("Plaintext").asText()));
    }
  }
}
