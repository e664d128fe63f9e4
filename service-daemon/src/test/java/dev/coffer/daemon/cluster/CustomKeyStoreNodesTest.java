package dev.coffer.daemon.cluster;

import static dev.coffer.daemon.TestDaemon.bytes;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.daemon.Daemon;
import dev.coffer.daemon.TestDaemon;
import dev.coffer.daemon.config.DaemonConfig;
import dev.coffer.daemon.keystore.pkcs11.SoftHsm;
import dev.coffer.protocol.DaemonClient;
import dev.coffer.protocol.Json;
import dev.coffer.protocol.KmsException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.Comparator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * One custom key store served by two nodes over one database: two real daemons, each with its
 * own home (socket, audit log, node id, the same root key) and its own session to one SoftHSM2
 * token, sharing one SQLite file (the second home's coffer.db links to the first's). Without a
 * change feed (SQLite) the second node sees what existed when it started, which is all this
 * test needs: connection state is read from the database on every describe.
 */
class CustomKeyStoreNodesTest {

  private static final byte[] SECRET = "in the token".getBytes(StandardCharsets.UTF_8);
  private static String token;

  private final TestDaemon.MovableClock clock = new TestDaemon.MovableClock();
  private Path homeA;
  private Path homeB;
  private Daemon a;
  private Daemon b;
  private DaemonClient ca;
  private DaemonClient cb;

  @BeforeAll
  static void tokens() throws IOException {
    SoftHsm.conf();
    token = SoftHsm.newToken("nodes");
  }

  private Daemon start(Path home) throws IOException {
    return Daemon.start(DaemonConfig.forDirectory(home).withClock(clock)
        .withDeletionCheckInterval(Duration.ofHours(1)));
  }

  private static Path home(String nodeId) throws IOException {
    Path h = Files.createTempDirectory(Path.of("/tmp"), "cn");
    Files.writeString(h.resolve("node-id"), nodeId + "\n");
    return h;
  }

  private void startBoth() throws IOException {
    homeA = home("node-a");
    a = start(homeA);
    ca = new DaemonClient(a.socket(), 2, Duration.ofSeconds(20));
  }

  /** The second node: the first's root key (copied 0600 before first start) and database. */
  private void startSecond() throws IOException {
    homeB = home("node-b");
    Files.copy(homeA.resolve("root.key"), homeB.resolve("root.key"),
        StandardCopyOption.COPY_ATTRIBUTES);
    Files.createSymbolicLink(homeB.resolve("coffer.db"), homeA.resolve("coffer.db"));
    b = start(homeB);
    cb = new DaemonClient(b.socket(), 2, Duration.ofSeconds(20));
  }

  @AfterEach
  void stop() throws IOException {
    for (AutoCloseable c : new AutoCloseable[] {cb, b, ca, a}) {
      try {
        if (c != null) {
          c.close();
        }
      } catch (Exception ignored) {
        // best effort
      }
    }
    for (Path h : new Path[] {homeB, homeA}) {
      if (h != null) {
        try (var files = Files.walk(h)) {
          files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
      }
    }
  }

  private static ObjectNode call(DaemonClient c, String op, Object... fieldsAndValues) {
    ObjectNode in = Json.object();
    for (int i = 0; i < fieldsAndValues.length; i += 2) {
      in.set((String) fieldsAndValues[i], Json.MAPPER.valueToTree(fieldsAndValues[i + 1]));
    }
    return c.call(op, in);
  }

  private static KmsException fails(String type, DaemonClient c, String op, Object... args) {
    KmsException e = assertThrows(KmsException.class, () -> call(c, op, args));
    assertEquals(type, e.errorType(), e::getMessage);
    return e;
  }

  private static JsonNode store(DaemonClient c, String id) {
    return call(c, "DescribeCustomKeyStores", "CustomKeyStoreId", id).get("CustomKeyStores")
        .get(0);
  }

  private static byte[] encrypt(DaemonClient c, String key) {
    return bytes(call(c, "Encrypt", "KeyId", key, "Plaintext", SECRET).get("CiphertextBlob"));
  }

  private static byte[] decrypt(DaemonClient c, byte[] blob) {
    return bytes(call(c, "Decrypt", "CiphertextBlob", blob).get("Plaintext"));
  }

  /** A store connected on node A, one key in it, and node B started after. */
  private String[] storeWithKeyThenSecondNode() throws IOException {
    startBoth();
    String id = call(ca, "CreateCustomKeyStore", "CustomKeyStoreName", "shared",
        "Pkcs11LibraryPath", SoftHsm.LIBRARY, "Pkcs11TokenLabel", token,
        "KeyStorePassword", SoftHsm.PIN).get("CustomKeyStoreId").asText();
    call(ca, "ConnectCustomKeyStore", "CustomKeyStoreId", id);
    String key = call(ca, "CreateKey", "CustomKeyStoreId", id).get("KeyMetadata").get("KeyId")
        .asText();
    startSecond();
    return new String[] {id, key};
  }

  @Test
  void nodeWithoutSession_refusesTheStoresKeysNamingItself_thenServesOnceConnected()
      throws Exception {
    String[] s = storeWithKeyThenSecondNode();
    String id = s[0];
    String key = s[1];
    byte[] blob = encrypt(ca, key);

    KmsException e = fails("KMSInvalidStateException", cb, "Encrypt", "KeyId", key,
        "Plaintext", SECRET);
    assertTrue(e.getMessage().contains("node node-b"), e.getMessage());
    assertTrue(e.getMessage().contains("connect-custom-key-store"), e.getMessage());
    e = fails("KMSInvalidStateException", cb, "Decrypt", "CiphertextBlob", blob);
    assertTrue(e.getMessage().contains("node node-b"), e.getMessage());
    e = fails("CustomKeyStoreInvalidStateException", cb, "CreateKey", "CustomKeyStoreId", id);
    assertTrue(e.getMessage().contains("node-b"), e.getMessage());
    assertEquals("Unavailable", call(cb, "DescribeKey", "KeyId", key).get("KeyMetadata")
        .get("KeyState").asText());
    // Node B does not serve the store; every node that does (A) is connected.
    assertEquals("CONNECTED", store(ca, id).get("ConnectionState").asText());
    assertEquals("CONNECTED", store(cb, id).get("ConnectionState").asText());

    call(cb, "ConnectCustomKeyStore", "CustomKeyStoreId", id);
    assertArrayEquals(SECRET, decrypt(cb, blob), "B opens A's ciphertext through its session");
    assertArrayEquals(SECRET, decrypt(ca, encrypt(cb, key)));
    assertEquals("CONNECTED", store(ca, id).get("ConnectionState").asText());
  }

  @Test
  void storeIsConnectedOnlyWhenEveryServingNodeIs() throws Exception {
    String[] s = storeWithKeyThenSecondNode();
    String id = s[0];
    call(cb, "ConnectCustomKeyStore", "CustomKeyStoreId", id);
    assertEquals("CONNECTED", store(ca, id).get("ConnectionState").asText());

    // A third node that was asked to connect and could not (what its row says).
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + homeA.resolve("coffer.db"));
        Statement st = c.createStatement()) {
      st.executeUpdate("INSERT INTO key_store_connections (key_store_id, node_id, state,"
          + " error_code, updated_ms) VALUES ('" + id + "', 'node-c', 'FAILED',"
          + " 'USER_LOGGED_IN', 0)");
    }
    for (DaemonClient c : new DaemonClient[] {ca, cb}) {
      JsonNode st = store(c, id);
      assertEquals("FAILED", st.get("ConnectionState").asText(), st::toString);
      assertEquals("USER_LOGGED_IN", st.get("ConnectionErrorCode").asText());
      assertTrue(st.get("ConnectionErrorMessage").asText().contains("node-c"), st::toString);
    }

    // Node A disconnects: it no longer serves the store; the store stays refused for deletion
    // while any node still does.
    call(ca, "DisconnectCustomKeyStore", "CustomKeyStoreId", id);
    KmsException e = fails("CustomKeyStoreInvalidStateException", ca, "DeleteCustomKeyStore",
        "CustomKeyStoreId", id);
    assertTrue(e.getMessage().contains("node-b") && e.getMessage().contains("node-c"),
        e.getMessage());
    fails("CustomKeyStoreInvalidStateException", ca, "UpdateCustomKeyStore",
        "CustomKeyStoreId", id, "KeyStorePassword", SoftHsm.PIN);
  }

  @Test
  void restart_reconnectsOnlyWhatThisNodeServes() throws Exception {
    String[] s = storeWithKeyThenSecondNode();
    String id = s[0];
    String key = s[1];
    cb.close();
    b.close();
    b = start(homeB);
    cb = new DaemonClient(b.socket(), 2, Duration.ofSeconds(20));
    fails("KMSInvalidStateException", cb, "Encrypt", "KeyId", key, "Plaintext", SECRET);
    call(cb, "ConnectCustomKeyStore", "CustomKeyStoreId", id);
    cb.close();
    b.close();
    b = start(homeB);
    cb = new DaemonClient(b.socket(), 2, Duration.ofSeconds(20));
    assertArrayEquals(SECRET, decrypt(cb, encrypt(cb, key)), "B reconnected what it serves");
  }
}
