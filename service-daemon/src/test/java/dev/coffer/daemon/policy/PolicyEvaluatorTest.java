package dev.coffer.daemon.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coffer.daemon.identity.UnixPeer;
import dev.coffer.protocol.KmsException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Key policy grammar and evaluation, decided for peers built by hand. */
class PolicyEvaluatorTest {

  private static final String ACCT = "000000000000";
  private static final String KEY = "arn:coffer:local:" + ACCT + ":key/k1";
  private final Principals principals =
      new Principals("aws", ACCT, List.of("user/root", "group/kmsadm"));
  private final UnixPeer root = new UnixPeer(0, 0, 1, "root", Set.of("root"));
  private final UnixPeer alice = new UnixPeer(1001, 1001, 2, "alice", Set.of("alice", "devs"));
  private final UnixPeer bob = new UnixPeer(1002, 1002, 3, "bob", Set.of("bob", "kmsadm"));
  private final Instant now = Instant.parse("2026-06-01T00:00:00Z");

  private PolicyEvaluator.Decision decideWith(String policy, UnixPeer peer, String action,
      Map<String, String> ctx) {
    return new PolicyEvaluator(principals).decide(KeyPolicy.parse(policy, principals),
        new RequestContext(peer, action, KEY, ctx, now, Map.of()));
  }

  private static String allow(String principal, String actions, String condition) {
    return "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"s\",\"Effect\":\"Allow\","
        + "\"Principal\":{\"AWS\":\"" + principal + "\"},\"Action\":" + actions
        + ",\"Resource\":\"*\"" + (condition == null ? "" : ",\"Condition\":" + condition) + "}]}";
  }

  private String user(String name) {
    return "arn:coffer:iam::" + ACCT + ":user/" + name;
  }

  @Test
  void defaultPolicy_rootAndAdminGroupMembersAllowed_othersNot() {
    String dflt = KeyPolicy.defaultDocument(principals);
    assertEquals(PolicyEvaluator.Decision.ALLOW, decideWith(dflt, root, "kms:Encrypt", Map.of()));
    assertEquals(PolicyEvaluator.Decision.ALLOW, decideWith(dflt, bob, "kms:ScheduleKeyDeletion", Map.of()));
    assertEquals(PolicyEvaluator.Decision.NONE, decideWith(dflt, alice, "kms:Encrypt", Map.of()));
  }

  @Test
  void userPrincipal_onlyThatUser() {
    String p = allow(user("alice"), "\"kms:Encrypt\"", null);
    assertEquals(PolicyEvaluator.Decision.ALLOW, decideWith(p, alice, "kms:Encrypt", Map.of()));
    assertEquals(PolicyEvaluator.Decision.NONE, decideWith(p, bob, "kms:Encrypt", Map.of()));
  }

  @Test
  void groupPrincipal_supplementaryGroupCounts() {
    String p = allow("arn:coffer:iam::" + ACCT + ":group/devs", "\"kms:Decrypt\"", null);
    assertEquals(PolicyEvaluator.Decision.ALLOW, decideWith(p, alice, "kms:Decrypt", Map.of()));
    assertEquals(PolicyEvaluator.Decision.NONE, decideWith(p, bob, "kms:Decrypt", Map.of()));
  }

  @Test
  void actionWildcards_caseInsensitive_andNotAction() {
    String p = allow(user("alice"), "[\"kms:Describe*\",\"KMS:get*\"]", null);
    assertEquals(PolicyEvaluator.Decision.ALLOW, decideWith(p, alice, "kms:DescribeKey", Map.of()));
    assertEquals(PolicyEvaluator.Decision.ALLOW, decideWith(p, alice, "kms:GetKeyPolicy", Map.of()));
    assertEquals(PolicyEvaluator.Decision.NONE, decideWith(p, alice, "kms:Encrypt", Map.of()));
    String not = "{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":\"*\","
        + "\"NotAction\":[\"kms:Encrypt\",\"kms:Decrypt\"],\"Resource\":\"*\"}}";
    assertEquals(PolicyEvaluator.Decision.ALLOW, decideWith(not, bob, "kms:DisableKey", Map.of()));
    assertEquals(PolicyEvaluator.Decision.NONE, decideWith(not, bob, "kms:Decrypt", Map.of()));
  }

  @Test
  void explicitDeny_winsOverAllow() {
    String p = "{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"kms:*\","
        + "\"Resource\":\"*\"},{\"Effect\":\"Deny\",\"Principal\":{\"AWS\":\"" + user("alice")
        + "\"},\"Action\":\"kms:Decrypt\",\"Resource\":\"*\"}]}";
    assertEquals(PolicyEvaluator.Decision.DENY, decideWith(p, alice, "kms:Decrypt", Map.of()));
    assertEquals(PolicyEvaluator.Decision.ALLOW, decideWith(p, alice, "kms:Encrypt", Map.of()));
  }

  @Test
  void stringEqualsOnEncryptionContext_exactAndCaseSensitive() {
    String p = allow(user("alice"), "\"kms:Decrypt\"",
        "{\"StringEquals\":{\"kms:EncryptionContext:tenant\":\"acme\"}}");
    assertEquals(PolicyEvaluator.Decision.ALLOW, decideWith(p, alice, "kms:Decrypt", Map.of("tenant", "acme")));
    assertEquals(PolicyEvaluator.Decision.NONE, decideWith(p, alice, "kms:Decrypt", Map.of("tenant", "ACME")));
    assertEquals(PolicyEvaluator.Decision.NONE, decideWith(p, alice, "kms:Decrypt", Map.of()));
  }

  @Test
  void stringLike_andForAllValuesContextKeys() {
    String like = allow(user("alice"), "\"kms:Encrypt\"",
        "{\"StringLike\":{\"kms:EncryptionContext:path\":\"/orders/*\"}}");
    assertEquals(PolicyEvaluator.Decision.ALLOW, decideWith(like, alice, "kms:Encrypt", Map.of("path", "/orders/7")));
    assertEquals(PolicyEvaluator.Decision.NONE, decideWith(like, alice, "kms:Encrypt", Map.of("path", "/users/7")));
    String keys = allow(user("alice"), "\"kms:Encrypt\"",
        "{\"ForAllValues:StringEquals\":{\"kms:EncryptionContextKeys\":[\"tenant\",\"path\"]}}");
    assertEquals(PolicyEvaluator.Decision.ALLOW, decideWith(keys, alice, "kms:Encrypt", Map.of("tenant", "a")));
    assertEquals(PolicyEvaluator.Decision.NONE, decideWith(keys, alice, "kms:Encrypt", Map.of("other", "a")));
  }

  @Test
  void nullBoolDateAndPeerUid_conditions() {
    String mustHaveContext = allow(user("alice"), "\"kms:Encrypt\"",
        "{\"Null\":{\"kms:EncryptionContextKeys\":\"false\"}}");
    assertEquals(PolicyEvaluator.Decision.NONE, decideWith(mustHaveContext, alice, "kms:Encrypt", Map.of()));
    assertEquals(PolicyEvaluator.Decision.ALLOW, decideWith(mustHaveContext, alice, "kms:Encrypt", Map.of("a", "b")));
    String bool = allow(user("alice"), "\"kms:CreateGrant\"",
        "{\"Bool\":{\"kms:GrantIsForAWSResource\":\"false\"}}");
    assertEquals(PolicyEvaluator.Decision.ALLOW, decideWith(bool, alice, "kms:CreateGrant", Map.of()));
    String before = allow(user("alice"), "\"kms:Encrypt\"",
        "{\"DateLessThan\":{\"aws:CurrentTime\":\"2026-01-01T00:00:00Z\"}}");
    assertEquals(PolicyEvaluator.Decision.NONE, decideWith(before, alice, "kms:Encrypt", Map.of()));
    String uid = allow("*", "\"kms:Encrypt\"", "{\"StringEquals\":{\"coffer:PeerUid\":\"1002\"}}");
    assertEquals(PolicyEvaluator.Decision.ALLOW, decideWith(uid, bob, "kms:Encrypt", Map.of()));
    assertEquals(PolicyEvaluator.Decision.NONE, decideWith(uid, alice, "kms:Encrypt", Map.of()));
  }

  @Test
  void malformedPolicies_rejectedWithReason() {
    for (String bad : List.of("[]", "{}", "{\"Statement\":[]}",
        "{\"Statement\":{\"Effect\":\"Maybe\",\"Principal\":\"*\",\"Action\":\"kms:*\"}}",
        "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"kms:*\"}}",
        "{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:*\"}}",
        "{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::1:root\"},\"Action\":\"kms:*\"}}",
        "{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"kms:*\",\"Condition\":{\"StringSortOf\":{\"kms:CallerAccount\":\"1\"}}}}",
        "{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"kms:*\",\"Condition\":{\"StringEquals\":{\"aws:SourceIp\":\"1\"}}}}",
        "{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"kms:*\",\"Extra\":1}}")) {
      KmsException e = assertThrows(KmsException.class, () -> KeyPolicy.parse(bad, principals), bad);
      assertEquals("MalformedPolicyDocumentException", e.errorType(), bad);
    }
    KmsException big = assertThrows(KmsException.class,
        () -> KeyPolicy.parse("{\"Id\":\"" + "x".repeat(33_000) + "\"}", principals));
    assertEquals("LimitExceededException", big.errorType());
  }

  @Test
  void globMatching_edgeCases() {
    assertTrue(Glob.matches("a*b?c", "axxbyc"));
    assertTrue(Glob.matches("*", ""));
    assertTrue(!Glob.matches("a*b", "ac"));
    assertTrue(Glob.matchesIgnoreCase("KMS:GEN*", "kms:GenerateDataKey"));
  }
}
