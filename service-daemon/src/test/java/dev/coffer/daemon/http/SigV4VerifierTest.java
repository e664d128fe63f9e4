package dev.coffer.daemon.http;

import static dev.coffer.daemon.http.Signers.withBody;
import static dev.coffer.daemon.http.Signers.withHeader;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * {@link SigV4Verifier} against requests signed live by botocore and by the SDK v2 signer, and
 * every refusal: tampering, replay as another operation, skew, unknown/inactive keys, malformed
 * headers.
 */
class SigV4VerifierTest {

  static final String AKID = "AKIACOFFERTEST000001";
  static final String SECRET = "cofferTestSecretKey/0123456789abcdefABCDEF";
  static final String URL = "https://127.0.0.1:8443/";
  static final String BODY = "{\"KeyId\": \"alias/test\"}";

  private final List<AccessKeySecret> handedOut = new ArrayList<>();
  private AccessKeyStatus status = AccessKeyStatus.Active;

  private final AccessKeySecrets secrets = id -> {
    if (!id.equals(AKID)) {
      return Optional.empty();
    }
    AccessKeySecret s = AccessKeySecret.of(status, SECRET);
    handedOut.add(s);
    return Optional.of(s);
  };

  private SigV4Verifier verifier(Clock clock) {
    return new SigV4Verifier(clock, Set.of("us-east-1"), "kms", secrets);
  }

  private final SigV4Verifier verifier = verifier(Clock.systemUTC());

  static Map<String, String> kmsHeaders(String operation) {
    return Map.of("X-Amz-Target", "TrentService." + operation,
        "Content-Type", "application/x-amz-json-1.1");
  }

  static SignedRequest botocore(String operation) throws Exception {
    return Signers.botocore(URL, kmsHeaders(operation), BODY, AKID, SECRET, null, "us-east-1");
  }

  private AuthenticationException refused(String type, SignedRequest request) {
    return refused(type, verifier, request);
  }

  private static AuthenticationException refused(String type, SigV4Verifier v, SignedRequest r) {
    AuthenticationException e = assertThrows(AuthenticationException.class, () -> v.verify(r));
    assertEquals(type, e.errorType(), e.getMessage());
    return e;
  }

  @Test
  void botocoreRequestVerifiesAndTheSecretIsZeroedAfterwards() throws Exception {
    VerifiedSignature v = verifier.verify(botocore("DescribeKey"));
    assertEquals(AKID, v.accessKeyId());
    assertEquals("us-east-1", v.region());
    assertEquals(List.of("content-type", "host", "x-amz-date", "x-amz-target"), v.signedHeaders());
    assertTrue(v.stringToSign().startsWith("AWS4-HMAC-SHA256\n"));
    assertFalse(handedOut.isEmpty());
    for (AccessKeySecret s : handedOut) {
      assertArrayEquals(new byte[s.secretView().length], s.secretView());
    }
  }

  @Test
  void botocoreRequestWithEncodedPathAndSessionTokenVerifies() throws Exception {
    SignedRequest r = Signers.botocore("https://127.0.0.1:8443/a%20b/c", kmsHeaders("Encrypt"),
        BODY, AKID, SECRET, "session-token/abc+def==", "us-east-1");
    assertEquals("/a%20b/c", r.rawPath());
    VerifiedSignature v = verifier.verify(r);
    assertEquals(Optional.of("session-token/abc+def=="), v.sessionToken());
    assertTrue(v.canonicalRequest().startsWith("POST\n/a%2520b/c\n"), v.canonicalRequest());
  }

  /**
   * Both clients collapse every run of whitespace in a signed header value (tabs too) to one
   * space: botocore with {@code ' '.join(value.split())}, SDK v2 in its canonical request.
   */
  @Test
  void signedHeaderValuesWithTabsVerifyFromBothClients() throws Exception {
    Map<String, String> headers = new java.util.HashMap<>(kmsHeaders("DescribeKey"));
    headers.put("X-Amz-Meta-Note", "a\tb \t c");
    verifier.verify(Signers.botocore(URL, headers, BODY, AKID, SECRET, null, "us-east-1"));
    verifier.verify(Signers.sdkV2(URL, headers, BODY, AKID, SECRET, "us-east-1",
        Clock.systemUTC()));
  }

  @Test
  void sdkV2SignedRequestVerifies() {
    SignedRequest r = Signers.sdkV2(URL, kmsHeaders("DescribeKey"), BODY, AKID, SECRET,
        "us-east-1", Clock.systemUTC());
    VerifiedSignature v = verifier.verify(r);
    assertTrue(v.signedHeaders().contains("x-amz-content-sha256"), v.signedHeaders().toString());
  }

  @Test
  void sdkV2RequestWithEncodedPathVerifies() {
    SignedRequest r = Signers.sdkV2("https://localhost:8443/a%20b/%7Ex", kmsHeaders("Encrypt"),
        BODY, AKID, SECRET, "us-east-1", Clock.systemUTC());
    assertEquals(AKID, verifier.verify(r).accessKeyId());
  }

  @Test
  void replayAsAnotherOperationFails() throws Exception {
    SignedRequest describe = botocore("DescribeKey");
    refused("InvalidSignatureException",
        withHeader(describe, "X-Amz-Target", "TrentService.DisableKey"));
    SignedRequest sdk = Signers.sdkV2(URL, kmsHeaders("DescribeKey"), BODY, AKID, SECRET,
        "us-east-1", Clock.systemUTC());
    refused("InvalidSignatureException",
        withHeader(sdk, "X-Amz-Target", "TrentService.ScheduleKeyDeletion"));
  }

  @Test
  void tamperedBodyFails() throws Exception {
    refused("InvalidSignatureException", withBody(botocore("Encrypt"), "{\"KeyId\": \"alias/x\"}"));
    SignedRequest sdk = Signers.sdkV2(URL, kmsHeaders("Encrypt"), BODY, AKID, SECRET,
        "us-east-1", Clock.systemUTC());
    // SDK v2 signs x-amz-content-sha256: the declared hash no longer matches the body.
    refused("IncompleteSignatureException", withBody(sdk, "{\"KeyId\":\"alias/x\"}"));
  }

  @Test
  void tamperedHostOrDateFails() throws Exception {
    SignedRequest r = botocore("DescribeKey");
    refused("InvalidSignatureException", withHeader(r, "Host", "127.0.0.1:9443"));
    String date = r.headers().first("x-amz-date").orElseThrow();
    String other = date.substring(0, 13) + (date.charAt(13) == '0' ? '1' : '0') + date.substring(14);
    refused("InvalidSignatureException", withHeader(r, "X-Amz-Date", other));
  }

  @Test
  void wrongSecretFailsWithAwsWording() throws Exception {
    SignedRequest r = Signers.botocore(URL, kmsHeaders("DescribeKey"), BODY, AKID,
        "not-the-secret", null, "us-east-1");
    AuthenticationException e = refused("InvalidSignatureException", r);
    assertTrue(e.getMessage().startsWith("The request signature we calculated does not match "
        + "the signature you provided."), e.getMessage());
    assertEquals(Optional.of(AKID), e.claimedAccessKeyId());
    assertTrue(e.canonicalRequest().isPresent() && e.stringToSign().isPresent());
  }

  @Test
  void expiredAndFutureTimestampsFailWithAwsWording() throws Exception {
    SignedRequest r = botocore("DescribeKey");
    Clock later = Clock.offset(Clock.systemUTC(), Duration.ofMinutes(6));
    AuthenticationException expired = refused("InvalidSignatureException", verifier(later), r);
    assertTrue(expired.getMessage().matches(
        "Signature expired: \\d{8}T\\d{6}Z is now earlier than \\d{8}T\\d{6}Z "
            + "\\(\\d{8}T\\d{6}Z - 5 min\\.\\)"), expired.getMessage());
    Clock earlier = Clock.offset(Clock.systemUTC(), Duration.ofMinutes(-6));
    AuthenticationException future = refused("InvalidSignatureException", verifier(earlier), r);
    assertTrue(future.getMessage().startsWith("Signature not yet current: "), future.getMessage());
    // Within the window either way: accepted.
    verifier(Clock.offset(Clock.systemUTC(), Duration.ofMinutes(4))).verify(r);
    verifier(Clock.offset(Clock.systemUTC(), Duration.ofMinutes(-4))).verify(r);
  }

  @Test
  void unknownAndInactiveKeysAreUnrecognizedClients() throws Exception {
    SignedRequest unknown = Signers.botocore(URL, kmsHeaders("DescribeKey"), BODY,
        "AKIAUNKNOWN000000000", SECRET, null, "us-east-1");
    AuthenticationException e = refused("UnrecognizedClientException", unknown);
    assertEquals("The security token included in the request is invalid.", e.getMessage());
    status = AccessKeyStatus.Inactive;
    AuthenticationException inactive = refused("UnrecognizedClientException", botocore("DescribeKey"));
    assertEquals(e.getMessage(), inactive.getMessage());
  }

  @Test
  void wrongRegionOrServiceFails() throws Exception {
    SignedRequest r = Signers.botocore(URL, kmsHeaders("DescribeKey"), BODY, AKID, SECRET, null,
        "eu-west-1");
    refused("InvalidSignatureException", r);
    SigV4Verifier sts = new SigV4Verifier(Clock.systemUTC(), Set.of("us-east-1"), "sts", secrets);
    refused("InvalidSignatureException", sts, botocore("DescribeKey"));
  }

  @Test
  void missingOrMalformedAuthorizationIsRefused() throws Exception {
    SignedRequest r = botocore("DescribeKey");
    refused("MissingAuthenticationTokenException", withHeader(r, "Authorization", null));
    String auth = r.headers().first("authorization").orElseThrow();
    refused("IncompleteSignatureException", withHeader(r, "Authorization", "AWS AKID:abc"));
    refused("IncompleteSignatureException",
        withHeader(r, "Authorization", auth.replaceAll(", Signature=[0-9a-f]+", "")));
    refused("IncompleteSignatureException",
        withHeader(r, "Authorization", auth.replace("/aws4_request", "/aws5_request")));
    refused("IncompleteSignatureException",
        withHeader(r, "Authorization", auth.replace("content-type;host", "host;content-type")));
    refused("IncompleteSignatureException", withHeader(r, "X-Amz-Date", "yesterday"));
    refused("IncompleteSignatureException", withHeader(r, "X-Amz-Date", null));
  }

  @Test
  void requiredHeadersMustBeSigned() {
    // The target header added after signing: the signature does not cover the operation.
    SignedRequest r = Signers.sdkV2(URL, Map.of("Content-Type", "application/x-amz-json-1.1"),
        BODY, AKID, SECRET, "us-east-1", Clock.systemUTC());
    AuthenticationException e = refused("IncompleteSignatureException",
        withHeader(r, "X-Amz-Target", "TrentService.DisableKey"));
    assertTrue(e.getMessage().contains("x-amz-target"), e.getMessage());
  }

  @Test
  void unsignedPayloadAndUnsignedTokenAreRefused() throws Exception {
    SignedRequest sdk = Signers.sdkV2(URL, kmsHeaders("Encrypt"), BODY, AKID, SECRET,
        "us-east-1", Clock.systemUTC());
    refused("IncompleteSignatureException",
        withHeader(sdk, "x-amz-content-sha256", "UNSIGNED-PAYLOAD"));
    refused("IncompleteSignatureException",
        withHeader(botocore("Encrypt"), "X-Amz-Security-Token", "added-later"));
  }

  @Test
  void repeatedSignedHeadersAreRefused() throws Exception {
    SignedRequest r = botocore("DescribeKey");
    RequestHeaders.Builder b = RequestHeaders.builder();
    for (String n : r.headers().names()) {
      r.headers().all(n).forEach(v -> b.add(n, v));
    }
    b.add("X-Amz-Target", "TrentService.DisableKey");
    refused("IncompleteSignatureException",
        new SignedRequest(r.method(), r.rawPath(), r.rawQuery(), b.build(), r.body()));
  }

  @Test
  void aKeyDeactivatedAfterUseIsRefusedAtOnceDespiteTheSigningKeyCache() throws Exception {
    SignedRequest r = botocore("DescribeKey");
    verifier.verify(r);
    verifier.verify(r);
    status = AccessKeyStatus.Inactive;
    refused("UnrecognizedClientException", r);
    status = AccessKeyStatus.Active;
    verifier.forget(AKID);
    assertEquals(AKID, verifier.verify(r).accessKeyId());
  }

  @Test
  void aHeldSigningKeyNeedsOnlyTheStatus_notTheSecret() throws Exception {
    int[] unwrapped = {0};
    AccessKeySecrets store = new AccessKeySecrets() {
      @Override
      public Optional<AccessKeySecret> find(String id) {
        unwrapped[0]++;
        return secrets.find(id);
      }

      @Override
      public Optional<AccessKeyStatus> status(String id) {
        return id.equals(AKID) && status != null ? Optional.of(status) : Optional.empty();
      }
    };
    SigV4Verifier v = new SigV4Verifier(Clock.systemUTC(), Set.of("us-east-1"), "kms", store);
    SignedRequest r = botocore("DescribeKey");
    v.verify(r);
    v.verify(r);
    v.verify(botocore("Encrypt"));
    assertEquals(1, unwrapped[0], "the secret is unwrapped once per scope, not per request");
    // A wrong secret still fails against the held key; a deactivated or deleted key at once.
    refused("InvalidSignatureException", v, Signers.botocore(URL, kmsHeaders("DescribeKey"),
        BODY, AKID, "x" + SECRET.substring(1), null, "us-east-1"));
    status = AccessKeyStatus.Inactive;
    refused("UnrecognizedClientException", v, r);
    status = null;
    refused("UnrecognizedClientException", v, r);
  }

  @Test
  void anyConfiguredRegionIsAccepted() throws Exception {
    SigV4Verifier two = new SigV4Verifier(Clock.systemUTC(), Set.of("us-east-1", "eu-west-2"),
        "kms", secrets);
    SignedRequest r = Signers.botocore(URL, kmsHeaders("DescribeKey"), BODY, AKID, SECRET, null,
        "eu-west-2");
    assertEquals("eu-west-2", two.verify(r).region());
    AuthenticationException e = refused("InvalidSignatureException", r);
    assertTrue(e.getMessage().contains("us-east-1"), e.getMessage());
  }

  @Test
  void amzDate_isReadExactly_andImpossibleDatesAreRefused() {
    assertEquals(java.time.Instant.parse("2015-08-30T12:36:00Z"),
        SigV4Verifier.parseAmzDate("20150830T123600Z"));
    assertEquals(java.time.Instant.parse("2024-02-29T23:59:59Z"),
        SigV4Verifier.parseAmzDate("20240229T235959Z"));
    for (String bad : List.of("20150230T123600Z", "20230229T000000Z", "20150830T240000Z",
        "20150830T126000Z", "20151330T123600Z", "2015083T1236000Z", "20150830T123600",
        "20150830 123600Z", "2015-8-30T12360Z", "+0150830T123600Z", "20150830T12360١Z",
        "")) {
      AuthenticationException e = assertThrows(AuthenticationException.class,
          () -> SigV4Verifier.parseAmzDate(bad), bad);
      assertEquals("IncompleteSignatureException", e.errorType(), bad);
      assertTrue(e.getMessage().contains("X-Amz-Date must be"), e.getMessage());
    }
  }
}
