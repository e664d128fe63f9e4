package dev.coffer.daemon.accesskey;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.daemon.TestDaemon;
import dev.coffer.daemon.config.DaemonConfig;
import dev.coffer.daemon.identity.IamUser;
import dev.coffer.daemon.ops.Caller;
import dev.coffer.daemon.ops.RequestPipeline;
import dev.coffer.daemon.storage.Database;
import dev.coffer.daemon.storage.StorageException;
import dev.coffer.protocol.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Access-key administration through the real socket, as the daemon's administrator. */
class AccessKeyOperationsTest {

  private TestDaemon d;

  @BeforeEach
  void start() throws IOException {
    d = new TestDaemon(); // the test's user administers it (the default)
  }

  @AfterEach
  void stop() throws IOException {
    d.close();
  }

  private JsonNode create(String user) {
    return d.call("CreateAccessKey", "UserName", user).get("AccessKey");
  }

  @Test
  void lifecycle_createListUpdateDelete_inIamShape() {
    JsonNode k = create("alice");
    String id = k.get("AccessKeyId").asText();
    String secret = k.get("SecretAccessKey").asText();
    assertTrue(id.matches("AKIA[A-Z2-7]{16}"), id);
    assertEquals(40, secret.length());
    assertEquals("alice", k.get("UserName").asText());
    assertEquals("Active", k.get("Status").asText());
    assertTrue(k.get("CreateDate").isNumber());

    JsonNode listed = d.call("ListAccessKeys", "UserName", "alice");
    assertFalse(listed.get("IsTruncated").asBoolean());
    JsonNode meta = listed.get("AccessKeyMetadata").get(0);
    assertEquals(id, meta.get("AccessKeyId").asText());
    assertEquals("Active", meta.get("Status").asText());
    assertFalse(meta.has("SecretAccessKey"));
    assertFalse(listed.toString().contains(secret));

    try (AccessKeyCredential c = d.daemon.accessKeys().find(id).orElseThrow()) {
      assertArrayEquals(secret.getBytes(StandardCharsets.US_ASCII), c.secret());
      assertEquals(AccessKey.Status.Active, c.key().status());
      assertFalse(c.toString().contains(secret));
    }

    d.call("UpdateAccessKey", "AccessKeyId", id, "Status", "Inactive");
    assertEquals("Inactive", d.call("ListAccessKeys").get("AccessKeyMetadata").get(0)
        .get("Status").asText());
    // The HTTPS door's lookup sees the change at once (its cache is invalidated).
    assertEquals(AccessKey.Status.Inactive,
        d.daemon.accessKeys().find(id).orElseThrow().key().status());

    d.fails("NoSuchEntity", "DeleteAccessKey", "AccessKeyId", id, "UserName", "bob");
    d.call("DeleteAccessKey", "AccessKeyId", id);
    assertEquals(0, d.call("ListAccessKeys").get("AccessKeyMetadata").size());
    assertTrue(d.daemon.accessKeys().find(id).isEmpty());
    d.fails("NoSuchEntity", "DeleteAccessKey", "AccessKeyId", id);
    d.fails("NoSuchEntity", "UpdateAccessKey", "AccessKeyId", id, "Status", "Active");
  }

  @Test
  void keys_surviveRestart_andSecretsStillUnwrap() throws IOException {
    JsonNode k = create("alice");
    d.restart();
    try (AccessKeyCredential c =
        d.daemon.accessKeys().find(k.get("AccessKeyId").asText()).orElseThrow()) {
      assertEquals(k.get("SecretAccessKey").asText(),
          new String(c.secret(), StandardCharsets.US_ASCII));
    }
  }

  @Test
  void twoKeysPerUser_asIam_thirdIsLimitExceeded() {
    create("alice");
    create("alice");
    d.fails("LimitExceeded", "CreateAccessKey", "UserName", "alice");
    create("bob");
  }

  @Test
  void list_pagesWithIamMarkerAndMaxItems_authenticatedMarker() {
    List<String> ids = new ArrayList<>();
    for (String u : List.of("a", "b", "c")) {
      ids.add(create(u).get("AccessKeyId").asText());
    }
    List<String> seen = new ArrayList<>();
    ObjectNode page = d.call("ListAccessKeys", "MaxItems", 2);
    assertTrue(page.get("IsTruncated").asBoolean());
    page.get("AccessKeyMetadata").forEach(m -> seen.add(m.get("AccessKeyId").asText()));
    String marker = page.get("Marker").asText();
    page = d.call("ListAccessKeys", "MaxItems", 2, "Marker", marker);
    assertFalse(page.get("IsTruncated").asBoolean());
    page.get("AccessKeyMetadata").forEach(m -> seen.add(m.get("AccessKeyId").asText()));
    assertEquals(ids.stream().sorted().toList(), seen);
    d.fails("InvalidMarkerException", "ListAccessKeys", "Marker", marker + "x");
    d.fails("InvalidMarkerException", "ListAccessKeys", "Marker", marker, "UserName", "a");
  }

  @Test
  void badInput_validationException() {
    d.fails("ValidationException", "CreateAccessKey");
    d.fails("ValidationException", "CreateAccessKey", "UserName", "no spaces");
    d.fails("ValidationException", "CreateAccessKey", "UserName", "x".repeat(129));
    d.fails("ValidationException", "UpdateAccessKey", "AccessKeyId", "AKIAAAAAAAAAAAAAAAAA",
        "Status", "Expired");
    d.fails("ValidationException", "DeleteAccessKey", "AccessKeyId", "short");
    d.fails("ValidationException", "ListAccessKeys", "MaxItems", 0);
  }

  @Test
  void nonAdministrator_accessDenied_forEveryOperation() throws IOException {
    try (TestDaemon other = new TestDaemon(c -> c.withAccess(new DaemonConfig.Access(
        List.of("user/coffer-nobody"), List.of("user/" + System.getProperty("user.name")),
        "rw-------", null)))) {
      other.fails("AccessDeniedException", "CreateAccessKey", "UserName", "alice");
      other.fails("AccessDeniedException", "ListAccessKeys");
      other.fails("AccessDeniedException", "UpdateAccessKey", "AccessKeyId",
          "AKIAAAAAAAAAAAAAAAAA", "Status", "Inactive");
      other.fails("AccessDeniedException", "DeleteAccessKey", "AccessKeyId",
          "AKIAAAAAAAAAAAAAAAAA");
    }
  }

  @Test
  void socketOnly_anIamUserIsRefusedEvenAsAdministrator() throws IOException {
    try (TestDaemon other = new TestDaemon(c -> c.withAccess(new DaemonConfig.Access(
        List.of("iam-user/ops"), List.of("iam-user/ops"), "rw-------", null)))) {
      for (String op : List.of("CreateAccessKey", "ListAccessKeys", "UpdateAccessKey",
          "DeleteAccessKey")) {
        assertTrue(isSocketOnly(other, op), op);
      }
      assertFalse(isSocketOnly(other, "Encrypt"));
      IamUser ops = new IamUser("aws", "000000000000", "ops", "AKIAAAAAAAAAAAAAAAAA");
      RequestPipeline.Answer a = other.daemon.pipeline().handle(new Caller(ops), 1,
          "{\"Operation\":\"CreateAccessKey\",\"Input\":{\"UserName\":\"ops\"}}"
              .getBytes(StandardCharsets.UTF_8), null);
      assertTrue(a.error());
      assertEquals("AccessDeniedException", Json.parseObject(a.body()).get("__type").asText());
    }
  }

  private static boolean isSocketOnly(TestDaemon t, String op) {
    return t.daemon.operationTable().isSocketOnly(op);
  }

  @Test
  void secret_neverInTheDatabaseFilesNorTheAuditLog() throws IOException {
    JsonNode k = create("alice");
    String id = k.get("AccessKeyId").asText();
    byte[] secret = k.get("SecretAccessKey").asText().getBytes(StandardCharsets.US_ASCII);
    d.call("UpdateAccessKey", "AccessKeyId", id, "Status", "Inactive");
    d.call("ListAccessKeys");
    d.restart(); // flushes everything to the files
    int auditFiles = 0;
    boolean idAudited = false;
    try (Stream<Path> files = Files.walk(d.home)) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        byte[] content = Files.readAllBytes(f);
        assertFalse(contains(content, secret), "secret in plaintext in " + f);
        if (f.startsWith(d.home.resolve("audit"))) {
          auditFiles++;
          idAudited |= contains(content, id.getBytes(StandardCharsets.US_ASCII));
        }
      }
    }
    assertTrue(auditFiles > 0);
    assertTrue(idAudited, "the access key id is audited");
  }

  private static boolean contains(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }

  /** A secret is bound to its key id and user: a row edited to another user stops working. */
  @Test
  void wrappedSecret_movedToAnotherUser_doesNotUnwrap() throws Exception {
    String id = create("alice").get("AccessKeyId").asText();
    d.client.close();
    d.daemon.close();
    try (Database db = Database.open(d.home.resolve("coffer.db"))) {
      db.inTransaction(tx -> {
        try (var p = tx.connection().prepareStatement(
            "UPDATE access_keys SET user_name = 'mallory' WHERE access_key_id = ?")) {
          p.setString(1, id);
          return p.executeUpdate();
        }
      });
    }
    d.start();
    StorageException e = assertThrows(StorageException.class,
        () -> d.daemon.accessKeys().find(id));
    assertTrue(e.getMessage().contains(id), e.getMessage());
  }

  @Test
  void find_unknownOrMalformedIds_empty() {
    Optional<AccessKeyCredential> none = d.daemon.accessKeys().find("AKIAAAAAAAAAAAAAAAAA");
    assertTrue(none.isEmpty());
    assertTrue(d.daemon.accessKeys().find("").isEmpty());
    assertTrue(d.daemon.accessKeys().find("A".repeat(500)).isEmpty());
  }
}
