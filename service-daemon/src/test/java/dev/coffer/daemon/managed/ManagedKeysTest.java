package dev.coffer.daemon.managed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.daemon.TestDaemon;
import dev.coffer.daemon.audit.AuditLookup;
import dev.coffer.daemon.config.DaemonConfig;
import dev.coffer.protocol.Json;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Managed keys (alias/coffer/*) through the real socket: creation on first use and its rules. */
class ManagedKeysTest {

  private static final String ALIAS = "alias/coffer/orders";
  private static final String PLAINTEXT = Base64.getEncoder().encodeToString("hi".getBytes());

  private TestDaemon d;

  @BeforeEach
  void start() throws Exception {
    d = new TestDaemon();
  }

  @AfterEach
  void stop() throws Exception {
    if (d != null) {
      d.close();
    }
  }

  private String firstUse() {
    return d.call("Encrypt", "KeyId", ALIAS, "Plaintext", PLAINTEXT).get("KeyId").asText();
  }

  private String keyId(String arn) {
    return arn.substring(arn.indexOf("key/") + 4);
  }

  @Test
  void firstEncrypt_createsAwsManagedKeyWithAliasRotationAndFixedPolicy() {
    String arn = firstUse();
    JsonNode m = d.call("DescribeKey", "KeyId", ALIAS).get("KeyMetadata");
    assertEquals("AWS", m.get("KeyManager").asText());
    assertEquals(arn, m.get("Arn").asText());
    assertEquals("Enabled", m.get("KeyState").asText());
    JsonNode aliases = d.call("ListAliases").get("Aliases");
    assertEquals(ALIAS, aliases.get(0).get("AliasName").asText());
    assertEquals(keyId(arn), aliases.get(0).get("TargetKeyId").asText());
    JsonNode rotation = d.call("GetKeyRotationStatus", "KeyId", keyId(arn));
    assertTrue(rotation.get("KeyRotationEnabled").asBoolean());
    assertEquals(365, rotation.get("RotationPeriodInDays").asInt());
    String policy = d.call("GetKeyPolicy", "KeyId", keyId(arn), "PolicyName", "default")
        .get("Policy").asText();
    assertTrue(policy.contains("user/" + System.getProperty("user.name")), policy);
    assertTrue(!policy.contains("kms:*") && !policy.contains("PutKeyPolicy"), policy);
    // a second use finds the same key
    assertEquals(arn, firstUse());
    assertEquals(1, d.call("ListKeys").get("Keys").size());
  }

  @Test
  void everyAliasTakingOperation_createsOnFirstUse() {
    for (String op : List.of("DescribeKey", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext")) {
      String alias = "alias/coffer/" + op.toLowerCase();
      ObjectNode in = Json.object().put("KeyId", alias);
      if (op.startsWith("Generate")) {
        in.put("KeySpec", "AES_256");
      }
      d.call(op, in);
      assertEquals("AWS", d.call("DescribeKey", "KeyId", alias).get("KeyMetadata")
          .get("KeyManager").asText(), op);
    }
    String blob = d.call("Encrypt", "KeyId", ALIAS, "Plaintext", PLAINTEXT)
        .get("CiphertextBlob").asText();
    d.call("ReEncrypt", "CiphertextBlob", blob, "DestinationKeyId", "alias/coffer/dest");
    assertEquals("AWS", d.call("DescribeKey", "KeyId", "alias/coffer/dest")
        .get("KeyMetadata").get("KeyManager").asText());
    // as an alias ARN too
    d.call("DescribeKey", "KeyId", "arn:aws:kms:local:000000000000:alias/coffer/byarn");
    assertEquals(6, d.call("ListKeys").get("Keys").size());
  }

  @Test
  void decryptNamingAbsentManagedAlias_createsNothing() {
    String blob = d.call("Encrypt", "KeyId", d.createKey(), "Plaintext", PLAINTEXT)
        .get("CiphertextBlob").asText();
    d.fails("NotFoundException", "Decrypt", "CiphertextBlob", blob, "KeyId", "alias/coffer/x");
    assertEquals(1, d.call("ListKeys").get("Keys").size());
  }

  @Test
  void concurrentFirstUses_yieldOneKey() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<String>> arns = new ArrayList<>();
      for (int i = 0; i < 16; i++) {
        arns.add(pool.submit(() -> {
          try (var c = new dev.coffer.protocol.DaemonClient(d.daemon.socket(), 1,
              java.time.Duration.ofSeconds(20))) {
            return c.call("Encrypt", Json.object().put("KeyId", ALIAS).put("Plaintext",
                PLAINTEXT)).get("KeyId").asText();
          }
        }));
      }
      Set<String> distinct = new HashSet<>();
      for (Future<String> f : arns) {
        distinct.add(f.get());
      }
      assertEquals(1, distinct.size(), distinct.toString());
      assertEquals(1, d.call("ListKeys").get("Keys").size());
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void userChanges_refusedWithAwsExceptions_evenForAdministrators() throws Exception {
    String id = keyId(firstUse());
    String mine = d.createKey();
    d.call("CreateAlias", "AliasName", "alias/mine", "TargetKeyId", mine);
    String policy = d.call("GetKeyPolicy", "KeyId", id, "PolicyName", "default")
        .get("Policy").asText();
    d.fails("AccessDeniedException", "PutKeyPolicy", "KeyId", id, "PolicyName", "default",
        "Policy", policy);
    d.fails("AccessDeniedException", "ScheduleKeyDeletion", "KeyId", id);
    d.fails("AccessDeniedException", "DisableKey", "KeyId", id);
    d.fails("AccessDeniedException", "EnableKey", "KeyId", id);
    d.fails("AccessDeniedException", "DisableKeyRotation", "KeyId", id);
    d.fails("AccessDeniedException", "EnableKeyRotation", "KeyId", id);
    d.fails("AccessDeniedException", "RotateKeyOnDemand", "KeyId", id);
    d.fails("AccessDeniedException", "UpdateKeyDescription", "KeyId", id, "Description", "x");
    d.fails("AccessDeniedException", "TagResource", "KeyId", id,
        "Tags", List.of(Map.of("TagKey", "a", "TagValue", "b")));
    d.fails("AccessDeniedException", "CreateAlias", "AliasName", "alias/other",
        "TargetKeyId", id);
    d.fails("AccessDeniedException", "UpdateAlias", "AliasName", "alias/mine",
        "TargetKeyId", id);
    d.fails("AccessDeniedException", "DeleteAlias", "AliasName", ALIAS);
    d.fails("InvalidAliasNameException", "UpdateAlias", "AliasName", ALIAS, "TargetKeyId", mine);
    d.fails("InvalidAliasNameException", "CreateAlias", "AliasName", "alias/coffer/new",
        "TargetKeyId", mine);
    d.fails("InvalidAliasNameException", "CreateAlias", "AliasName", "alias/aws/s3",
        "TargetKeyId", mine);
    // ... and nothing changed, also after a restart
    d.restart();
    JsonNode m = d.call("DescribeKey", "KeyId", ALIAS).get("KeyMetadata");
    assertEquals("AWS", m.get("KeyManager").asText());
    assertEquals("Enabled", m.get("KeyState").asText());
    assertEquals(id, m.get("KeyId").asText());
    assertTrue(d.call("GetKeyRotationStatus", "KeyId", id).get("KeyRotationEnabled")
        .asBoolean());
    d.fails("AccessDeniedException", "ScheduleKeyDeletion", "KeyId", id);
    assertEquals(mine, d.call("DescribeKey", "KeyId", "alias/mine").get("KeyMetadata")
        .get("KeyId").asText());
  }

  @Test
  void rotatesEveryYear_byMaintenance() {
    String id = keyId(firstUse());
    d.clock.advance(java.time.Duration.ofDays(366));
    d.daemon.runMaintenance();
    JsonNode rotations = d.call("ListKeyRotations", "KeyId", id).get("Rotations");
    assertEquals(1, rotations.size(), rotations.toString());
    assertEquals("AUTOMATIC", rotations.get(0).get("RotationType").asText());
    d.call("Encrypt", "KeyId", ALIAS, "Plaintext", PLAINTEXT); // still managed, still usable
    assertEquals("AWS", d.call("DescribeKey", "KeyId", id).get("KeyMetadata")
        .get("KeyManager").asText());
  }

  @Test
  void administrators_grantUseToOthers() {
    String id = keyId(firstUse());
    JsonNode g = d.call("CreateGrant", "KeyId", id, "GranteePrincipal",
        "arn:aws:iam::000000000000:user/reporting", "Operations", List.of("Decrypt"));
    assertTrue(g.has("GrantId"));
    assertEquals(1, d.call("ListGrants", "KeyId", id).get("Grants").size());
  }

  /** One request through the daemon's pipeline as {@code who} (the HTTPS door's path). */
  private JsonNode as(dev.coffer.daemon.identity.Identity who, String op, Object... kv) {
    ObjectNode in = Json.object();
    for (int i = 0; i < kv.length; i += 2) {
      in.set((String) kv[i], Json.MAPPER.valueToTree(kv[i + 1]));
    }
    ObjectNode body = Json.object().put("Operation", op);
    body.set("Input", in);
    var a = d.daemon.pipeline().handle(new dev.coffer.daemon.ops.Caller(who), 1,
        Json.toBytes(body), null);
    ObjectNode out = Json.parseObject(a.body());
    if (a.error()) {
      throw new dev.coffer.protocol.KmsException(out.get("__type").asText(),
          out.get("message").asText());
    }
    return out;
  }

  private String deniedAs(dev.coffer.daemon.identity.Identity who, String op, Object... kv) {
    var e = org.junit.jupiter.api.Assertions.assertThrows(
        dev.coffer.protocol.KmsException.class, () -> as(who, op, kv));
    assertEquals("AccessDeniedException", e.errorType(), e.getMessage());
    return e.getMessage();
  }

  @Test
  void creatorUsesIt_othersNeedAnAdministratorsGrant() throws Exception {
    d.close();
    d = new TestDaemon(c -> c.withAccess(new DaemonConfig.Access(c.access().administrators(),
        List.of("iam-user/app"), "rw-------", null)));
    var app = new dev.coffer.daemon.identity.IamUser("aws", "000000000000", "app",
        "AKIAIOSFODNN7EXAMPLE");
    var reporting = new dev.coffer.daemon.identity.IamUser("aws", "000000000000", "reporting",
        "AKIAI44QH8DHBEXAMPLE");
    // reporting may not create keys: no key for it
    deniedOrNotFound(reporting);
    String arn = as(app, "Encrypt", "KeyId", ALIAS, "Plaintext", PLAINTEXT).get("KeyId")
        .asText();
    String blob = as(app, "Encrypt", "KeyId", ALIAS, "Plaintext", PLAINTEXT)
        .get("CiphertextBlob").asText();
    assertEquals(PLAINTEXT, as(app, "Decrypt", "CiphertextBlob", blob).get("Plaintext")
        .asText());
    deniedAs(app, "DisableKey", "KeyId", keyId(arn));
    deniedAs(app, "CreateGrant", "KeyId", keyId(arn), "GranteePrincipal",
        "arn:aws:iam::000000000000:user/reporting", "Operations", List.of("Decrypt"));
    deniedAs(reporting, "Decrypt", "CiphertextBlob", blob);
    // an administrator adds a principal with a grant
    d.call("CreateGrant", "KeyId", keyId(arn), "GranteePrincipal",
        "arn:aws:iam::000000000000:user/reporting", "Operations", List.of("Decrypt"));
    assertEquals(PLAINTEXT, as(reporting, "Decrypt", "CiphertextBlob", blob).get("Plaintext")
        .asText());
    deniedAs(reporting, "Encrypt", "KeyId", ALIAS, "Plaintext", PLAINTEXT);
  }

  private void deniedOrNotFound(dev.coffer.daemon.identity.Identity who) {
    var e = org.junit.jupiter.api.Assertions.assertThrows(
        dev.coffer.protocol.KmsException.class,
        () -> as(who, "Encrypt", "KeyId", ALIAS, "Plaintext", PLAINTEXT));
    assertEquals("NotFoundException", e.errorType(), e.getMessage());
    assertEquals(0, d.call("ListKeys").get("Keys").size());
  }

  @Test
  void callerWhoMayNotCreateKeys_getsNotFound_andNoKey() throws Exception {
    d.close();
    d = new TestDaemon(c -> c.withAccess(new DaemonConfig.Access(
        c.access().administrators(), List.of("user/root".equals("user/"
            + System.getProperty("user.name")) ? "user/nobody" : "user/root"),
        "rw-------", null)));
    d.fails("NotFoundException", "Encrypt", "KeyId", ALIAS, "Plaintext", PLAINTEXT);
    d.fails("NotFoundException", "DescribeKey", "KeyId", ALIAS);
    assertEquals(0, d.call("ListKeys").get("Keys").size());
    assertEquals(0, d.call("ListAliases").get("Aliases").size());
  }

  @Test
  void managedKeys_notCountedAgainstTheKeyQuota_butHaveOneOfTheirOwn() throws Exception {
    d.close();
    d = new TestDaemon(c -> c.withMaxKeys(2));
    d.createKey();
    d.createKey();
    firstUse();
    d.call("DescribeKey", "KeyId", "alias/coffer/second");
    assertEquals(4, d.call("ListKeys").get("Keys").size());
    d.fails("LimitExceededException", "CreateKey");
    // Any key creator names managed keys at will (a DescribeKey is enough): without a bound of
    // their own, they were a way around max-keys.
    String msg = d.fails("LimitExceededException", "DescribeKey", "KeyId", "alias/coffer/third")
        .getMessage();
    assertTrue(msg.contains("max-keys"), msg);
    assertEquals(4, d.call("ListKeys").get("Keys").size());
  }

  @Test
  void aliasWithoutAProperName_createsNothing() {
    for (String alias : List.of("alias/coffer/", "alias/coffer//x", "alias/coffer/x/",
        "alias/coffer/x//y")) {
      d.fails("NotFoundException", "DescribeKey", "KeyId", alias);
    }
    assertEquals(0, d.call("ListKeys").get("Keys").size());
    d.call("DescribeKey", "KeyId", "alias/coffer/team/app-1_x");
  }

  @Test
  void creation_isAuditedAsCreateKeyOfTheCaller() throws Exception {
    String arn = firstUse();
    d.restart(); // data events are written in batches; closing writes them
    List<ObjectNode> created = new ArrayList<>();
    new AuditLookup(arn, "CreateKey", null, null, null).run(d.home.resolve("audit"),
        line -> created.add(Json.parseObject(line.getBytes(StandardCharsets.UTF_8))));
    assertEquals(1, created.size(), created.toString());
    ObjectNode r = created.get(0);
    assertEquals(ALIAS, r.get("requestParameters").get("AliasName").asText(), r.toString());
    assertTrue(r.get("userIdentity").toString().contains(System.getProperty("user.name")),
        r.toString());
    // the Encrypt that caused it is audited as usual
    List<ObjectNode> used = new ArrayList<>();
    new AuditLookup(arn, "Encrypt", null, null, null).run(d.home.resolve("audit"),
        line -> used.add(Json.parseObject(line.getBytes(StandardCharsets.UTF_8))));
    assertEquals(1, used.size());
  }
}
