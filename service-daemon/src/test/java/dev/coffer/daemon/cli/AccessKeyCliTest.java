package dev.coffer.daemon.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.coffer.daemon.TestDaemon;
import dev.coffer.protocol.Json;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code coffer create-access-key} and friends print IAM's shapes, as {@code aws iam} does. */
class AccessKeyCliTest {

  private TestDaemon d;

  @BeforeEach
  void start() throws Exception {
    d = new TestDaemon();
  }

  @AfterEach
  void stop() throws Exception {
    d.close();
  }

  private record Run(int code, String out, String err) {
    JsonNode json() {
      return Json.parseObject(out.getBytes(StandardCharsets.UTF_8));
    }
  }

  private Run coffer(String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.add("--socket");
    all.add(d.daemon.socket().toString());
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = new CofferCli(new PrintWriter(out, true), new PrintWriter(err, true))
        .run(all.toArray(String[]::new));
    return new Run(code, out.toString(), err.toString());
  }

  @Test
  void accessKeyLifecycle_iamShapes() {
    Run created = coffer("create-access-key", "--user-name", "deploy");
    assertEquals(0, created.code(), created.err());
    JsonNode key = created.json().get("AccessKey");
    String id = key.get("AccessKeyId").asText();
    assertEquals("deploy", key.get("UserName").asText());
    assertEquals("Active", key.get("Status").asText());
    assertEquals(40, key.get("SecretAccessKey").asText().length());
    assertTrue(key.has("CreateDate"));

    Run listed = coffer("list-access-keys", "--user-name", "deploy");
    assertEquals(0, listed.code(), listed.err());
    assertEquals(id, listed.json().at("/AccessKeyMetadata/0/AccessKeyId").asText());
    assertFalse(listed.out().contains("SecretAccessKey"));
    assertFalse(listed.json().get("IsTruncated").asBoolean());

    Run updated = coffer("update-access-key", "--access-key-id", id, "--status", "Inactive");
    assertEquals(0, updated.code(), updated.err());
    assertEquals("Inactive",
        coffer("list-access-keys").json().at("/AccessKeyMetadata/0/Status").asText());

    Run deleted = coffer("delete-access-key", "--access-key-id", id);
    assertEquals(0, deleted.code(), deleted.err());
    assertEquals(0, coffer("list-access-keys").json().get("AccessKeyMetadata").size());

    Run again = coffer("delete-access-key", "--access-key-id", id);
    assertEquals(254, again.code());
    assertTrue(again.err().contains("NoSuchEntity"), again.err());
  }

  @Test
  void createAccessKey_withoutUserName_usageError() {
    Run r = coffer("create-access-key");
    assertEquals(252, r.code());
    assertTrue(r.err().contains("--user-name"), r.err());
  }
}
