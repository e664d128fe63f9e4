package dev.coffer.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.kms.model.KmsException;

/**
 * The HTTPS endpoint's real per-access-key limit ({@code https-max-requests-per-key=1}) answers
 * {@code ThrottlingException}, and SDK v2 retries it: with retries off the client sees the
 * throttling error as SDK v2 classifies it; with its default retries every call succeeds, some
 * after more than one (re-signed, re-verified) attempt.
 */
class HttpsThrottlingConformanceTest {

  static final String REGION = "us-west-2";
  static final int THREADS = 4;
  static final int CALLS_PER_THREAD = 40;

  static DaemonProcess daemon;
  static String accessKeyId;
  static String secret;
  static String keyId;

  @BeforeAll
  static void start() throws Exception {
    HttpsTenant tenant = HttpsTenant.start(REGION, "busy", Map.of("https-max-requests-per-key", "1"));
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

  /** Runs {@code THREADS x CALLS_PER_THREAD} Encrypt calls; returns the failures. */
  static List<Throwable> hammer(KmsClient kms) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(THREADS);
    List<Future<List<Throwable>>> results = new ArrayList<>();
    for (int t = 0; t < THREADS; t++) {
      results.add(pool.submit(() -> {
        List<Throwable> failures = new ArrayList<>();
        for (int i = 0; i < CALLS_PER_THREAD; i++) {
          try {
            kms.encrypt(b -> b.keyId(keyId).plaintext(SdkBytes.fromUtf8String("x".repeat(1024))));
          } catch (RuntimeException e) {
            failures.add(e);
          }
        }
        return failures;
      }));
    }
    List<Throwable> all = new ArrayList<>();
    for (Future<List<Throwable>> f : results) {
      all.addAll(f.get(120, TimeUnit.SECONDS));
    }
    pool.shutdown();
    return all;
  }

  @Test
  void perKeyLimit_answersThrottlingException_andSdkV2RetriesIt() throws Exception {
    List<Throwable> unretried;
    try (KmsClient once = AwsClients.kms(daemon, REGION, accessKeyId, secret,
        b -> b.overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.doNotRetry())))) {
      unretried = hammer(once);
    }
    assertTrue(!unretried.isEmpty(), "no request was throttled at 1 request per key");
    for (Throwable t : unretried) {
      KmsException e = (KmsException) t;
      assertEquals("ThrottlingException", e.awsErrorDetails().errorCode(), e::toString);
      assertEquals(400, e.statusCode());
      assertTrue(e.isThrottlingException(), "SDK v2 must classify it as throttling");
    }

    AtomicInteger attempts = new AtomicInteger();
    ExecutionInterceptor counter = new ExecutionInterceptor() {
      @Override
      public void beforeTransmission(Context.BeforeTransmission context,
          ExecutionAttributes attributes) {
        attempts.incrementAndGet();
      }
    };
    List<Throwable> retried;
    try (KmsClient patient = AwsClients.kms(daemon, REGION, accessKeyId, secret,
        b -> b.overrideConfiguration(o -> o.addExecutionInterceptor(counter)
            .retryStrategy(AwsRetryStrategy.standardRetryStrategy().toBuilder()
                .maxAttempts(10).build())))) {
      retried = hammer(patient);
    }
    assertTrue(retried.isEmpty(), () -> "failed despite retries: " + retried.get(0));
    assertTrue(attempts.get() > THREADS * CALLS_PER_THREAD,
        "expected retried attempts, got " + attempts.get());
  }
}
