package dev.coffer.daemon.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import static dev.coffer.daemon.TestDaemon.bytes;

import dev.coffer.daemon.TestDaemon;
import dev.coffer.daemon.config.DaemonConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Key policies and grants through the real socket. The test process's user (root) is made an
 * ordinary key creator, not an administrator, so that policies decide what it may do.
 */
class PolicyAndGrantOperationsTest {

  private static final String ME = "arn:coffer:iam::000000000000:user/"
      + System.getProperty("user.name");
  private static final byte[] DATA = "policy".getBytes(StandardCharsets.UTF_8);
  private TestDaemon d;

  @BeforeEach
  void start() throws Exception {
    d = new TestDaemon(c -> c.withAccess(new DaemonConfig.Access(List.of("user/coffer-nobody"),
        List.of("user/" + System.getProperty("user.name")), "rw-------", null)));
  }

  @AfterEach
  void stop() throws Exception {
    d.close();
  }

  private static String policy(String... statements) {
    return "{\"Version\":\"2012-10-17\",\"Statement\":[" + String.join(",", statements) + "]}";
  }

  private static String stmt(String effect, String principal, String actions, String condition) {
    return "{\"Effect\":\"" + effect + "\",\"Principal\":{\"AWS\":\"" + principal + "\"},"
        + "\"Action\":" + actions + ",\"Resource\":\"*\""
        + (condition == null ? "" : ",\"Condition\":" + condition) + "}";
  }

  private String createKey(String policy, boolean bypass) {
    return d.call("CreateKey", "Policy", policy, "BypassPolicyLockoutSafetyCheck", bypass)
        .get("KeyMetadata").get("KeyId").asText();
  }


  @Test
  void defaultPolicy_creatorWhoIsNoAdministrator_cannotUseOrManageIt() {
    String key = d.createKey();
    d.fails("AccessDeniedException", "Encrypt", "KeyId", key, "Plaintext", DATA);
    d.fails("AccessDeniedException", "DescribeKey", "KeyId", key);
    d.fails("AccessDeniedException", "ScheduleKeyDeletion", "KeyId", key);
    String policy = d.fails("AccessDeniedException", "GetKeyPolicy", "KeyId", key).getMessage();
    assertTrue(policy.contains("kms:GetKeyPolicy") && policy.contains(ME), policy);
  }

  @Test
  void managerPolicy_manageWithoutUse() {
    String key = createKey(policy(stmt("Allow", ME, "[\"kms:Describe*\",\"kms:Put*\","
        + "\"kms:Get*\",\"kms:Enable*\",\"kms:Disable*\",\"kms:ScheduleKeyDeletion\","
        + "\"kms:CancelKeyDeletion\",\"kms:TagResource\",\"kms:CreateAlias\"]", null)), false);
    d.call("DisableKey", "KeyId", key);
    d.call("EnableKey", "KeyId", key);
    d.call("CreateAlias", "AliasName", "alias/managed", "TargetKeyId", key);
    assertEquals("Enabled", d.call("DescribeKey", "KeyId", "alias/managed").get("KeyMetadata")
        .get("KeyState").asText());
    d.fails("AccessDeniedException", "Encrypt", "KeyId", key, "Plaintext", DATA);
    d.fails("AccessDeniedException", "GenerateDataKey", "KeyId", key, "KeySpec", "AES_256");
  }

  @Test
  void userPolicy_useWithoutManage() {
    String key = createKey(policy(stmt("Allow", ME, "[\"kms:Encrypt\",\"kms:Decrypt\","
        + "\"kms:GenerateDataKey*\"]", null)), true);
    byte[] blob = bytes(d.call("Encrypt", "KeyId", key, "Plaintext", DATA).get("CiphertextBlob"));
    assertArrayEquals(DATA, bytes(d.call("Decrypt", "CiphertextBlob", blob).get("Plaintext")));
    d.fails("AccessDeniedException", "DisableKey", "KeyId", key);
    d.fails("AccessDeniedException", "ScheduleKeyDeletion", "KeyId", key);
    d.fails("AccessDeniedException", "PutKeyPolicy", "KeyId", key, "Policy", "{}");
  }

  @Test
  void lockoutSafetyCheck_refusesPolicyThatLocksCallerOut_unlessBypassed() {
    String useOnly = policy(stmt("Allow", ME, "\"kms:Encrypt\"", null));
    String msg = d.fails("MalformedPolicyDocumentException", "CreateKey", "Policy", useOnly)
        .getMessage();
    assertTrue(msg.contains("BypassPolicyLockoutSafetyCheck"), msg);
    assertEquals(0, d.call("ListKeys").get("Keys").size());
    String key = createKey(policy(stmt("Allow", ME, "\"kms:*\"", null)), false);
    d.fails("MalformedPolicyDocumentException", "PutKeyPolicy", "KeyId", key, "Policy", useOnly);
    d.call("PutKeyPolicy", "KeyId", key, "Policy", useOnly, "BypassPolicyLockoutSafetyCheck", true);
    d.fails("AccessDeniedException", "PutKeyPolicy", "KeyId", key, "Policy",
        policy(stmt("Allow", ME, "\"kms:*\"", null)));
  }

  @Test
  void putGetListKeyPolicies_roundTrip() {
    String key = createKey(policy(stmt("Allow", ME, "\"kms:*\"", null)), false);
    String next = policy(stmt("Allow", ME, "\"kms:*\"", null),
        stmt("Deny", ME, "\"kms:Decrypt\"", null));
    d.call("PutKeyPolicy", "KeyId", key, "PolicyName", "default", "Policy", next);
    assertEquals(next, d.call("GetKeyPolicy", "KeyId", key).get("Policy").asText());
    assertEquals("default", d.call("ListKeyPolicies", "KeyId", key).get("PolicyNames").get(0)
        .asText());
    d.fails("NotFoundException", "GetKeyPolicy", "KeyId", key, "PolicyName", "other");
    byte[] blob = bytes(d.call("Encrypt", "KeyId", key, "Plaintext", DATA).get("CiphertextBlob"));
    d.fails("AccessDeniedException", "Decrypt", "CiphertextBlob", blob);
  }

  @Test
  void policyChange_takesEffectOnNextRequest_afterRestartToo() throws Exception {
    String key = createKey(policy(stmt("Allow", ME, "\"kms:*\"", null)), false);
    d.call("Encrypt", "KeyId", key, "Plaintext", DATA);
    d.call("PutKeyPolicy", "KeyId", key, "Policy", policy(stmt("Allow", ME, "\"kms:*\"", null),
        stmt("Deny", ME, "\"kms:Encrypt\"", null)));
    d.fails("AccessDeniedException", "Encrypt", "KeyId", key, "Plaintext", DATA);
    d.restart();
    d.fails("AccessDeniedException", "Encrypt", "KeyId", key, "Plaintext", DATA);
  }

  @Test
  void encryptionContextCondition_onlyMatchingContextAllowed() {
    String key = createKey(policy(stmt("Allow", ME, "[\"kms:PutKeyPolicy\",\"kms:Encrypt\"]", null),
        stmt("Allow", ME, "\"kms:Decrypt\"",
            "{\"StringEquals\":{\"kms:EncryptionContext:tenant\":\"acme\"}}")), false);
    byte[] acme = bytes(d.call("Encrypt", "KeyId", key, "Plaintext", DATA, "EncryptionContext",
        Map.of("tenant", "acme")).get("CiphertextBlob"));
    byte[] other = bytes(d.call("Encrypt", "KeyId", key, "Plaintext", DATA, "EncryptionContext",
        Map.of("tenant", "globex")).get("CiphertextBlob"));
    assertArrayEquals(DATA, bytes(d.call("Decrypt", "CiphertextBlob", acme, "EncryptionContext",
        Map.of("tenant", "acme")).get("Plaintext")));
    d.fails("AccessDeniedException", "Decrypt", "CiphertextBlob", other, "EncryptionContext",
        Map.of("tenant", "globex"));
  }

  /** Encrypts under {@code ctx}; true when allowed, false on AccessDeniedException. */
  private boolean encrypts(String key, Map<String, String> ctx) {
    try {
      d.call("Encrypt", "KeyId", key, "Plaintext", DATA, "EncryptionContext", ctx);
      return true;
    } catch (dev.coffer.protocol.KmsException e) {
      assertEquals("AccessDeniedException", e.errorType(), e.getMessage());
      return false;
    }
  }

  @Test
  void encryptionContextCondition_contextKeyMatchedIgnoringCase_deny() {
    // AWS: the context-key part of kms:EncryptionContext:<k> is not case-sensitive.
    String key = createKey(policy(stmt("Allow", ME, "\"kms:*\"", null),
        stmt("Deny", ME, "\"kms:Encrypt\"",
            "{\"StringEquals\":{\"kms:EncryptionContext:tenant\":\"evil\"}}")), false);
    assertTrue(encrypts(key, Map.of("tenant", "good")));
    assertTrue(encrypts(key, Map.of("tenant", "EVIL")));
    for (String k : List.of("tenant", "Tenant", "TENANT", "tEnAnT")) {
      assertEquals(false, encrypts(key, Map.of(k, "evil")), k);
    }
    // Several keys that differ only by case: the Deny applies when any of them matches.
    assertEquals(false, encrypts(key, Map.of("tenant", "good", "Tenant", "evil")));

    // A negated Deny ("only tenant=good"): an extra Tenant=evil must not slip past it.
    String only = createKey(policy(stmt("Allow", ME, "\"kms:*\"", null),
        stmt("Deny", ME, "\"kms:Encrypt\"",
            "{\"StringNotEquals\":{\"kms:EncryptionContext:tenant\":\"good\"}}")), false);
    assertTrue(encrypts(only, Map.of("TENANT", "good")));
    assertEquals(false, encrypts(only, Map.of("Tenant", "evil")));
    assertEquals(false, encrypts(only, Map.of("tenant", "good", "Tenant", "evil")));
  }

  @Test
  void encryptionContextCondition_contextKeyMatchedIgnoringCase_allowNeedsEveryValue() {
    String key = createKey(policy(stmt("Allow", ME, "\"kms:PutKeyPolicy\"", null),
        stmt("Allow", ME, "\"kms:Encrypt\"",
            "{\"StringEquals\":{\"kms:EncryptionContext:tenant\":\"acme\"}}")), true);
    assertTrue(encrypts(key, Map.of("tenant", "acme")));
    assertTrue(encrypts(key, Map.of("Tenant", "acme")));
    assertEquals(false, encrypts(key, Map.of("tenant", "ACME")));
    assertEquals(false, encrypts(key, Map.of("tenant", "acme", "Tenant", "globex")));
    assertTrue(encrypts(key, Map.of("tenant", "acme", "TENANT", "acme")));
  }

  @Test
  void grantConstraints_keysIgnoreCase_valuesExact() {
    // AWS API reference, GrantConstraints: keys are not case sensitive, values are.
    String key = grantKey();
    String subset = d.call("CreateGrant", "KeyId", key, "GranteePrincipal", ME,
        "Operations", List.of("Encrypt"),
        "Constraints", Map.of("EncryptionContextSubset", Map.of("tenant", "a"))).get("GrantId")
        .asText();
    assertTrue(encrypts(key, Map.of("TENANT", "a", "x", "y")));
    assertEquals(false, encrypts(key, Map.of("tenant", "A")));
    assertEquals(false, encrypts(key, Map.of("tenant", "a", "Tenant", "b")));
    d.call("RevokeGrant", "KeyId", key, "GrantId", subset);

    d.call("CreateGrant", "KeyId", key, "GranteePrincipal", ME, "Operations", List.of("Encrypt"),
        "Constraints", Map.of("EncryptionContextEquals", Map.of("tenant", "a")));
    assertTrue(encrypts(key, Map.of("Tenant", "a")));
    assertEquals(false, encrypts(key, Map.of("tenant", "A")));
    assertEquals(false, encrypts(key, Map.of("tenant", "a", "x", "y")));
    assertEquals(false, encrypts(key, Map.of("tenant", "a", "Tenant", "b")));
  }

  @Test
  void createKey_byNonCreator_accessDenied() throws Exception {
    try (TestDaemon locked = new TestDaemon(c -> c.withAccess(new DaemonConfig.Access(
        List.of("user/coffer-nobody"), List.of("user/coffer-nobody"), "rw-------", null)))) {
      locked.fails("AccessDeniedException", "CreateKey");
      locked.call("GenerateRandom", "NumberOfBytes", 8);
      locked.call("ListKeys");
    }
  }

  private String grantKey() {
    return createKey(policy(stmt("Allow", ME, "[\"kms:PutKeyPolicy\",\"kms:CreateGrant\","
        + "\"kms:ListGrants\",\"kms:RevokeGrant\",\"kms:DescribeKey\"]", null)), false);
  }

  @Test
  void grant_allowsOperationsWithinConstraints_untilRetired() {
    String key = grantKey();
    d.fails("AccessDeniedException", "Encrypt", "KeyId", key, "Plaintext", DATA);
    JsonNode g = d.call("CreateGrant", "KeyId", key, "GranteePrincipal", ME,
        "RetiringPrincipal", ME, "Operations", List.of("Encrypt", "Decrypt"),
        "Constraints", Map.of("EncryptionContextSubset", Map.of("tenant", "a")), "Name", "app");
    String token = g.get("GrantToken").asText();
    byte[] blob = bytes(d.call("Encrypt", "KeyId", key, "Plaintext", DATA, "EncryptionContext",
        Map.of("tenant", "a", "extra", "x"), "GrantTokens", List.of(token)).get("CiphertextBlob"));
    assertArrayEquals(DATA, bytes(d.call("Decrypt", "CiphertextBlob", blob, "EncryptionContext",
        Map.of("tenant", "a", "extra", "x")).get("Plaintext")));
    d.fails("AccessDeniedException", "Encrypt", "KeyId", key, "Plaintext", DATA,
        "EncryptionContext", Map.of("tenant", "b"));
    d.fails("AccessDeniedException", "GenerateDataKey", "KeyId", key, "KeySpec", "AES_256",
        "EncryptionContext", Map.of("tenant", "a"));

    JsonNode listed = d.call("ListGrants", "KeyId", key).get("Grants");
    assertEquals(1, listed.size());
    assertEquals(g.get("GrantId").asText(), listed.get(0).get("GrantId").asText());
    assertEquals("a", listed.get(0).get("Constraints").get("EncryptionContextSubset").get("tenant")
        .asText());
    assertEquals(1, d.call("ListRetirableGrants", "RetiringPrincipal", ME).get("Grants").size());

    d.call("RetireGrant", "GrantToken", token);
    d.fails("AccessDeniedException", "Encrypt", "KeyId", key, "Plaintext", DATA,
        "EncryptionContext", Map.of("tenant", "a"));
    d.fails("InvalidGrantTokenException", "Encrypt", "KeyId", key, "Plaintext", DATA,
        "GrantTokens", List.of(token));
    d.fails("InvalidGrantTokenException", "RetireGrant", "GrantToken", token);
  }

  @Test
  void revokeGrant_removesAccess_unknownGrant_notFound() {
    String key = grantKey();
    String id = d.call("CreateGrant", "KeyId", key, "GranteePrincipal", ME, "Operations",
        List.of("GenerateDataKey")).get("GrantId").asText();
    d.call("GenerateDataKey", "KeyId", key, "KeySpec", "AES_128");
    d.call("RevokeGrant", "KeyId", key, "GrantId", id);
    d.fails("AccessDeniedException", "GenerateDataKey", "KeyId", key, "KeySpec", "AES_128");
    d.fails("NotFoundException", "RevokeGrant", "KeyId", key, "GrantId", id);
    d.fails("InvalidGrantIdException", "RevokeGrant", "KeyId", key, "GrantId", "nope");
  }

  @Test
  void retireGrant_byNeitherRetiringPrincipalNorAllowedGrantee_accessDenied() {
    String key = grantKey();
    String token = d.call("CreateGrant", "KeyId", key, "GranteePrincipal", ME,
        "RetiringPrincipal", "arn:coffer:iam::000000000000:user/someone-else",
        "Operations", List.of("Encrypt")).get("GrantToken").asText();
    d.fails("AccessDeniedException", "RetireGrant", "GrantToken", token);
  }

  @Test
  void explicitDeny_overridesGrant() {
    String key = createKey(policy(stmt("Allow", ME, "[\"kms:PutKeyPolicy\",\"kms:CreateGrant\"]",
        null), stmt("Deny", ME, "\"kms:Encrypt\"", null)), false);
    d.call("CreateGrant", "KeyId", key, "GranteePrincipal", ME, "Operations", List.of("Encrypt"));
    d.fails("AccessDeniedException", "Encrypt", "KeyId", key, "Plaintext", DATA);
  }

  @Test
  void createGrant_badInput_validation() {
    String key = grantKey();
    d.fails("ValidationException", "CreateGrant", "KeyId", key, "GranteePrincipal", ME,
        "Operations", List.of("Sign"));
    d.fails("ValidationException", "CreateGrant", "KeyId", key, "GranteePrincipal", "*",
        "Operations", List.of("Encrypt"));
    d.fails("ValidationException", "CreateGrant", "KeyId", key, "GranteePrincipal", "bob",
        "Operations", List.of("Encrypt"));
    d.fails("ValidationException", "CreateGrant", "KeyId", key, "GranteePrincipal", ME);
  }

  @Test
  void grantHolderWithCreateGrant_cannotPassOnMoreThanItHolds() {
    String key = createKey(policy(stmt("Allow", ME, "[\"kms:PutKeyPolicy\",\"kms:CreateGrant\"]",
        null)), false);
    // Replace the policy so that CreateGrant now comes only from a grant.
    d.call("CreateGrant", "KeyId", key, "GranteePrincipal", ME,
        "Operations", List.of("CreateGrant", "Encrypt"));
    d.call("PutKeyPolicy", "KeyId", key, "Policy", policy(stmt("Allow", ME, "\"kms:PutKeyPolicy\"",
        null)));
    d.call("CreateGrant", "KeyId", key, "GranteePrincipal", ME, "Operations", List.of("Encrypt"));
    d.fails("AccessDeniedException", "CreateGrant", "KeyId", key, "GranteePrincipal", ME,
        "Operations", List.of("Decrypt"));
  }
}
