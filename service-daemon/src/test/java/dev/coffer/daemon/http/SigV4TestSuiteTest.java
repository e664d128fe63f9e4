package dev.coffer.daemon.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The AWS SigV4 test suite: for each case the server-side canonical request, string to sign and
 * signature must be exactly AWS's. The suite signs without {@code x-amz-target}, so the full
 * verifier must also refuse every case with {@code IncompleteSignatureException}.
 */
class SigV4TestSuiteTest {

  private static JsonNode suite() throws Exception {
    try (InputStream in = SigV4TestSuiteTest.class.getResourceAsStream(
        "/sigv4/aws-test-suite-subset.json")) {
      return new ObjectMapper().readTree(in);
    }
  }

  static SignedRequest request(JsonNode c, String authorization) {
    RequestHeaders.Builder headers = RequestHeaders.builder();
    for (JsonNode h : c.get("headers")) {
      headers.add(h.get(0).asText(), h.get(1).asText());
    }
    if (authorization != null) {
      headers.add("Authorization", authorization);
    }
    return new SignedRequest(c.get("method").asText(), c.get("path").asText(),
        c.get("query").asText(), headers.build(),
        c.get("body").asText().getBytes(StandardCharsets.UTF_8));
  }

  @TestFactory
  Stream<DynamicTest> canonicalRequestStringToSignAndSignatureMatchTheSuite() throws Exception {
    JsonNode suite = suite();
    byte[] secret = suite.get("config").get("secretAccessKey").asText()
        .getBytes(StandardCharsets.UTF_8);
    List<DynamicTest> tests = new ArrayList<>();
    for (JsonNode c : suite.get("cases")) {
      tests.add(DynamicTest.dynamicTest(c.get("name").asText(), () -> {
        SigV4Authorization auth = SigV4Authorization.parse(c.get("authz").asText());
        SignedRequest request = request(c, null);
        String canonical = CanonicalRequest.of(request, auth.signedHeaders(),
            CanonicalRequest.sha256Hex(request.body()));
        assertEquals(c.get("creq").asText(), canonical, "canonical request");
        String amzDate = request.headers().first("x-amz-date").orElseThrow();
        String sts = SigV4Authorization.ALGORITHM + "\n" + amzDate + "\n" + auth.scope() + "\n"
            + CanonicalRequest.sha256Hex(canonical.getBytes(StandardCharsets.UTF_8));
        assertEquals(c.get("sts").asText(), sts, "string to sign");
        byte[] key = SigV4Verifier.derive(secret, auth.scopeDate(), auth.region(), auth.service());
        assertEquals(auth.signature(), HexFormat.of().formatHex(SigV4Verifier.hmac(key, sts)));
      }));
    }
    return tests.stream();
  }

  @TestFactory
  Stream<DynamicTest> fullVerifierRefusesSuiteRequestsThatDoNotSignTheTarget() throws Exception {
    JsonNode suite = suite();
    JsonNode config = suite.get("config");
    SigV4Verifier verifier = new SigV4Verifier(
        Clock.fixed(Instant.parse("2015-08-30T12:36:00Z"), ZoneOffset.UTC),
        Set.of(config.get("region").asText()), config.get("service").asText(),
        id -> Optional.of(AccessKeySecret.of(AccessKeyStatus.Active,
            config.get("secretAccessKey").asText())));
    List<DynamicTest> tests = new ArrayList<>();
    for (JsonNode c : suite.get("cases")) {
      tests.add(DynamicTest.dynamicTest(c.get("name").asText(), () -> {
        AuthenticationException e = assertThrows(AuthenticationException.class,
            () -> verifier.verify(request(c, c.get("authz").asText())));
        assertEquals("IncompleteSignatureException", e.errorType());
        assertEquals(Optional.of("AKIDEXAMPLE"), e.claimedAccessKeyId());
      }));
    }
    return tests.stream();
  }
}
