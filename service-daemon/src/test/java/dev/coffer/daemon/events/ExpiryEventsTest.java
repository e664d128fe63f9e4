package dev.coffer.daemon.events;

import static dev.coffer.daemon.TestDaemon.bytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import dev.coffer.daemon.TestDaemon;
import dev.coffer.daemon.audit.AuditLookup;
import dev.coffer.daemon.config.MonitoringSettings;
import dev.coffer.protocol.Json;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.X509EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.crypto.Cipher;
import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Imported-material expiry events with a real daemon, its database and audit log, and a real
 * HTTP receiver: each warning and the expiration raised once per material and lead time, across
 * restarts; the material is erased only after its event; delivery retried until accepted.
 */
class ExpiryEventsTest {

  private static final SecureRandom RANDOM = new SecureRandom();
  private TestDaemon d;
  private HttpServer receiver;
  private final LinkedBlockingQueue<ObjectNode> received = new LinkedBlockingQueue<>();
  private final AtomicInteger refuseNext = new AtomicInteger();
  private final AtomicInteger attempts = new AtomicInteger();

  @AfterEach
  void stop() throws IOException {
    if (d != null) {
      d.close();
    }
    if (receiver != null) {
      receiver.stop(0);
    }
  }

  private void startReceiver() throws IOException {
    receiver = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    receiver.createContext("/kms", ex -> {
      byte[] body = ex.getRequestBody().readAllBytes();
      attempts.incrementAndGet();
      boolean refuse = refuseNext.getAndUpdate(n -> Math.max(0, n - 1)) > 0;
      if (!refuse) {
        received.add(Json.parseObject(body));
      }
      ex.sendResponseHeaders(refuse ? 503 : 204, -1);
      ex.close();
    });
    receiver.start();
  }

  private void startDaemon(Optional<URI> webhook) throws IOException {
    MonitoringSettings m = MonitoringSettings.defaults();
    d = new TestDaemon(c -> c.withMonitoring(new MonitoringSettings(m.metricsListen(), false,
        List.of(30, 7), webhook, List.of(), Duration.ofSeconds(5), 3)));
  }

  /** An EXTERNAL key with 32 random bytes imported, expiring at {@code validTo}. */
  private String importedKey(Instant validTo) throws Exception {
    String key = d.call("CreateKey", "Origin", "EXTERNAL").get("KeyMetadata").get("KeyId")
        .asText();
    JsonNode r = d.call("GetParametersForImport", "KeyId", key, "WrappingAlgorithm",
        "RSAES_OAEP_SHA_256", "WrappingKeySpec", "RSA_2048");
    PublicKey pub = KeyFactory.getInstance("RSA").generatePublic(
        new X509EncodedKeySpec(bytes(r.get("PublicKey"))));
    Cipher c = Cipher.getInstance("RSA/ECB/OAEPPadding");
    c.init(Cipher.ENCRYPT_MODE, pub, new OAEPParameterSpec("SHA-256", "MGF1",
        MGF1ParameterSpec.SHA256, PSource.PSpecified.DEFAULT));
    byte[] material = new byte[32];
    RANDOM.nextBytes(material);
    d.call("ImportKeyMaterial", "KeyId", key, "ImportToken", bytes(r.get("ImportToken")),
        "EncryptedKeyMaterial", c.doFinal(material), "ValidTo", validTo.toString());
    return key;
  }

  /** The audit records named {@code eventName}, oldest first. */
  private List<ObjectNode> audited(String eventName) throws IOException {
    List<ObjectNode> out = new ArrayList<>();
    new AuditLookup(null, eventName, null, null, null).run(d.home.resolve("audit"),
        line -> out.add(Json.parseObject(line.getBytes(StandardCharsets.UTF_8))));
    return out;
  }

  private List<Integer> warningDaysAudited() throws IOException {
    List<Integer> days = new ArrayList<>();
    for (ObjectNode r : audited("ImportedKeyMaterialExpirationWarning")) {
      days.add(r.get("requestParameters").get("detail").get("warning-days").asInt());
    }
    return days;
  }

  @Test
  void warningsAtEachLeadTime_thenExpiration_eachOnce_acrossRestarts() throws Exception {
    startDaemon(Optional.empty());
    Instant validTo = d.clock.instant().plus(Duration.ofDays(40));
    String key = importedKey(validTo);
    d.daemon.runMaintenance();
    assertEquals(List.of(), warningDaysAudited(), "40 days left: no lead time has begun");

    d.clock.advance(Duration.ofDays(10)); // exactly 30 days left
    d.daemon.runMaintenance();
    d.daemon.runMaintenance();
    d.restart();
    d.daemon.runMaintenance();
    assertEquals(List.of(30), warningDaysAudited());

    d.clock.advance(Duration.ofDays(23).plusHours(1)); // 7 days minus an hour
    d.daemon.runMaintenance();
    d.restart();
    assertEquals(List.of(30, 7), warningDaysAudited());
    assertEquals(List.of(), audited("ImportedKeyMaterialExpiration"));

    d.clock.advance(Duration.ofDays(7));
    d.daemon.runMaintenance();
    d.restart();
    d.daemon.runMaintenance();
    List<ObjectNode> expired = audited("ImportedKeyMaterialExpiration");
    assertEquals(1, expired.size());
    JsonNode event = expired.get(0).get("requestParameters");
    assertEquals(KeyMaterialEvent.EXPIRATION, event.get("detail-type").asText());
    assertEquals("aws.kms", event.get("source").asText());
    assertEquals("0", event.get("version").asText());
    String arn = d.call("DescribeKey", "KeyId", key).get("KeyMetadata").get("Arn").asText();
    assertEquals(arn, event.get("resources").get(0).asText());
    assertEquals(key, event.get("detail").get("key-id").asText());
    assertTrue(event.get("detail").get("key-material-id").asText().matches("[0-9a-f]{64}"));
    assertEquals(arn, expired.get(0).get("resources").get(0).get("ARN").asText());
    assertEquals("AwsServiceEvent", expired.get(0).get("eventType").asText());
    assertEquals(List.of(30, 7), warningDaysAudited());
    assertEquals("PendingImport",
        d.call("DescribeKey", "KeyId", key).get("KeyMetadata").get("KeyState").asText());
  }

  @Test
  void materialExpiredWhileStopped_eventRaisedAtStartBeforeErasure() throws Exception {
    startDaemon(Optional.empty());
    Instant validTo = d.clock.instant().plus(Duration.ofDays(2));
    String key = importedKey(validTo);
    d.daemon.runMaintenance(); // both lead times have begun: warnings 30 and 7
    d.client.close();
    d.daemon.close();
    d.clock.advance(Duration.ofDays(3));
    d.start(); // the start-up pass: event first, then erasure
    List<ObjectNode> expired = audited("ImportedKeyMaterialExpiration");
    assertEquals(1, expired.size());
    assertEquals(key, expired.get(0).get("requestParameters").get("detail").get("key-id")
        .asText());
    assertEquals(List.of(30, 7), warningDaysAudited());
  }

  @Test
  void command_killedAtTimeout_retriedUpToAttempts_thenGivenUp() throws Exception {
    // A program that notes each run, then hangs: every attempt times out.
    java.nio.file.Path dir = java.nio.file.Files.createTempDirectory(java.nio.file.Path.of("/tmp"),
        "cev");
    java.nio.file.Path runs = dir.resolve("runs");
    java.nio.file.Path hang = dir.resolve("hang");
    java.nio.file.Files.writeString(hang, "#!/bin/sh\necho run >> " + runs + "\nexec sleep 60\n");
    hang.toFile().setExecutable(true);
    try {
      d = new TestDaemon(c -> c.withMonitoring(new MonitoringSettings(Optional.empty(), false,
          List.of(30), Optional.empty(), List.of(hang.toString()), Duration.ofSeconds(1), 2)));
      importedKey(d.clock.instant().plus(Duration.ofDays(10)));
      for (int i = 0; i < 4; i++) {
        d.daemon.runMaintenance();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (lines(runs) < Math.min(i + 1, 2) && System.nanoTime() < deadline) {
          Thread.sleep(50);
        }
        Thread.sleep(1_500); // past the 1 s timeout: the attempt is over
        d.clock.advance(Duration.ofMinutes(10)); // past any retry delay
      }
      assertEquals(2, lines(runs), "expiry-event-attempts=2: two runs, each killed at 1 s");
      List<ObjectNode> warnings = audited("ImportedKeyMaterialExpirationWarning");
      assertEquals(1, warnings.size());
      // Giving up is a decision of the daemon's: it has its audit record, naming the event,
      // the target, the attempts and why the last one failed.
      List<ObjectNode> gaveUp = audited(EventDelivery.GAVE_UP_EVENT_NAME);
      assertEquals(1, gaveUp.size(), "one record for the one event and target given up");
      JsonNode detail = gaveUp.get(0).get("requestParameters");
      assertEquals(warnings.get(0).get("requestParameters").get("id").asText(),
          detail.get("EventId").asText());
      assertEquals(EventDelivery.COMMAND, detail.get("Target").asText());
      assertEquals(2, detail.get("Attempts").asInt());
      assertTrue(detail.get("Reason").asText().contains("did not finish within 1 s"),
          detail.toString());
      assertEquals(warnings.get(0).get("resources").get(0).get("ARN").asText(),
          gaveUp.get(0).get("resources").get(0).get("ARN").asText());
      assertEquals("AwsServiceEvent", gaveUp.get(0).get("eventType").asText());
    } finally {
      try (var files = java.nio.file.Files.walk(dir)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      }
    }
  }

  private static long lines(java.nio.file.Path file) throws IOException {
    return java.nio.file.Files.exists(file) ? java.nio.file.Files.readAllLines(file).size() : 0;
  }

  @Test
  void webhook_receivesEachEventOnce_retriedAfterRefusal_acrossRestart() throws Exception {
    startReceiver();
    startDaemon(Optional.of(URI.create("http://127.0.0.1:"
        + receiver.getAddress().getPort() + "/kms")));
    refuseNext.set(1); // the first attempt is answered 503
    String key = importedKey(d.clock.instant().plus(Duration.ofDays(20)));
    d.daemon.runMaintenance();
    // Refused once; the retry waits 5 s on the daemon's clock.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (attempts.get() == 0 && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    d.daemon.runMaintenance();
    Thread.sleep(300);
    assertEquals(1, attempts.get(), "no retry before its time");
    assertEquals(0, received.size());
    d.restart(); // the pending delivery is in the database, not only in memory
    d.clock.advance(Duration.ofSeconds(6));
    d.daemon.runMaintenance();
    ObjectNode warning = received.poll(10, TimeUnit.SECONDS);
    assertEquals(KeyMaterialEvent.WARNING, warning.get("detail-type").asText());
    assertEquals(30, warning.get("detail").get("warning-days").asInt());
    assertEquals(key, warning.get("detail").get("key-id").asText());
    assertEquals(audited("ImportedKeyMaterialExpirationWarning").get(0)
        .get("requestParameters").get("id").asText(), warning.get("id").asText());
    d.clock.advance(Duration.ofSeconds(60));
    d.daemon.runMaintenance();
    d.restart();
    Thread.sleep(500);
    assertEquals(0, received.size(), "delivered once, not again");
  }
}
