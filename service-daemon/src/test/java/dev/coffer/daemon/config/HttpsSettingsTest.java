package dev.coffer.daemon.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coffer.daemon.Daemon;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The HTTPS endpoint's {@code coffer.properties} keys, read like every other setting. */
class HttpsSettingsTest {

  private Path home;

  @BeforeEach
  void home() throws IOException {
    home = Files.createTempDirectory(Path.of("/tmp"), "chs");
  }

  @AfterEach
  void clean() throws IOException {
    try (var s = Files.walk(home)) {
      s.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    }
  }

  private DaemonConfig load(String text) throws IOException {
    Files.writeString(home.resolve("coffer.properties"), text);
    return DaemonConfig.fromEnvironment(home, home.resolve("coffer.sock"));
  }

  @Test
  void noListenSettings_noEndpoint() throws IOException {
    assertFalse(load("region=us-east-1\n").https().enabled());
  }

  @Test
  void everyKeyIsRead() throws IOException {
    HttpsSettings h = load("https-listen=0.0.0.0:8443\nhttp-listen=[::1]:8080\n"
        + "https-names=kms.example, 10.0.0.5\nhttps-certificate-file=tls/cert.pem\n"
        + "https-private-key-file=tls/key.pem\nhttps-max-body-bytes=65536\n"
        + "https-max-connections=10\nhttps-idle-timeout-seconds=90\n"
        + "https-request-read-timeout-seconds=5\nhttps-max-threads=16\n"
        + "https-max-requests-per-key=3\nhttps-max-connections-per-source=7\n").https();
    assertEquals(new HttpsSettings.HostPort("0.0.0.0", 8443), h.httpsListen().orElseThrow());
    assertEquals(new HttpsSettings.HostPort("::1", 8080), h.httpListen().orElseThrow());
    assertEquals("[::1]:8080", h.httpListen().orElseThrow().toString());
    assertEquals(List.of("kms.example", "10.0.0.5"), h.names());
    assertEquals(Path.of("tls/cert.pem"), h.certificateFile());
    assertEquals(65536, h.maxBodyBytes());
    assertEquals(10, h.maxConnections());
    assertEquals(Duration.ofSeconds(90), h.idleTimeout());
    assertEquals(Duration.ofSeconds(5), h.requestReadTimeout());
    assertEquals(16, h.maxThreads());
    assertEquals(3, h.maxRequestsPerKey());
    assertEquals(7, h.maxConnectionsPerSource());
  }

  @Test
  void badValuesAreRefusedNamingTheKey() {
    String m = assertThrows(IllegalArgumentException.class,
        () -> load("https-listen=8443\n")).getMessage();
    assertTrue(m.contains("'https-listen'") && m.contains("HOST:PORT"), m);
    m = assertThrows(IllegalArgumentException.class,
        () -> load("https-listen=localhost:99999\n")).getMessage();
    assertTrue(m.contains("'https-listen'"), m);
    m = assertThrows(IllegalArgumentException.class,
        () -> load("https-pkcs12-file=server.p12\n")).getMessage();
    assertTrue(m.contains("https-pkcs12-password-file"), m);
    m = assertThrows(IllegalArgumentException.class,
        () -> load("https-listn=0.0.0.0:8443\n")).getMessage();
    assertTrue(m.contains("did you mean 'https-listen'"), m);
  }

  @Test
  void plainHttpOffLoopback_stopsTheStart() throws IOException {
    DaemonConfig c = load("http-listen=0.0.0.0:0\n");
    String m = assertThrows(IllegalArgumentException.class, () -> Daemon.start(c)).getMessage();
    assertTrue(m.contains("plain HTTP is refused on 0.0.0.0"), m);
  }
}
