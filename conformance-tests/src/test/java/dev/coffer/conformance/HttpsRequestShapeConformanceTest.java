package dev.coffer.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.http.HttpExecuteRequest;
import software.amazon.awssdk.http.HttpExecuteResponse;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.SignedRequest;

/**
 * Requests whose shape is wrong though their signature is right, sent raw over HTTPS to a real
 * {@code coffer serve} (signed by the AWS SDK's own SigV4 signer, every header the test's
 * choice), answered as AWS KMS answers them and audited:
 *
 * <ul>
 *   <li>a member of the wrong JSON type, in any operation: {@code 400 SerializationException}
 *       (aws-http-endpoint.md §1.3), never {@code ValidationException};
 *   <li>an {@code X-Amz-Target} that names no operation: {@code UnknownOperationException},
 *       with the caller's refusal in the audit log;
 *   <li>a {@code Content-Type} other than {@code application/x-amz-json-1.1}, or none:
 *       {@code UnknownOperationException}, audited, nothing run.
 * </ul>
 */
class HttpsRequestShapeConformanceTest {

  static final String REGION = "us-east-1";
  static final String USER = "shaper";
  static final String JSON_1_1 = "application/x-amz-json-1.1";
  static final ObjectMapper JSON = new ObjectMapper();

  static DaemonProcess daemon;
  static String accessKeyId;
  static String secret;
  static String keyId;
  static SdkHttpClient http;

  @BeforeAll
  static void start() throws Exception {
    HttpsTenant tenant = HttpsTenant.start(REGION, USER, Map.of());
    daemon = tenant.daemon();
    accessKeyId = tenant.accessKeyId();
    secret = tenant.secret();
    keyId = tenant.keyId();
    http = ApacheHttpClient.builder()
        .tlsTrustManagersProvider(() -> AwsClients.trustManagers(daemon.caBundle())).build();
  }

  @AfterAll
  static void stop() throws Exception {
    if (http != null) {
      http.close();
    }
    if (daemon != null) {
      daemon.close();
    }
  }

  record Answer(int status, String errorType, String requestId, JsonNode body) {
    String type() {
      return body.path("__type").asText();
    }
  }

  /**
   * POSTs {@code body} to the endpoint with this target and content type (null: no
   * {@code Content-Type} header), signed with SigV4 by the SDK's signer.
   */
  static Answer send(String target, String contentType, String body) throws Exception {
    return send(SdkHttpMethod.POST, "/", target, contentType, body);
  }

  /** As {@link #send(String, String, String)}, with this method and path. */
  static Answer send(SdkHttpMethod method, String path, String target, String contentType,
      String body) throws Exception {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    SdkHttpRequest.Builder request = SdkHttpRequest.builder()
        .uri(URI.create(daemon.httpsUrl() + path))
        .method(method)
        .putHeader("X-Amz-Target", target)
        .putHeader("Content-Length", Integer.toString(bytes.length));
    if (contentType != null) {
      request.putHeader("Content-Type", contentType);
    }
    SignedRequest signed = AwsV4HttpSigner.create().sign(r -> r
        .identity(AwsBasicCredentials.create(accessKeyId, secret))
        .request(request.build())
        .payload(ContentStreamProvider.fromByteArray(bytes))
        .putProperty(AwsV4HttpSigner.SERVICE_SIGNING_NAME, "kms")
        .putProperty(AwsV4HttpSigner.REGION_NAME, REGION));
    HttpExecuteResponse response = http.prepareRequest(HttpExecuteRequest.builder()
        .request(signed.request())
        .contentStreamProvider(signed.payload().orElseThrow())
        .build()).call();
    byte[] answer;
    try (InputStream in = response.responseBody().orElseThrow()) {
      answer = in.readAllBytes();
    }
    var headers = response.httpResponse();
    return new Answer(headers.statusCode(),
        headers.firstMatchingHeader("x-amzn-ErrorType").orElse(null),
        headers.firstMatchingHeader("x-amzn-RequestId").orElseThrow(),
        answer.length == 0 ? JSON.createObjectNode() : JSON.readTree(answer));
  }

  static void assertAwsError(Answer a, String type) {
    assertAwsError(a, 400, type);
  }

  static void assertAwsError(Answer a, int status, String type) {
    assertEquals(status, a.status(), a::toString);
    assertEquals(type, a.type(), a::toString);
    assertEquals(type, a.errorType(), a::toString);
  }

  static JsonNode record(Answer a) throws Exception {
    return HttpsEndpointConformanceTest.awaitRecord(daemon,
        r -> r.path("requestID").asText().equals(a.requestId()));
  }

  // ---- (a) members of the wrong JSON type: SerializationException in every operation

  @Test
  void wrongJsonTypes_areSerializationException_inEveryOperation() throws Exception {
    String[][] cases = {
        // {operation, body}
        {"Encrypt", "{\"KeyId\":5,\"Plaintext\":\"aGk=\"}"},
        {"Encrypt", "{\"KeyId\":\"" + keyId + "\",\"Plaintext\":{}}"},
        {"Encrypt", "{\"KeyId\":\"" + keyId + "\",\"Plaintext\":\"aGk=\",\"EncryptionContext\":[]}"},
        {"Encrypt", "{\"KeyId\":\"" + keyId + "\",\"Plaintext\":\"aGk=\","
            + "\"EncryptionContext\":{\"a\":1}}"},
        {"Encrypt", "{\"KeyId\":\"" + keyId + "\",\"Plaintext\":\"aGk=\",\"GrantTokens\":\"t\"}"},
        {"Encrypt", "{\"KeyId\":\"" + keyId + "\",\"Plaintext\":\"aGk=\",\"DryRun\":\"true\"}"},
        {"GenerateDataKey", "{\"KeyId\":\"" + keyId + "\",\"NumberOfBytes\":\"x\"}"},
        {"GenerateDataKey", "{\"KeyId\":\"" + keyId + "\",\"NumberOfBytes\":1.5}"},
        {"GenerateDataKey", "{\"KeyId\":\"" + keyId + "\",\"KeySpec\":256}"},
        {"GenerateRandom", "{\"NumberOfBytes\":true}"},
        {"Decrypt", "{\"CiphertextBlob\":[1,2]}"},
        {"DescribeKey", "{\"KeyId\":\"" + keyId + "\",\"GrantTokens\":[5]}"},
        {"ListKeys", "{\"Limit\":\"10\"}"},
        {"CreateKey", "{\"Tags\":{\"TagKey\":\"a\",\"TagValue\":\"b\"}}"},
        {"CreateKey", "{\"Tags\":[{\"TagKey\":1,\"TagValue\":\"b\"}]}"},
        {"CreateKey", "{\"Description\":[\"d\"]}"},
        {"ScheduleKeyDeletion", "{\"KeyId\":\"" + keyId + "\",\"PendingWindowInDays\":\"7\"}"},
        {"CreateGrant", "{\"KeyId\":\"" + keyId + "\",\"GranteePrincipal\":\"arn:aws:iam::"
            + "000000000000:user/x\",\"Operations\":[\"Encrypt\"],\"Constraints\":[]}"},
        {"TagResource", "{\"KeyId\":\"" + keyId + "\",\"Tags\":[\"a\"]}"},
    };
    for (String[] c : cases) {
      Answer a = send("TrentService." + c[0], JSON_1_1, c[1]);
      assertAwsError(a, "SerializationException");
      assertTrue(a.body().path("message").asText().contains("JSON type"), a::toString);
    }
    // A value of the right type that breaks a rule stays a ValidationException.
    assertAwsError(send("TrentService.GenerateDataKey", JSON_1_1,
        "{\"KeyId\":\"" + keyId + "\",\"NumberOfBytes\":0}"), "ValidationException");
    assertAwsError(send("TrentService.Encrypt", JSON_1_1,
        "{\"KeyId\":\"\",\"Plaintext\":\"aGk=\"}"), "ValidationException");
    // The refusal is audited under the operation's name, like other refusals.
    Answer refused = send("TrentService.Encrypt", JSON_1_1, "{\"KeyId\":5,\"Plaintext\":\"aGk=\"}");
    JsonNode r = record(refused);
    assertEquals("Encrypt", r.path("eventName").asText(), r::toString);
    assertEquals("SerializationException", r.path("errorCode").asText(), r::toString);
  }

  // ---- (b) an X-Amz-Target that names no operation: refused and audited

  @Test
  void malformedTargets_areUnknownOperation_andAudited() throws Exception {
    for (String target : new String[] {"Trent.Encrypt", "TrentService.encrypt",
        "TrentService.", "TrentService.Encrypt.Now", "kms:Encrypt", "TrentService.Enc rypt"}) {
      Answer a = send(target, JSON_1_1, "{\"KeyId\":\"" + keyId + "\",\"Plaintext\":\"aGk=\"}");
      assertAwsError(a, "UnknownOperationException");
      JsonNode r = record(a);
      assertEquals("UnknownOperationException", r.path("errorCode").asText(), r::toString);
      assertEquals("IAMUser", r.path("userIdentity").path("type").asText(), r::toString);
      assertEquals(accessKeyId, r.path("userIdentity").path("accessKeyId").asText(),
          r::toString);
      assertEquals("127.0.0.1", r.path("sourceIPAddress").asText(), r::toString);
    }
  }

  @Test
  void wrongMethodOrPath_refusedBeforeTheSignatureIsChecked_areAuditedAsUnknownCallers()
      throws Exception {
    String body = "{\"KeyId\":\"" + keyId + "\"}";
    Answer wrongPath = send(SdkHttpMethod.POST, "/keys", "TrentService.DescribeKey", JSON_1_1,
        body);
    assertAwsError(wrongPath, 404, "UnknownOperationException");
    Answer wrongMethod = send(SdkHttpMethod.PUT, "/", "TrentService.DescribeKey", JSON_1_1, body);
    assertAwsError(wrongMethod, 405, "UnknownOperationException");
    for (Answer a : new Answer[] {wrongPath, wrongMethod}) {
      JsonNode r = record(a);
      assertEquals("UnknownOperationException", r.path("errorCode").asText(), r::toString);
      assertEquals("DescribeKey", r.path("eventName").asText(), r::toString);
      assertEquals("Unknown", r.path("userIdentity").path("type").asText(), r::toString);
      assertEquals("127.0.0.1", r.path("sourceIPAddress").asText(), r::toString);
    }
  }

  // ---- (c) Content-Type: application/x-amz-json-1.1 only

  @Test
  void wrongOrMissingContentType_isUnknownOperation_audited_andNothingRuns() throws Exception {
    for (String contentType : new String[] {"application/json", "text/plain",
        "application/x-amz-json-1.0", "application/octet-stream",
        "application/x-www-form-urlencoded", null}) {
      // A CreateKey that ran would leave a key behind: none may.
      int before = keyCount();
      Answer a = send("TrentService.CreateKey", contentType, "{\"Description\":\"ct\"}");
      assertAwsError(a, "UnknownOperationException");
      assertTrue(a.body().path("message").asText().contains(JSON_1_1), a::toString);
      JsonNode r = record(a);
      assertEquals("CreateKey", r.path("eventName").asText(), r::toString);
      assertEquals("UnknownOperationException", r.path("errorCode").asText(), r::toString);
      assertEquals(accessKeyId, r.path("userIdentity").path("accessKeyId").asText(),
          r::toString);
      assertEquals(before, keyCount(), contentType);
    }
    // What the clients send is accepted, with or without parameters and in any case.
    for (String contentType : new String[] {JSON_1_1, "Application/X-Amz-Json-1.1",
        JSON_1_1 + "; charset=utf-8"}) {
      Answer ok = send("TrentService.DescribeKey", contentType, "{\"KeyId\":\"" + keyId + "\"}");
      assertEquals(200, ok.status(), ok::toString);
    }
  }

  static int keyCount() throws Exception {
    Answer a = send("TrentService.ListKeys", JSON_1_1, "{\"Limit\":1000}");
    assertEquals(200, a.status(), a::toString);
    return a.body().path("Keys").size();
  }
}
