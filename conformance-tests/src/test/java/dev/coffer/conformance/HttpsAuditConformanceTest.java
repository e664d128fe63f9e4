package dev.coffer.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.kms.model.KmsException;
import software.amazon.awssdk.services.kms.model.NotFoundException;

/**
 * What the audit log of a real {@code coffer serve} shows of HTTPS requests that SDK v2 sent:
 * each record's {@code requestID} is the {@code x-amzn-RequestId} the client was answered with
 * (as CloudTrail's), for successes, refusals and failed authentications alike; and requests
 * refused by the per-access-key limit ({@code ThrottlingException}) are audited as refusals.
 */
class HttpsAuditConformanceTest {

  static final String REGION = "us-east-1";

  static DaemonProcess daemon;
  static String accessKeyId;
  static String secret;
  static String keyId;

  @BeforeAll
  static void start() throws Exception {
    HttpsTenant tenant = HttpsTenant.start(REGION, "auditee", Map.of("https-max-requests-per-key", "1"));
    daemon = tenant.daemon();
    accessKeyId = tenant.accessKeyId();
    secret = tenant.secret();
    keyId = tenant.keyId();
  }

  @AfterAll
  static void stop() throws Exception {
    if (daemon != null) {
      daemon.close();
    }
  }

  static JsonNode recordWithRequestId(String requestId) throws Exception {
    return HttpsEndpointConformanceTest.awaitRecord(daemon,
        r -> r.path("requestID").asText().equals(requestId));
  }

  @Test
  void auditRequestIdIsTheRequestIdTheClientWasAnswered() throws Exception {
    String ok;
    String notFound;
    try (KmsClient kms = AwsClients.kms(daemon, REGION, accessKeyId, secret)) {
      ok = kms.encrypt(b -> b.keyId(keyId).plaintext(SdkBytes.fromUtf8String("x")))
          .responseMetadata().requestId();
      notFound = assertThrows(NotFoundException.class,
          () -> kms.describeKey(b -> b.keyId("alias/absent"))).requestId();
    }
    String badSignature;
    try (KmsClient wrong = AwsClients.kms(daemon, REGION, accessKeyId, "y" + secret.substring(1))) {
      KmsException e = assertThrows(KmsException.class,
          () -> wrong.listKeys(b -> { }));
      assertEquals("InvalidSignatureException", e.awsErrorDetails().errorCode());
      badSignature = e.requestId();
    }
    assertTrue(ok.matches("[0-9a-f-]{36}"), ok);
    JsonNode encrypt = recordWithRequestId(ok);
    assertEquals("Encrypt", encrypt.path("eventName").asText(), encrypt::toString);
    assertTrue(encrypt.path("errorCode").isMissingNode(), encrypt::toString);
    JsonNode describe = recordWithRequestId(notFound);
    assertEquals("DescribeKey", describe.path("eventName").asText(), describe::toString);
    assertEquals("NotFoundException", describe.path("errorCode").asText(), describe::toString);
    JsonNode failed = recordWithRequestId(badSignature);
    assertEquals("ListKeys", failed.path("eventName").asText(), failed::toString);
    assertEquals("InvalidSignatureException", failed.path("errorCode").asText(),
        failed::toString);
  }

  @Test
  void throttledRequestsAreAuditedAsRefusals() throws Exception {
    Set<String> throttled = ConcurrentHashMap.newKeySet();
    try (KmsClient kms = AwsClients.kms(daemon, REGION, accessKeyId, secret,
        b -> b.overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.doNotRetry())))) {
      ExecutorService pool = Executors.newFixedThreadPool(4);
      List<Future<?>> runs = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        runs.add(pool.submit(() -> {
          for (int i = 0; i < 25; i++) {
            try {
              kms.encrypt(b -> b.keyId(keyId).plaintext(SdkBytes.fromUtf8String("y")));
            } catch (KmsException e) {
              assertEquals("ThrottlingException", e.awsErrorDetails().errorCode());
              throttled.add(e.requestId());
            }
          }
        }));
      }
      for (Future<?> f : runs) {
        f.get(120, TimeUnit.SECONDS);
      }
      pool.shutdown();
    }
    assertFalse(throttled.isEmpty(), "nothing was throttled at 1 request per key");
    JsonNode refusal = HttpsEndpointConformanceTest.awaitRecord(daemon,
        r -> throttled.contains(r.path("requestID").asText()));
    assertEquals("ThrottlingException", refusal.path("errorCode").asText(), refusal::toString);
    assertEquals("Encrypt", refusal.path("eventName").asText(), refusal::toString);
    assertEquals("IAMUser", refusal.path("userIdentity").path("type").asText(),
        refusal::toString);
    assertEquals(accessKeyId, refusal.path("userIdentity").path("accessKeyId").asText(),
        refusal::toString);
    assertEquals("127.0.0.1", refusal.path("sourceIPAddress").asText(), refusal::toString);
  }
}
