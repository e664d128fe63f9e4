package dev.coffer.daemon.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.daemon.identity.IamUser;
import dev.coffer.daemon.identity.RequestOrigin;
import dev.coffer.daemon.identity.UnixPeer;
import dev.coffer.protocol.Json;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The record builder's {@code userIdentity} and transport fields for each kind of caller. */
class AuditIdentityTest {

  private static final Instant T = Instant.parse("2026-01-02T03:04:05.678Z");
  private static final IamUser ALICE = new IamUser("aws", "111122223333", "alice",
      "AKIAIOSFODNN7EXAMPLE");
  private static final RequestOrigin TLS = new RequestOrigin("198.51.100.4",
      "aws-sdk-java/2.57.8", "TLSv1.2", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
      "kms.example:8443");

  private static ObjectNode record(AuditEvent e) {
    return AuditRecords.record(e, "us-east-1", "111122223333");
  }

  @Test
  void iamUser_cloudTrailIamUserIdentity_withTransportDetails() {
    ObjectNode in = Json.object().put("KeyId", "alias/app");
    ObjectNode r = record(new AuditEvent(T, "Encrypt", ALICE, 3, in, null, null, null,
        List.of(), false, true, null, false, TLS));
    assertEquals("IAMUser", r.at("/userIdentity/type").asText());
    assertEquals("alice", r.at("/userIdentity/principalId").asText());
    assertEquals("arn:aws:iam::111122223333:user/alice", r.at("/userIdentity/arn").asText());
    assertEquals("111122223333", r.at("/userIdentity/accountId").asText());
    assertEquals("AKIAIOSFODNN7EXAMPLE", r.at("/userIdentity/accessKeyId").asText());
    assertEquals("alice", r.at("/userIdentity/userName").asText());
    assertFalse(r.at("/userIdentity").has("uid"));
    assertEquals("198.51.100.4", r.get("sourceIPAddress").asText());
    assertEquals("aws-sdk-java/2.57.8", r.get("userAgent").asText());
    assertEquals("TLSv1.2", r.at("/tlsDetails/tlsVersion").asText());
    assertEquals("TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        r.at("/tlsDetails/cipherSuite").asText());
    assertEquals("kms.example:8443", r.at("/tlsDetails/clientProvidedHostHeader").asText());
    assertEquals("AwsApiCall", r.get("eventType").asText());
  }

  @Test
  void unixPeerWithSameName_staysAUnixUser_withoutTransportFields() {
    UnixPeer alice = new UnixPeer(1000, 1000, 9, "alice", Set.of("alice"));
    ObjectNode r = record(new AuditEvent(T, "Encrypt", alice, 3, Json.object(), null, null, null,
        List.of(), false, true));
    assertEquals("UnixUser", r.at("/userIdentity/type").asText());
    assertEquals("arn:coffer:iam::111122223333:user/alice", r.at("/userIdentity/arn").asText());
    assertFalse(r.has("sourceIPAddress"));
    assertFalse(r.has("tlsDetails"));
  }

  @Test
  void authenticationFailed_recordsTheClaimedKeyAndError_boundedText() {
    String huge = "x".repeat(100_000);
    RequestOrigin hostile = new RequestOrigin(huge, huge, huge, huge, huge);
    ObjectNode r = record(AuditEvent.authenticationFailed(T, "Encrypt", "AKIA" + huge, hostile,
        "InvalidSignatureException", "The request signature we calculated does not match"));
    assertEquals("Unknown", r.at("/userIdentity/type").asText());
    assertTrue(r.at("/userIdentity/accessKeyId").asText().startsWith("AKIAxxx"));
    assertTrue(r.at("/userIdentity/accessKeyId").asText().length() <= 600);
    assertEquals("InvalidSignatureException", r.get("errorCode").asText());
    assertEquals("Encrypt", r.get("eventName").asText());
    for (String f : List.of("sourceIPAddress", "userAgent")) {
      assertTrue(r.get(f).asText().length() <= 600, f);
    }
    assertTrue(r.at("/tlsDetails/cipherSuite").asText().length() <= 600);
    assertTrue(r.toString().length() < 40_000, "record is bounded");
    assertTrue(r.get("responseElements").isNull());

    ObjectNode none = record(AuditEvent.authenticationFailed(T, null, null, null,
        "MissingAuthenticationTokenException", "Missing Authentication Token"));
    assertEquals("Unknown", none.get("eventName").asText());
    assertFalse(none.at("/userIdentity").has("accessKeyId"));
  }

  @Test
  void createAccessKey_recordsTheKeyMetadata_neverTheSecret() {
    UnixPeer admin = new UnixPeer(0, 0, 1, "root", Set.of("root"));
    ObjectNode out = Json.object();
    out.putObject("AccessKey").put("UserName", "alice").put("AccessKeyId", "AKIAEXAMPLE0000000000")
        .put("Status", "Active").put("SecretAccessKey", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
        .put("CreateDate", 1.7e9);
    ObjectNode in = Json.object().put("UserName", "alice")
        .put("SecretAccessKey", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
    ObjectNode r = record(new AuditEvent(T, "CreateAccessKey", admin, 1, in, out, null, null,
        List.of(), true, false));
    assertFalse(r.toString().contains("wJalrXUtnFEMI"), r.toString());
    assertEquals("AKIAEXAMPLE0000000000", r.at("/responseElements/AccessKey/AccessKeyId")
        .asText());
    assertEquals("alice", r.at("/requestParameters/UserName").asText());
  }
}
