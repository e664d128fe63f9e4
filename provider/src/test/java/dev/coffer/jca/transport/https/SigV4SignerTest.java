package dev.coffer.jca.transport.https;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.coffer.protocol.Json;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4FamilyHttpSigner;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.SignedRequest;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;
import software.amazon.awssdk.identity.spi.AwsSessionCredentialsIdentity;

/**
 * The provider's SigV4 signer against the AWS test-suite vectors (canonical request, string to
 * sign, Authorization header) and against the AWS SDK for Java v2's own signer over the exact
 * requests the HTTPS transport makes.
 */
class SigV4SignerTest {

  private static JsonNode suite() throws IOException {
    try (InputStream in = SigV4SignerTest.class.getResourceAsStream(
        "/sigv4/aws-sig-v4-test-suite.json")) {
      return Json.MAPPER.readTree(in);
    }
  }

  static Stream<Arguments> vectors() throws IOException {
    List<Arguments> out = new ArrayList<>();
    for (JsonNode t : suite().get("tests")) {
      out.add(Arguments.of(t.get("name").asText(), t));
    }
    return out.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("vectors")
  void matchesTheAwsTestSuite(String name, JsonNode t) throws IOException {
    JsonNode config = suite().get("config");
    JsonNode r = t.get("request");
    List<Map.Entry<String, String>> headers = new ArrayList<>();
    for (JsonNode h : r.get("headers")) {
      headers.add(Map.entry(h.get(0).asText(), h.get(1).asText()));
    }
    byte[] body = r.get("body").asText().getBytes(StandardCharsets.UTF_8);
    SigV4Signer signer = new SigV4Signer(config.get("region").asText(),
        config.get("service").asText(), true);
    SigV4Signer.Signature s = signer.sign(new SigV4Signer.Request(r.get("method").asText(),
        r.get("path").asText(), r.get("query").asText(), headers, SigV4Signer.sha256Hex(body)),
        new AwsCredentials(config.get("accessKeyId").asText(),
            config.get("secretAccessKey").asText(), null, "test suite"));
    assertEquals(t.get("creq").asText(), s.canonicalRequest(), name + ": canonical request");
    assertEquals(t.get("sts").asText(), s.stringToSign(), name + ": string to sign");
    assertEquals(t.get("authz").asText(), s.authorization(), name + ": Authorization");
  }

  private static final Instant WHEN = Instant.parse("2026-11-30T12:34:56Z");

  /** The same request through HttpsTransport's header set and through SDK v2's signer. */
  @Test
  void agreesWithTheSdkV2SignerOnTransportRequests() {
    String[][] cases = {
        // endpoint, region, session token, body
        {"https://127.0.0.1:8443/", "us-east-1", null, "{\"KeyId\":\"alias/x\",\"Plaintext\":\"aGk=\"}"},
        {"https://kms.example:443/", "eu-west-2", null, "{}"},
        {"https://[::1]:9443/coffer", "local", "FQoGZXIvYXdzEJr//////////wEaDSessionToken+/=", "{\"NumberOfBytes\":32}"},
        {"https://coffer.internal/a%20b/kms", "ap-southeast-2", null, "{\"KeyId\":\"k\u00e9y\"}"},
    };
    for (String[] c : cases) {
      URI endpoint = URI.create(c[0]);
      AwsCredentials mine = new AwsCredentials("AKIDCOFFER", "c0ffer/Secret+Key", c[2], "test");
      byte[] body = c[3].getBytes(StandardCharsets.UTF_8);
      String hash = SigV4Signer.sha256Hex(body);
      List<Map.Entry<String, String>> headers = new ArrayList<>();
      headers.add(Map.entry("Content-Type", HttpsTransport.CONTENT_TYPE));
      headers.add(Map.entry("Host", HttpsTransport.hostHeader(endpoint)));
      headers.add(Map.entry("X-Amz-Content-Sha256", hash));
      headers.add(Map.entry("X-Amz-Date", SigV4Signer.amzDate(WHEN)));
      if (c[2] != null) {
        headers.add(Map.entry("X-Amz-Security-Token", c[2]));
      }
      headers.add(Map.entry("X-Amz-Target", "TrentService.Encrypt"));
      SigV4Signer.Signature s = new SigV4Signer(c[1], "kms", true).sign(
          new SigV4Signer.Request("POST", endpoint.getRawPath(), "", headers, hash), mine);

      SdkHttpRequest request = SdkHttpRequest.builder()
          .method(SdkHttpMethod.POST)
          .uri(endpoint)
          .putHeader("Content-Type", HttpsTransport.CONTENT_TYPE)
          .putHeader("X-Amz-Target", "TrentService.Encrypt")
          .build();
      AwsCredentialsIdentity identity = c[2] == null
          ? AwsCredentialsIdentity.create("AKIDCOFFER", "c0ffer/Secret+Key")
          : AwsSessionCredentialsIdentity.create("AKIDCOFFER", "c0ffer/Secret+Key", c[2]);
      SignedRequest sdk = AwsV4HttpSigner.create().sign(r -> r
          .identity(identity)
          .request(request)
          .payload(ContentStreamProvider.fromByteArray(body))
          .putProperty(AwsV4FamilyHttpSigner.SERVICE_SIGNING_NAME, "kms")
          .putProperty(AwsV4HttpSigner.REGION_NAME, c[1])
          .putProperty(AwsV4FamilyHttpSigner.DOUBLE_URL_ENCODE, true)
          .putProperty(AwsV4FamilyHttpSigner.NORMALIZE_PATH, true)
          .putProperty(AwsV4FamilyHttpSigner.PAYLOAD_SIGNING_ENABLED, true)
          .putProperty(HttpSigner.SIGNING_CLOCK, Clock.fixed(WHEN, ZoneOffset.UTC)));
      String sdkAuthorization = sdk.request().firstMatchingHeader("Authorization").orElseThrow();
      assertEquals(sdkAuthorization, s.authorization(), c[0] + " " + c[1]);
      assertEquals(hash, sdk.request().firstMatchingHeader("x-amz-content-sha256").orElseThrow());
      assertTrue(s.signedHeaders().contains("x-amz-target"));
    }
  }

  @Test
  void theSigningKeyIsDerivedOncePerDayAndFollowsTheDate() {
    SigV4Signer signer = new SigV4Signer("us-east-1", "kms", true);
    AwsCredentials c = new AwsCredentials("AKIDCOFFER", "secret", null, "test");
    List<Map.Entry<String, String>> h1 = List.of(Map.entry("Host", "h"),
        Map.entry("X-Amz-Date", "20261130T000001Z"));
    List<Map.Entry<String, String>> h2 = List.of(Map.entry("Host", "h"),
        Map.entry("X-Amz-Date", "20261201T000001Z"));
    String a = signer.sign(new SigV4Signer.Request("POST", "/", "", h1, "e3"), c).signature();
    String b = signer.sign(new SigV4Signer.Request("POST", "/", "", h2, "e3"), c).signature();
    String a2 = signer.sign(new SigV4Signer.Request("POST", "/", "", h1, "e3"), c).signature();
    // A fresh signer (no cache) must agree with the cached one on both days.
    assertEquals(new SigV4Signer("us-east-1", "kms", true)
        .sign(new SigV4Signer.Request("POST", "/", "", h1, "e3"), c).signature(), a2);
    assertEquals(new SigV4Signer("us-east-1", "kms", true)
        .sign(new SigV4Signer.Request("POST", "/", "", h2, "e3"), c).signature(), b);
    assertEquals(a, a2);
  }
}
