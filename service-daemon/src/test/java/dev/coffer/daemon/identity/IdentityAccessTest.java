package dev.coffer.daemon.identity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.daemon.TestDaemon;
import dev.coffer.daemon.config.DaemonConfig;
import dev.coffer.daemon.ops.Caller;
import dev.coffer.daemon.ops.RequestPipeline;
import dev.coffer.protocol.Json;
import dev.coffer.protocol.KmsException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Unix peers and access-key (IAM) users in key policies, grants, conditions and audit, through
 * a real daemon: the administrator works on the socket, the identities under test call the same
 * request pipeline in-process, as the HTTPS door will.
 */
class IdentityAccessTest {

  private static final String ACCT = "000000000000";
  private static final String ADMIN_ROOT = "arn:aws:iam::" + ACCT + ":root";
  private static final IamUser IAM_ALICE = new IamUser("aws", ACCT, "alice",
      "AKIAIOSFODNN7EXAMPLE");
  private static final IamUser IAM_BOB = new IamUser("aws", ACCT, "bob", "AKIAI44QH8DHBEXAMPLE");
  private static final UnixPeer UNIX_ALICE = new UnixPeer(4242, 4242, 7, "alice",
      Set.of("alice", "staff"));
  private static final RequestOrigin ORIGIN = new RequestOrigin("192.0.2.7",
      "aws-cli/1.45.11 botocore/1.43.11", "TLSv1.3", "TLS_AES_256_GCM_SHA384", "kms.local:8443");
  private static final String PLAIN = "aGVsbG8="; // "hello"

  private TestDaemon d;

  @BeforeEach
  void start() throws IOException {
    d = new TestDaemon(); // the test's user administers it
  }

  @AfterEach
  void stop() throws IOException {
    d.close();
  }

  /** One request through the daemon's pipeline as {@code who}; AWS errors as KmsException. */
  private static JsonNode as(TestDaemon t, Identity who, String op, Object... kv) {
    ObjectNode in = Json.object();
    for (int i = 0; i < kv.length; i += 2) {
      in.set((String) kv[i], Json.MAPPER.valueToTree(kv[i + 1]));
    }
    ObjectNode body = Json.object();
    body.put("Operation", op);
    body.set("Input", in);
    RequestPipeline.Answer a = t.daemon.pipeline().handle(new Caller(who, ORIGIN), 1,
        Json.toBytes(body), null);
    ObjectNode out = Json.parseObject(a.body());
    if (a.error()) {
      throw new KmsException(out.get("__type").asText(), out.get("message").asText());
    }
    return out;
  }

  private JsonNode as(Identity who, String op, Object... kv) {
    return as(d, who, op, kv);
  }

  private void denied(Identity who, String op, Object... kv) {
    KmsException e = assertThrows(KmsException.class, () -> as(who, op, kv));
    assertEquals("AccessDeniedException", e.errorType(), e.getMessage());
  }

  private static String policy(String... statements) {
    return "{\"Version\":\"2012-10-17\",\"Statement\":[" + String.join(",", statements) + "]}";
  }

  private static String allow(String principal, String actions, String condition) {
    return "{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"" + principal + "\"},\"Action\":"
        + actions + ",\"Resource\":\"*\""
        + (condition == null ? "" : ",\"Condition\":" + condition) + "}";
  }

  private String keyWith(String... statements) {
    return d.call("CreateKey", "Policy", policy(statements)).get("KeyMetadata").get("KeyId")
        .asText();
  }

  @Test
  void policyNamingIamUser_authorisesThatIamUser_neverTheUnixUserOfTheSameName() {
    String key = keyWith(allow(ADMIN_ROOT, "\"kms:*\"", null),
        allow("arn:aws:iam::" + ACCT + ":user/alice", "[\"kms:Encrypt\",\"kms:Decrypt\"]", null));
    JsonNode enc = as(IAM_ALICE, "Encrypt", "KeyId", key, "Plaintext", PLAIN);
    assertEquals("arn:aws:kms:local:" + ACCT + ":key/" + key, enc.get("KeyId").asText());
    assertEquals(PLAIN, as(IAM_ALICE, "Decrypt", "CiphertextBlob",
        enc.get("CiphertextBlob").asText()).get("Plaintext").asText());
    denied(UNIX_ALICE, "Encrypt", "KeyId", key, "Plaintext", PLAIN);
    denied(IAM_BOB, "Encrypt", "KeyId", key, "Plaintext", PLAIN);
    denied(IAM_ALICE, "DisableKey", "KeyId", key);
  }

  @Test
  void policyNamingUnixUserOrGroup_authorisesThatUnixPeer_neverTheIamUserOfTheSameName() {
    String key = keyWith(allow(ADMIN_ROOT, "\"kms:*\"", null),
        allow("arn:coffer:iam::" + ACCT + ":user/alice", "\"kms:Encrypt\"", null),
        allow("arn:coffer:iam::" + ACCT + ":group/bob", "\"kms:Encrypt\"", null));
    as(UNIX_ALICE, "Encrypt", "KeyId", key, "Plaintext", PLAIN);
    denied(IAM_ALICE, "Encrypt", "KeyId", key, "Plaintext", PLAIN);
    denied(IAM_BOB, "Encrypt", "KeyId", key, "Plaintext", PLAIN);
  }

  @Test
  void grantToIamUser_authorisesIt_notTheUnixPeer_andViceVersa() {
    String key = d.createKey();
    d.call("CreateGrant", "KeyId", key, "GranteePrincipal", "arn:aws:iam::" + ACCT
        + ":user/alice", "RetiringPrincipal", "arn:aws:iam::" + ACCT + ":user/bob",
        "Operations", List.of("Encrypt"));
    as(IAM_ALICE, "Encrypt", "KeyId", key, "Plaintext", PLAIN);
    denied(UNIX_ALICE, "Encrypt", "KeyId", key, "Plaintext", PLAIN);

    String other = d.createKey();
    d.call("CreateGrant", "KeyId", other, "GranteePrincipal", "arn:coffer:iam::" + ACCT
        + ":user/alice", "Operations", List.of("Encrypt"));
    as(UNIX_ALICE, "Encrypt", "KeyId", other, "Plaintext", PLAIN);
    denied(IAM_ALICE, "Encrypt", "KeyId", other, "Plaintext", PLAIN);

    // The IAM user named as retiring principal lists and retires the grant; alice may not.
    JsonNode retirable = as(IAM_BOB, "ListRetirableGrants", "RetiringPrincipal",
        "arn:aws:iam::" + ACCT + ":user/bob");
    String grantId = retirable.get("Grants").get(0).get("GrantId").asText();
    assertEquals("arn:aws:iam::" + ACCT + ":root",
        retirable.get("Grants").get(0).get("IssuingAccount").asText());
    denied(IAM_ALICE, "RetireGrant", "KeyId", key, "GrantId", grantId);
    as(IAM_BOB, "RetireGrant", "KeyId", key, "GrantId", grantId);
    denied(IAM_ALICE, "Encrypt", "KeyId", key, "Plaintext", PLAIN);
  }

  /** The default key policy as the AWS documentation prints it, for its example account. */
  private static final String AWS_DOCS_DEFAULT_POLICY = "{\n"
      + "  \"Version\": \"2012-10-17\",\n"
      + "  \"Id\": \"key-default-1\",\n"
      + "  \"Statement\": [\n"
      + "    {\n"
      + "      \"Sid\": \"Enable IAM User Permissions\",\n"
      + "      \"Effect\": \"Allow\",\n"
      + "      \"Principal\": {\"AWS\": \"arn:aws:iam::111122223333:root\"},\n"
      + "      \"Action\": \"kms:*\",\n"
      + "      \"Resource\": \"*\"\n"
      + "    }\n"
      + "  ]\n"
      + "}";

  @Test
  void awsDocsPolicies_accountRootArnAndBareAccount_acceptedAndMeanTheAdministrators()
      throws IOException {
    try (TestDaemon aws = new TestDaemon(c -> c.withArnParts("aws", "us-east-1",
        "111122223333"))) {
      String key = aws.call("CreateKey", "Policy", AWS_DOCS_DEFAULT_POLICY).get("KeyMetadata")
          .get("KeyId").asText();
      aws.call("DisableKey", "KeyId", key);
      aws.call("EnableKey", "KeyId", key);
      String bare = AWS_DOCS_DEFAULT_POLICY.replace("arn:aws:iam::111122223333:root",
          "111122223333");
      aws.call("PutKeyPolicy", "KeyId", key, "PolicyName", "default", "Policy", bare);
      aws.call("Encrypt", "KeyId", key, "Plaintext", new byte[] {1});
      // The account root is the administrators, not every IAM user of the account.
      IamUser alice = new IamUser("aws", "111122223333", "alice", "AKIAIOSFODNN7EXAMPLE");
      KmsException e = assertThrows(KmsException.class,
          () -> as(aws, alice, "Encrypt", "KeyId", key, "Plaintext", PLAIN));
      assertEquals("AccessDeniedException", e.errorType());
      assertTrue(e.getMessage().contains("arn:aws:iam::111122223333:user/alice"),
          e.getMessage());
      aws.fails("MalformedPolicyDocumentException", "PutKeyPolicy", "KeyId", key,
          "PolicyName", "default", "Policy", AWS_DOCS_DEFAULT_POLICY.replace("111122223333",
              "444455556666"));
    }
  }

  @Test
  void administratorsMayBeIamUsers_rootThenMatchesThem() throws IOException {
    String me = System.getProperty("user.name");
    try (TestDaemon t = new TestDaemon(c -> c.withAccess(new DaemonConfig.Access(
        List.of("user/" + me, "iam-user/alice"), List.of("user/" + me, "iam-user/alice"),
        "rw-------", null)))) {
      String key = as(t, IAM_ALICE, "CreateKey").get("KeyMetadata").get("KeyId").asText();
      as(t, IAM_ALICE, "Encrypt", "KeyId", key, "Plaintext", PLAIN);
      KmsException e = assertThrows(KmsException.class,
          () -> as(t, UNIX_ALICE, "Encrypt", "KeyId", key, "Plaintext", PLAIN));
      assertEquals("AccessDeniedException", e.errorType());
      e = assertThrows(KmsException.class, () -> as(t, IAM_BOB, "CreateKey"));
      assertEquals("AccessDeniedException", e.errorType());
    }
  }

  @Test
  void policiesWithTodaysCofferRoot_keepWorking() {
    String key = keyWith(allow("arn:coffer:iam::" + ACCT + ":root", "\"kms:*\"", null));
    d.call("DisableKey", "KeyId", key);
    d.call("EnableKey", "KeyId", key);
    denied(IAM_ALICE, "Encrypt", "KeyId", key, "Plaintext", PLAIN);
  }

  @Test
  void conditions_callerAccountAndPrincipalArn_forIamUsers_unixKeysNeverMatchThem() {
    String key = keyWith(allow(ADMIN_ROOT, "\"kms:*\"", null),
        allow("arn:aws:iam::" + ACCT + ":user/alice", "\"kms:Encrypt\"",
            "{\"StringEquals\":{\"kms:CallerAccount\":\"" + ACCT + "\","
                + "\"aws:PrincipalArn\":\"arn:aws:iam::" + ACCT + ":user/alice\"}}"),
        allow("arn:aws:iam::" + ACCT + ":user/bob", "\"kms:Encrypt\"",
            "{\"StringEquals\":{\"kms:CallerAccount\":\"111111111111\"}}"),
        allow("*", "\"kms:Decrypt\"", "{\"StringEquals\":{\"coffer:PeerUser\":\"alice\"}}"));
    JsonNode enc = as(IAM_ALICE, "Encrypt", "KeyId", key, "Plaintext", PLAIN);
    denied(IAM_BOB, "Encrypt", "KeyId", key, "Plaintext", PLAIN);
    as(UNIX_ALICE, "Decrypt", "CiphertextBlob", enc.get("CiphertextBlob").asText());
    denied(IAM_ALICE, "Decrypt", "CiphertextBlob", enc.get("CiphertextBlob").asText());
  }

  @Test
  void auditRecordOfIamUserRequest_carriesCloudTrailIdentityAndTransport() throws IOException {
    String key = keyWith(allow(ADMIN_ROOT, "\"kms:*\"", null),
        allow("arn:aws:iam::" + ACCT + ":user/alice", "\"kms:*\"", null));
    as(IAM_ALICE, "Encrypt", "KeyId", key, "Plaintext", PLAIN);
    as(IAM_ALICE, "DisableKey", "KeyId", key);
    d.restart(); // flushes the batched data events
    for (String event : List.of("Encrypt", "DisableKey")) {
      ObjectNode r = auditRecord(event, "\"IAMUser\"");
      assertEquals("IAMUser", r.at("/userIdentity/type").asText());
      assertEquals("arn:aws:iam::" + ACCT + ":user/alice", r.at("/userIdentity/arn").asText());
      assertEquals("alice", r.at("/userIdentity/userName").asText());
      assertEquals(ACCT, r.at("/userIdentity/accountId").asText());
      assertEquals("AKIAIOSFODNN7EXAMPLE", r.at("/userIdentity/accessKeyId").asText());
      assertEquals("192.0.2.7", r.get("sourceIPAddress").asText());
      assertEquals(ORIGIN.userAgent(), r.get("userAgent").asText());
      assertEquals("TLSv1.3", r.at("/tlsDetails/tlsVersion").asText());
      assertEquals("TLS_AES_256_GCM_SHA384", r.at("/tlsDetails/cipherSuite").asText());
      assertEquals("kms.local:8443", r.at("/tlsDetails/clientProvidedHostHeader").asText());
    }
  }

  /**
   * AWS JSON 1.1 (the HTTPS door) names a body it cannot read as JSON {@code
   * SerializationException}, as KMS does (aws-http-endpoint.md §1.3); the socket's own framing
   * keeps its documented {@code ValidationException}.
   */
  @Test
  void awsJsonBodyThatIsNotOneJsonObject_isSerializationException() {
    for (String body : List.of("not json", "[1, 2]", "{\"KeyId\": ", "\"alias/x\"")) {
      RequestPipeline.Answer a = d.daemon.pipeline().handle(new Caller(IAM_ALICE, ORIGIN), 1,
          "DescribeKey", body.getBytes(java.nio.charset.StandardCharsets.UTF_8));
      assertTrue(a.error(), body);
      assertEquals("SerializationException",
          Json.parseObject(a.body()).get("__type").asText(), body);
    }
  }

  /**
   * A key deactivated between its signature's verification and the request's run is refused
   * like any failed authentication, and audited like one (issue 15: failed authentication is
   * audited too).
   */
  @Test
  void keyDeactivatedAfterItsSignatureVerified_isRefusedAndAudited() throws IOException {
    String id = d.call("CreateAccessKey", "UserName", "carol").at("/AccessKey/AccessKeyId")
        .asText();
    d.call("UpdateAccessKey", "AccessKeyId", id, "Status", "Inactive");
    dev.coffer.daemon.http.PipelineHandler handler = new dev.coffer.daemon.http.PipelineHandler(
        d.daemon.pipeline(), new dev.coffer.daemon.http.StoredAccessKeys(
            d.daemon.accessKeys()), "aws", ACCT, e -> { }, d.clock, 4);
    String requestId = java.util.UUID.randomUUID().toString();
    dev.coffer.daemon.http.RequestContext context = new dev.coffer.daemon.http.RequestContext(
        requestId, "192.0.2.9", "ua", "TrentService.ListKeys", java.util.Optional.of("TLSv1.3"),
        java.util.Optional.of("TLS_AES_256_GCM_SHA384"), "kms.local:8443");
    KmsException e = assertThrows(KmsException.class, () -> handler.handle(
        new dev.coffer.daemon.http.AwsJsonRequest(context, "ListKeys", id, new byte[0])));
    assertEquals("UnrecognizedClientException", e.errorType());
    d.restart(); // flushes the batched record
    ObjectNode r = auditRecordWith("\"" + requestId + "\"");
    assertEquals("UnrecognizedClientException", r.get("errorCode").asText());
    assertEquals(id, r.at("/userIdentity/accessKeyId").asText());
    assertEquals("192.0.2.9", r.get("sourceIPAddress").asText());
  }

  @Test
  void failedAuthentication_answeredAndAudited_withTheClaimedKeyOnly() throws IOException {
    RequestPipeline.Answer a = d.daemon.pipeline().authenticationFailed("Decrypt",
        "AKIAUNKNOWNEXAMPLE00", ORIGIN, new KmsException("UnrecognizedClientException",
            "The security token included in the request is invalid."));
    assertTrue(a.error());
    assertEquals("UnrecognizedClientException", Json.parseObject(a.body()).get("__type")
        .asText());
    d.restart(); // flushes the batched record
    ObjectNode r = auditRecordWith("\"UnrecognizedClientException\"");
    assertEquals("Unknown", r.at("/userIdentity/type").asText());
    assertEquals("AKIAUNKNOWNEXAMPLE00", r.at("/userIdentity/accessKeyId").asText());
    assertEquals("Decrypt", r.get("eventName").asText());
    assertEquals("192.0.2.7", r.get("sourceIPAddress").asText());
    assertEquals("TLSv1.3", r.at("/tlsDetails/tlsVersion").asText());
  }

  private ObjectNode auditRecord(String eventName, String containing) throws IOException {
    return auditRecordWith("\"eventName\":\"" + eventName + "\"", containing);
  }

  private ObjectNode auditRecordWith(String... containing) throws IOException {
    try (Stream<Path> files = Files.walk(d.home.resolve("audit"))) {
      for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
        String text = new String(Files.readAllBytes(f), StandardCharsets.UTF_8);
        for (String line : text.split("\n")) {
          if (java.util.Arrays.stream(containing).allMatch(line::contains)) {
            return Json.parseObject(line.getBytes(StandardCharsets.UTF_8));
          }
        }
      }
    }
    throw new AssertionError("no record with " + String.join(", ", containing));
  }
}
