package dev.coffer.daemon.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The listener's TLS policy seen from clients: an RSA operator certificate (so static-RSA key
 * exchange would be possible if the policy allowed it) served by the real HttpsServer, probed by
 * a JDK SSLSocket and by {@code openssl s_client}.
 */
class TlsPolicyTest {

  @TempDir static Path dir;
  static HttpsServer server;

  @BeforeAll
  static void start() throws Exception {
    Path[] pair = TlsMaterialTest.opensslRsaPair(dir);
    server = new HttpsServer("127.0.0.1", 0, Optional.of(TlsMaterial.fromPem(pair[0], pair[1])),
        HttpLimits.defaults(), StubKms.verifier(), new StubKms());
    server.start();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  /** Negotiation only: certificate trust is tested with the real clients elsewhere. */
  static SSLSocket client(String protocol, String suite) throws Exception {
    TrustManager acceptAll = new X509TrustManager() {
      @Override public void checkClientTrusted(X509Certificate[] c, String a) {}
      @Override public void checkServerTrusted(X509Certificate[] c, String a) {}
      @Override public X509Certificate[] getAcceptedIssuers() {
        return new X509Certificate[0];
      }
    };
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, new TrustManager[] {acceptAll}, new SecureRandom());
    SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", server.port());
    s.setSoTimeout(10_000);
    s.setEnabledProtocols(new String[] {protocol});
    assertTrue(Arrays.asList(s.getSupportedCipherSuites()).contains(suite), suite);
    s.setEnabledCipherSuites(new String[] {suite});
    return s;
  }

  @Test
  void staticRsaKeyExchangeIsRefusedAndEcdheIsAccepted() throws Exception {
    try (SSLSocket rsa = client("TLSv1.2", "TLS_RSA_WITH_AES_128_GCM_SHA256")) {
      assertThrows(SSLHandshakeException.class, rsa::startHandshake);
    }
    try (SSLSocket cbc = client("TLSv1.2", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256")) {
      assertThrows(SSLHandshakeException.class, cbc::startHandshake);
    }
    try (SSLSocket ecdhe = client("TLSv1.2", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256")) {
      ecdhe.startHandshake();
      assertEquals("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", ecdhe.getSession().getCipherSuite());
    }
    try (SSLSocket tls13 = client("TLSv1.3", "TLS_AES_128_GCM_SHA256")) {
      tls13.startHandshake();
      assertEquals("TLSv1.3", tls13.getSession().getProtocol());
    }
  }

  record Probe(boolean connected, String output) {}

  /** {@code openssl s_client} with security level 0, so only the server can say no. */
  static Probe openssl(String... options) throws Exception {
    List<String> command = new java.util.ArrayList<>(List.of("openssl", "s_client", "-connect",
        "127.0.0.1:" + server.port()));
    command.addAll(List.of(options));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes());
    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    boolean connected = out.contains("Cipher is ") && !out.contains("Cipher is (NONE)");
    return new Probe(connected, out);
  }

  @Test
  void opensslSeesTls11AndNonForwardSecretOrCbcSuitesRefused() throws Exception {
    Probe tls11 = openssl("-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0");
    assertTrue(!tls11.connected() && tls11.output().contains("alert protocol version"), tls11.output());
    Probe rsa = openssl("-tls1_2", "-cipher", "AES128-GCM-SHA256:@SECLEVEL=0");
    assertTrue(!rsa.connected() && rsa.output().contains("handshake failure"), rsa.output());
    Probe cbc = openssl("-tls1_2", "-cipher", "ECDHE-RSA-AES128-SHA256:@SECLEVEL=0");
    assertTrue(!cbc.connected(), cbc.output());
    Probe ecdhe = openssl("-tls1_2", "-cipher", "ECDHE-RSA-AES256-GCM-SHA384");
    assertTrue(ecdhe.connected() && ecdhe.output().contains("Cipher is ECDHE-RSA-AES256-GCM-SHA384"),
        ecdhe.output());
    Probe tls13 = openssl("-tls1_3");
    assertTrue(tls13.connected() && tls13.output().contains("TLS_AES_256_GCM_SHA384"),
        tls13.output());
  }

  @Test
  void aTrickledTlsHandshakeOrASilentConnectionIsDropped() throws Exception {
    Path[] pair = TlsMaterialTest.opensslRsaPair(dir);
    try (HttpsServer quick = new HttpsServer("127.0.0.1", 0,
        Optional.of(TlsMaterial.fromPem(pair[0], pair[1])),
        new HttpLimits(256 * 1024, 16 * 1024, java.time.Duration.ofSeconds(75),
            java.time.Duration.ofMillis(400), 64, java.time.Duration.ofSeconds(5), 4, 16),
        StubKms.verifier(), new StubKms())) {
      quick.start();
      // A TLS record header announcing a ClientHello, then one byte at a time.
      byte[] hello = {0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, (byte) 0xfc, 0x03, 0x03};
      for (boolean silent : new boolean[] {false, true}) {
        long started = System.nanoTime();
        boolean dropped = false;
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", quick.port())) {
          s.setSoTimeout(200);
          for (int i = 0; i < 60 && !dropped; i++) {
            try {
              if (!silent) {
                s.getOutputStream().write(hello[i % hello.length]);
                s.getOutputStream().flush();
              }
              dropped = s.getInputStream().read() < 0;
            } catch (java.net.SocketTimeoutException stillOpen) {
              // keep going
            } catch (java.io.IOException reset) {
              dropped = true;
            }
          }
        }
        long took = (System.nanoTime() - started) / 1_000_000;
        assertTrue(dropped, (silent ? "silent" : "trickling") + " connection never dropped");
        assertTrue(took < 5_000, "dropped only after " + took + " ms");
      }
    }
  }
}
