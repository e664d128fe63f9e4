package dev.coffer.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.coffer.protocol.DaemonClient;
import dev.coffer.protocol.Json;
import dev.coffer.protocol.KmsException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * Live metrics and expiry events with real processes: a {@code coffer serve} daemon, {@code
 * /metrics} scraped over HTTP and parsed by the Prometheus project's own text-format parser (the
 * {@code prometheus_client} Python package), an HTTP receiver for the webhook and {@code tee}
 * as the event command.
 */
class MonitoringConformanceTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  /** Reads exposition text on stdin; prints its samples as JSON (name, labels, value). */
  private static final String PARSE = String.join("\n",
      "import json, sys",
      "from prometheus_client.parser import text_string_to_metric_families",
      "out = []",
      "for family in text_string_to_metric_families(sys.stdin.read()):",
      "    for s in family.samples:",
      "        out.append({'name': s.name, 'labels': s.labels, 'value': s.value})",
      "print(json.dumps(out))");

  /**
   * A Python that has the parser: the one on the PATH (pip's {@code prometheus-client}), else
   * the system's ({@code apt-get install python3-prometheus-client}, as {@code .ci/run} does);
   * null if neither has it.
   */
  private static final String PYTHON = pythonWithParser("python3", "/usr/bin/python3");

  private static String pythonWithParser(String... candidates) {
    for (String python : candidates) {
      try {
        Process p = new ProcessBuilder(python, "-c", "import prometheus_client.parser")
            .redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        if (p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0) {
          return python;
        }
      } catch (IOException e) {
        // not installed: try the next one
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return null;
      }
    }
    return null;
  }

  private static int freePort() throws IOException {
    try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return probe.getLocalPort();
    }
  }

  private static DaemonProcess start(Map<String, String> properties) throws IOException {
    Path home = Files.createTempDirectory(Path.of("/tmp"), "cofm");
    StringBuilder b = new StringBuilder();
    properties.forEach((k, v) -> b.append(k).append('=').append(v).append('\n'));
    Files.writeString(home.resolve("coffer.properties"), b.toString());
    DaemonProcess d = DaemonProcess.prepare(home, home.resolve("coffer.sock"),
        home.resolve("daemon.log"), null);
    d.launch();
    return d;
  }

  /** The samples of a scrape, parsed by the Prometheus parser. */
  private static List<JsonNode> scrape(int port) throws Exception {
    HttpResponse<byte[]> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
        HttpResponse.BodyHandlers.ofByteArray());
    assertEquals(200, r.statusCode());
    Process p = new ProcessBuilder(PYTHON, "-c", PARSE).start();
    p.getOutputStream().write(r.body());
    p.getOutputStream().close();
    byte[] out = p.getInputStream().readAllBytes();
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), () -> "the Prometheus parser refused the scrape: " + err);
    List<JsonNode> samples = new ArrayList<>();
    JSON.readTree(out).forEach(samples::add);
    return samples;
  }

  /** The value of the sample {@code name} with exactly {@code labels}; null if absent. */
  private static Double value(List<JsonNode> samples, String name, Map<String, String> labels) {
    for (JsonNode s : samples) {
      if (s.get("name").asText().equals(name)
          && JSON.convertValue(s.get("labels"), Map.class).equals(labels)) {
        return s.get("value").asDouble();
      }
    }
    return null;
  }

  @Test
  void metricsScrapedOverHttp_parsedByPrometheusParser_showWorkloadExactly() throws Exception {
    assumeTrue(PYTHON != null, "the Prometheus text-format parser is not installed (apt-get"
        + " install python3-prometheus-client, or pip install prometheus-client)");
    int port = freePort();
    try (DaemonProcess d = start(Map.of("metrics-listen", "127.0.0.1:" + port));
        DaemonClient c = new DaemonClient(d.socket(), 1, Duration.ofSeconds(20))) {
      String a = c.call("CreateKey", Json.object()).get("KeyMetadata").get("KeyId").asText();
      c.call("CreateKey", Json.object());
      for (int i = 0; i < 3; i++) {
        c.call("Encrypt", Json.object().put("KeyId", a).put("Plaintext", new byte[] {(byte) i}));
      }
      c.call("DisableKey", Json.object().put("KeyId", a));
      for (int i = 0; i < 2; i++) {
        try {
          c.call("Encrypt", Json.object().put("KeyId", a).put("Plaintext", new byte[] {1}));
        } catch (KmsException expected) {
          assertEquals("DisabledException", expected.errorType());
        }
      }
      List<JsonNode> s = scrape(port);
      assertEquals(2.0, value(s, "coffer_requests_total",
          Map.of("operation", "CreateKey", "outcome", "success")));
      assertEquals(3.0, value(s, "coffer_requests_total",
          Map.of("operation", "Encrypt", "outcome", "success")));
      assertEquals(2.0, value(s, "coffer_requests_total",
          Map.of("operation", "Encrypt", "outcome", "DisabledException")));
      assertEquals(1.0, value(s, "coffer_requests_total",
          Map.of("operation", "DisableKey", "outcome", "success")));
      assertEquals(3.0, value(s, "coffer_request_duration_seconds_count",
          Map.of("operation", "Encrypt", "outcome", "success")));
      assertEquals(1.0, value(s, "coffer_keys", Map.of("state", "Enabled")));
      assertEquals(1.0, value(s, "coffer_keys", Map.of("state", "Disabled")));
      assertEquals(1.0, value(s, "coffer_connections", Map.of("door", "socket")));
      assertEquals(0.0, value(s, "coffer_audit_outbox_records", Map.of()));
      assertEquals(8.0, value(s, "coffer_audit_write_duration_seconds_count", Map.of()));
      assertTrue(d.logText().contains("coffer: metrics at http://127.0.0.1:" + port
          + "/metrics"), d.logText());
    }
  }

  /** Waits until {@code events} holds {@code n} events; returns them. */
  private static List<JsonNode> await(Supplier<List<JsonNode>> events, int n) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    while (events.get().size() < n && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
    return events.get();
  }

  private static List<JsonNode> commandOutput(Path file) {
    List<JsonNode> out = new ArrayList<>();
    try {
      if (Files.exists(file)) {
        try (MappingIterator<JsonNode> it = JSON.readerFor(JsonNode.class)
            .readValues(Files.readAllBytes(file))) {
          it.forEachRemaining(out::add);
        }
      }
    } catch (IOException e) {
      return out; // tee is still writing: read again
    }
    return out;
  }

  @Test
  void shortValidTo_expiryEventAndWarnings_reachWebhookAndCommand_once() throws Exception {
    List<JsonNode> posted = new CopyOnWriteArrayList<>();
    HttpServer receiver = HttpServer.create(
        new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    receiver.createContext("/hook", ex -> {
      posted.add(JSON.readTree(ex.getRequestBody().readAllBytes()));
      ex.sendResponseHeaders(204, -1);
      ex.close();
    });
    receiver.start();
    Path received = Files.createTempDirectory(Path.of("/tmp"), "cofe").resolve("events.json");
    try (DaemonProcess d = start(Map.of(
        "deletion-check-seconds", "1",
        "expiry-warning-days", "30,7",
        "expiry-event-webhook", "http://127.0.0.1:" + receiver.getAddress().getPort() + "/hook",
        "expiry-event-command", "/usr/bin/tee -a " + received))) {
      String key = ImportAndRotationConformanceTest.ok(d, "create-key", "--origin", "EXTERNAL")
          .get("KeyMetadata").get("KeyId").asText();
      // Far enough ahead for the import's OpenSSL and CLI runs on a loaded machine.
      Instant validTo = Instant.now().plusSeconds(30).truncatedTo(ChronoUnit.SECONDS);
      JsonNode imported = ImportAndRotationConformanceTest.openSslImport(d, key, "m",
          "--expiration-model", "KEY_MATERIAL_EXPIRES", "--valid-to", validTo.toString());
      List<JsonNode> hooked = await(() -> posted, 3);
      List<JsonNode> run = await(() -> commandOutput(received), 3);
      assertEquals(3, hooked.size(), hooked::toString);
      assertEquals(3, run.size(), run::toString);

      String arn = ImportAndRotationConformanceTest.ok(d, "describe-key", "--key-id", key)
          .get("KeyMetadata").get("Arn").asText();
      Set<String> ids = new HashSet<>();
      List<Integer> warnings = new ArrayList<>();
      JsonNode expiration = null;
      for (JsonNode e : hooked) {
        ids.add(e.get("id").asText());
        assertEquals("aws.kms", e.get("source").asText());
        assertEquals(arn, e.get("resources").get(0).asText());
        assertEquals(key, e.get("detail").get("key-id").asText());
        if (imported.has("KeyMaterialId")) {
          assertEquals(imported.get("KeyMaterialId").asText(),
              e.get("detail").get("key-material-id").asText());
        }
        if (e.get("detail-type").asText().equals("KMS Imported Key Material Expiration")) {
          expiration = e;
        } else {
          assertEquals("KMS Imported Key Material Expiration Warning",
              e.get("detail-type").asText());
          warnings.add(e.get("detail").get("warning-days").asInt());
        }
      }
      assertEquals(List.of(30, 7), warnings, "the longer lead time first, each once");
      assertTrue(expiration != null, hooked::toString);
      assertFalse(Instant.parse(expiration.get("time").asText()).isBefore(validTo),
          "raised no earlier than ValidTo");
      Set<String> commandIds = new HashSet<>();
      run.forEach(e -> commandIds.add(e.get("id").asText()));
      assertEquals(ids, commandIds, "the command got the same events");
      assertEquals("PendingImport", ImportAndRotationConformanceTest.ok(d, "describe-key",
          "--key-id", key).get("KeyMetadata").get("KeyState").asText());

      // kill -9 and start again: several maintenance passes later, nothing fires again.
      d.restart();
      Thread.sleep(3_000);
      assertEquals(3, posted.size(), posted::toString);
      assertEquals(3, commandOutput(received).size());
      String audit = auditText(d.home().resolve("audit"));
      assertEquals(1, count(audit, "\"eventName\":\"ImportedKeyMaterialExpiration\""));
      assertEquals(2, count(audit, "\"eventName\":\"ImportedKeyMaterialExpirationWarning\""));
    } finally {
      receiver.stop(0);
      DaemonProcess.deleteTree(received.getParent());
    }
  }

  private static String auditText(Path dir) throws IOException {
    StringBuilder b = new StringBuilder();
    try (var files = Files.walk(dir)) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        if (f.getFileName().toString().endsWith(".json")
            || f.getFileName().toString().endsWith(".jsonl")) {
          b.append(Files.readString(f));
        }
      }
    }
    return b.toString();
  }

  private static int count(String text, String needle) {
    int n = 0;
    for (int i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + 1)) {
      n++;
    }
    return n;
  }
}
