package dev.coffer.daemon.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The metrics and expiry-event keys of {@code coffer.properties}, read strictly. */
class MonitoringSettingsTest {

  private Path home;

  @BeforeEach
  void home() throws IOException {
    home = Files.createTempDirectory(Path.of("/tmp"), "cms");
  }

  @AfterEach
  void clean() throws IOException {
    try (var s = Files.walk(home)) {
      s.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    }
  }

  private MonitoringSettings load(String text) throws IOException {
    Files.writeString(home.resolve("coffer.properties"), text);
    return DaemonConfig.fromEnvironment(home, home.resolve("coffer.sock")).monitoring();
  }

  @Test
  void defaults_noEndpoint_warnings30And7_auditOnly() throws IOException {
    MonitoringSettings m = load("");
    assertEquals(Optional.empty(), m.metricsListen());
    assertFalse(m.metricsTls());
    assertEquals(List.of(30, 7), m.expiryWarningDays());
    assertEquals(Optional.empty(), m.webhook());
    assertEquals(List.of(), m.command());
  }

  @Test
  void everyKeyIsRead() throws IOException {
    MonitoringSettings m = load("metrics-listen=127.0.0.1:9464\nmetrics-tls=true\n"
        + "expiry-warning-days=7, 60 ,1\nexpiry-event-webhook=https://alerts.example/kms\n"
        + "expiry-event-command=/bin/sh -c \"cat >> /tmp/x\"\n"
        + "expiry-event-timeout-seconds=3\nexpiry-event-attempts=4\n");
    assertEquals(new HttpsSettings.HostPort("127.0.0.1", 9464), m.metricsListen().orElseThrow());
    assertTrue(m.metricsTls());
    assertEquals(List.of(60, 7, 1), m.expiryWarningDays());
    assertEquals(URI.create("https://alerts.example/kms"), m.webhook().orElseThrow());
    assertEquals(List.of("/bin/sh", "-c", "cat >> /tmp/x"), m.command());
    assertEquals(Duration.ofSeconds(3), m.deliveryTimeout());
    assertEquals(4, m.deliveryAttempts());
  }

  @Test
  void portAlone_loopback_offDisables_noneDisablesWarnings() throws IOException {
    assertEquals(new HttpsSettings.HostPort("127.0.0.1", 9500),
        load("metrics-listen=9500\n").metricsListen().orElseThrow());
    assertEquals(Optional.empty(), load("metrics-listen=off\n").metricsListen());
    assertEquals(List.of(), load("expiry-warning-days=none\n").expiryWarningDays());
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "metrics-listen=localhost|metrics-listen",
      "metrics-listen=127.0.0.1:70000|metrics-listen",
      "metrics-listen=on|metrics-listen",
      "metrics-tls=yes|metrics-tls",
      "expiry-warning-days=30,30|expiry-warning-days",
      "expiry-warning-days=0|expiry-warning-days",
      "expiry-warning-days=7.5|expiry-warning-days",
      "expiry-warning-days=|expiry-warning-days",
      "expiry-event-webhook=ftp://h/x|expiry-event-webhook",
      "expiry-event-webhook=/relative|expiry-event-webhook",
      "expiry-event-command=notify-send|expiry-event-command",
      "expiry-event-command=/no/such/program|expiry-event-command",
      "expiry-event-timeout-seconds=0|expiry-event-timeout-seconds",
      "expiry-event-attempts=0|expiry-event-attempts",
      "expiry-warnings-days=7|did you mean 'expiry-warning-days'",
  })
  void invalid_refusedNamingTheKey(String line, String named) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> load(line + "\n"));
    assertTrue(e.getMessage().contains(named), e.getMessage());
  }
}
