package dev.coffer.daemon.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coffer.daemon.Daemon;
import dev.coffer.daemon.TestDaemon;
import dev.coffer.daemon.config.DaemonConfig;
import dev.coffer.daemon.config.HttpsSettings.HostPort;
import dev.coffer.daemon.config.MonitoringSettings;
import dev.coffer.protocol.KmsException;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code /metrics} of a real daemon over real HTTP: the workload's counts exactly, by operation
 * and outcome; label values only from closed sets; plain HTTP refused off loopback.
 */
class DaemonMetricsTest {

  /** {@code name{labels} value} lines of the text format; comments skipped. */
  private static final Pattern SAMPLE = Pattern.compile("^([a-z_]+(?:\\{[^}]*\\})?) (\\S+)$",
      Pattern.MULTILINE);

  private TestDaemon d;

  @AfterEach
  void stop() throws IOException {
    if (d != null) {
      d.close();
    }
  }

  private static DaemonConfig listening(DaemonConfig c, String at) {
    return c.withMonitoring(MonitoringSettings.defaults()
        .withMetricsListen(Optional.of(HostPort.parse(at))));
  }

  private String scrape() throws Exception {
    HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
        URI.create(d.daemon.metricsUrl().orElseThrow())).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode());
    assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"));
    return r.body();
  }

  private static Map<String, Double> samples(String text) {
    Map<String, Double> out = new HashMap<>();
    Matcher m = SAMPLE.matcher(text);
    while (m.find()) {
      out.put(m.group(1), Double.parseDouble(m.group(2)));
    }
    return out;
  }

  @Test
  void workload_countedExactly_byOperationAndOutcome() throws Exception {
    d = new TestDaemon(c -> listening(c, "127.0.0.1:0"));
    String a = d.createKey();
    d.createKey();
    d.call("Encrypt", "KeyId", a, "Plaintext", new byte[] {1});
    d.call("Encrypt", "KeyId", a, "Plaintext", new byte[] {2});
    d.call("DisableKey", "KeyId", a);
    d.fails("DisabledException", "Encrypt", "KeyId", a, "Plaintext", new byte[] {3});
    d.fails("NotFoundException", "DescribeKey", "KeyId", "alias/none");
    for (String made : new String[] {"MadeUp1", "MadeUp2"}) {
      assertThrows(KmsException.class, () -> d.call(made));
    }
    Map<String, Double> s = samples(scrape());
    assertEquals(2.0, s.get("coffer_requests_total{operation=\"CreateKey\",outcome=\"success\"}"));
    assertEquals(2.0, s.get("coffer_requests_total{operation=\"Encrypt\",outcome=\"success\"}"));
    assertEquals(1.0,
        s.get("coffer_requests_total{operation=\"Encrypt\",outcome=\"DisabledException\"}"));
    assertEquals(1.0,
        s.get("coffer_requests_total{operation=\"DescribeKey\",outcome=\"NotFoundException\"}"));
    assertEquals(2.0, s.entrySet().stream()
        .filter(e -> e.getKey().startsWith("coffer_requests_total{operation=\"Unknown\""))
        .mapToDouble(Map.Entry::getValue).sum());
    assertFalse(s.keySet().stream().anyMatch(k -> k.contains("MadeUp")),
        "a client's made-up operation names are no label values");
    assertEquals(2.0, s.get("coffer_request_duration_seconds_count{operation=\"Encrypt\","
        + "outcome=\"success\"}"));
    assertEquals(2.0, s.get("coffer_request_duration_seconds_bucket{operation=\"Encrypt\","
        + "outcome=\"success\",le=\"+Inf\"}"));
    assertEquals(1.0, s.get("coffer_keys{state=\"Enabled\"}"));
    assertEquals(1.0, s.get("coffer_keys{state=\"Disabled\"}"));
    assertEquals(0.0, s.get("coffer_audit_outbox_records"));
    assertEquals(1.0, s.get("coffer_connections{door=\"socket\"}"));
    assertTrue(s.get("coffer_audit_write_duration_seconds_count") >= 8.0);
    assertTrue(s.containsKey("coffer_backing_key_cache_requests_total{result=\"hit\"}"));
    // metrics.prom holds the key gauges of the same registry, and only those.
    d.daemon.runMaintenance();
    String file = Files.readString(d.home.resolve("metrics.prom"));
    assertEquals(1.0, samples(file).get("coffer_keys{state=\"Disabled\"}"));
    assertFalse(file.contains("coffer_requests_total"));
  }

  @Test
  void plainHttpOffLoopback_refusedAtStart_namingTheFix() throws Exception {
    Path home = Files.createTempDirectory(Path.of("/tmp"), "cm");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Daemon.start(listening(DaemonConfig.forDirectory(home), "0.0.0.0:0")));
    assertTrue(e.getMessage().contains("metrics-tls=true"), e.getMessage());
  }

  @Test
  void metricsTls_servesHttpsWithTheDaemonsCertificate() throws Exception {
    d = new TestDaemon(c -> c.withMonitoring(new MonitoringSettings(
        Optional.of(HostPort.parse("127.0.0.1:0")), true, java.util.List.of(30, 7),
        Optional.empty(), java.util.List.of(), java.time.Duration.ofSeconds(10), 10)));
    String url = d.daemon.metricsUrl().orElseThrow();
    assertTrue(url.startsWith("https://127.0.0.1:"), url);
    d.createKey();
    HttpResponse<String> r = trustingDaemon().send(
        HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode());
    assertEquals(1.0, samples(r.body()).get("coffer_keys{state=\"Enabled\"}"));
  }

  /** An HTTP client that trusts the daemon's self-signed certificate. */
  private HttpClient trustingDaemon() throws Exception {
    java.security.KeyStore trust = java.security.KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    try (var in = Files.newInputStream(d.home.resolve("https/cert.pem"))) {
      trust.setCertificateEntry("coffer", java.security.cert.CertificateFactory
          .getInstance("X.509").generateCertificate(in));
    }
    javax.net.ssl.TrustManagerFactory tmf = javax.net.ssl.TrustManagerFactory.getInstance(
        javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    javax.net.ssl.SSLContext ctx = javax.net.ssl.SSLContext.getInstance("TLS");
    ctx.init(null, tmf.getTrustManagers(), null);
    return HttpClient.newBuilder().sslContext(ctx).build();
  }

  @Test
  void httpsDoor_refusedUnsignedRequest_countedWithItsOperation_connectionsPerDoor()
      throws Exception {
    d = new TestDaemon(c -> listening(c, "127.0.0.1:0").withHttps(c.https()
        .withHttpsListen(HostPort.parse("127.0.0.1:0"))));
    String endpoint = d.daemon.endpointUrls().get(0);
    HttpResponse<String> refused = trustingDaemon().send(HttpRequest.newBuilder(
        URI.create(endpoint + "/")).header("X-Amz-Target", "TrentService.ListKeys")
        .header("Content-Type", "application/x-amz-json-1.1")
        .POST(HttpRequest.BodyPublishers.ofString("{}")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(400, refused.statusCode(), refused.body());
    Map<String, Double> s = samples(scrape());
    assertEquals(1.0, s.entrySet().stream()
        .filter(e -> e.getKey().startsWith("coffer_requests_total{operation=\"ListKeys\""))
        .mapToDouble(Map.Entry::getValue).sum(), s::toString);
    assertFalse(s.containsKey(
        "coffer_requests_total{operation=\"ListKeys\",outcome=\"success\"}"));
    assertTrue(s.containsKey("coffer_connections{door=\"https\"}"), s::toString);
    assertTrue(s.containsKey("coffer_connections{door=\"socket\"}"), s::toString);
  }

  @Test
  void noMetricsListen_noEndpoint() throws Exception {
    d = new TestDaemon();
    assertEquals(Optional.empty(), d.daemon.metricsUrl());
  }
}
