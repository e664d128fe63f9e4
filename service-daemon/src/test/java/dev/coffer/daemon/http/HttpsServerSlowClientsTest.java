package dev.coffer.daemon.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Slowloris of every shape against the real Jetty listener (plain HTTP on loopback, raw
 * sockets): clients that trickle a request head, trickle a body, never finish a body, send
 * nothing, or trickle the next request on a kept-alive connection. None of them may hold a
 * worker thread or delay other clients, and each is closed within the request-read deadline.
 * The attackers come from other loopback addresses (127.0.0.2-5) than the honest client
 * (127.0.0.1), as they would from other hosts.
 */
class HttpsServerSlowClientsTest {

  static final Duration DEADLINE = Duration.ofSeconds(6);
  /** Scheduling slack on a loaded machine, on top of the deadline. */
  static final long SLACK_MILLIS = 4_000;

  private final StubKms stub = new StubKms();
  private HttpsServer server;

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
  }

  /** One attacking connection and what it has seen. */
  static final class Slow {
    final String kind;
    final SocketChannel channel;
    final boolean timedFromFirstDrip;
    long timedFromNanos = System.nanoTime();
    final byte[] drip;
    int dripped;
    long closedNanos = -1;

    /**
     * @param timedFromFirstDrip false: the deadline runs from opening (a first request); true:
     *     from the first byte dripped (a later request on a kept-alive connection)
     */
    Slow(String kind, SocketChannel channel, byte[] drip, boolean timedFromFirstDrip) {
      this.kind = kind;
      this.timedFromFirstDrip = timedFromFirstDrip;
      this.channel = channel;
      this.drip = drip;
    }

    /** Sends the next byte (if any) and notes when the server closed the connection. */
    void tick() {
      if (closedNanos >= 0) {
        return;
      }
      try {
        if (dripped < drip.length) {
          if (dripped == 0 && timedFromFirstDrip) {
            timedFromNanos = System.nanoTime();
          }
          channel.write(ByteBuffer.wrap(drip, dripped, 1));
          dripped++;
        }
        ByteBuffer sink = ByteBuffer.allocate(4096);
        int n;
        while ((n = channel.read(sink)) > 0) {
          sink.clear(); // a kept-alive connection's first answer, or an error answer
        }
        if (n < 0) {
          closedNanos = System.nanoTime();
        }
      } catch (IOException reset) {
        closedNanos = System.nanoTime();
      }
    }

    long lifeMillis() {
      return ((closedNanos < 0 ? System.nanoTime() : closedNanos) - timedFromNanos) / 1_000_000;
    }
  }

  static SocketChannel connect(String source, int port) throws IOException {
    SocketChannel c = SocketChannel.open();
    c.bind(new InetSocketAddress(InetAddress.getByName(source), 0));
    c.connect(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), port));
    c.configureBlocking(false);
    return c;
  }

  /**
   * A request as botocore signs it, as raw bytes (signed once per test: botocore runs in a
   * python process, too slow to time requests by; the signature stays valid for minutes).
   */
  static byte[] signed(int port) throws Exception {
    SignedRequest r = Signers.botocore("http://127.0.0.1:" + port + "/",
        Map.of("X-Amz-Target", "TrentService.DescribeKey",
            "Content-Type", "application/x-amz-json-1.1"),
        "{\"KeyId\": \"alias/test\"}", StubKms.AKID, StubKms.SECRET, null, "us-east-1");
    Map<String, String> headers = new LinkedHashMap<>();
    for (String name : r.headers().names()) {
      headers.put(name, r.headers().first(name).orElseThrow());
    }
    return HttpsServerLimitsTest.http("POST", "/", headers,
        new String(r.body(), StandardCharsets.UTF_8));
  }

  /** {@code request} from 127.0.0.1 on a fresh connection; its latency in milliseconds. */
  static long honestRequest(int port, byte[] request) throws Exception {
    long started = System.nanoTime();
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 30_000);
      s.setSoTimeout(30_000);
      s.getOutputStream().write(request);
      s.getOutputStream().flush();
      HttpsServerLimitsTest.Answer a = HttpsServerLimitsTest.read(s.getInputStream());
      assertEquals(200, a.status(), a.toString());
    }
    return (System.nanoTime() - started) / 1_000_000;
  }

  @Test
  void manySlowClientsHoldNoThreadsDelayNobodyAndAreClosedByTheDeadline() throws Exception {
    // The default pool (8-64 threads) and connection limit: 150 attackers outnumber the threads.
    HttpLimits d = HttpLimits.defaults();
    server = new HttpsServer("127.0.0.1", 0, Optional.empty(), new HttpLimits(d.maxBodyBytes(),
        d.maxHeaderBytes(), d.idleTimeout(), DEADLINE, d.maxConnections(),
        d.idleTimeoutAtLimit(), d.minThreads(), d.maxThreads()), StubKms.verifier(), stub);
    server.start();
    int port = server.port();
    byte[] signed = signed(port);
    byte[] head = ("POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Amz-Target: TrentService.Encrypt\r\n"
        + "Content-Type: application/x-amz-json-1.1\r\nContent-Length: 1000\r\n\r\n")
        .getBytes(StandardCharsets.US_ASCII);
    byte[] body = "x".repeat(1000).getBytes(StandardCharsets.US_ASCII);
    List<Slow> slow = new ArrayList<>();
    for (int i = 0; i < 150; i++) {

      String source = "127.0.0." + (2 + i % 4);
      SocketChannel c = connect(source, port);
      Slow s;
      if (i < 90) { // a whole head at once, then a body that trickles
        c.write(ByteBuffer.wrap(head));
        s = new Slow("slow body", c, body, false);
      } else if (i < 120) { // a head that trickles
        s = new Slow("slow head", c, head, false);
      } else if (i < 135) { // a complete request, then the next one trickles
        c.configureBlocking(true);
        c.write(ByteBuffer.wrap(signed));
        c.configureBlocking(false);
        s = new Slow("slow second request", c, head, true);
      } else { // nothing at all
        s = new Slow("silent", c, new byte[0], false);
      }
      slow.add(s);
    }
    Thread dripper = new Thread(() -> {
      while (!Thread.currentThread().isInterrupted()) {
        slow.forEach(Slow::tick);
        try {
          Thread.sleep(250);
        } catch (InterruptedException e) {
          return;
        }
      }
    });
    dripper.start();
    List<Long> latencies = new ArrayList<>();
    try {
      Thread.sleep(1_000); // every attacker is mid-request now
      for (int i = 0; i < 5; i++) {
        latencies.add(honestRequest(port, signed));
      }
      long waitUntil = System.nanoTime() + (DEADLINE.toMillis() + SLACK_MILLIS) * 1_000_000;
      while (System.nanoTime() < waitUntil && slow.stream().anyMatch(s -> s.closedNanos < 0)) {
        Thread.sleep(100);
      }
    } finally {
      dripper.interrupt();
      dripper.join();
      for (Slow s : slow) {
        s.channel.close();
      }
    }
    System.out.println("honest request latencies (ms) while 150 trickle: " + latencies);
    System.out.println("slow connections' lives (ms): " + slow.stream()
        .collect(java.util.stream.Collectors.groupingBy(x -> x.kind, java.util.stream.Collectors
            .mapping(Slow::lifeMillis, java.util.stream.Collectors.toList()))));
    for (long ms : latencies) {
      assertTrue(ms < 4_000, "an honest request waited " + ms + " ms behind slow clients: "
          + latencies);
    }
    for (Slow s : slow) {
      assertTrue(s.closedNanos >= 0, s.kind + " connection still open after " + s.lifeMillis()
          + " ms");
      assertTrue(s.lifeMillis() <= DEADLINE.toMillis() + SLACK_MILLIS,
          s.kind + " connection closed only after " + s.lifeMillis() + " ms");
    }
    System.out.println("slow connections closed after (ms): max "
        + slow.stream().mapToLong(Slow::lifeMillis).max().orElse(0));
    assertTrue(stub.requests.size() >= 5 + 15, "honest and first kept-alive requests answered");
  }

  @Test
  void oneSourceGetsAtMostItsShareOfConnections() throws Exception {
    HttpLimits d = HttpLimits.defaults();
    server = new HttpsServer("127.0.0.1", 0, Optional.empty(), new HttpLimits(d.maxBodyBytes(),
        d.maxHeaderBytes(), d.idleTimeout(), Duration.ofSeconds(30), d.maxConnections(),
        d.idleTimeoutAtLimit(), d.minThreads(), d.maxThreads(), 4), StubKms.verifier(), stub);
    server.start();
    List<Socket> sockets = new ArrayList<>();
    try {
      for (int i = 0; i < 7; i++) {
        Socket s = new Socket(InetAddress.getByName("127.0.0.1"), server.port(),
            InetAddress.getByName("127.0.0.2"), 0);
        sockets.add(s);
        Thread.sleep(50); // in order, so the first four are the ones kept
      }
      for (int i = 0; i < 7; i++) {
        Socket s = sockets.get(i);
        s.setSoTimeout(i < 4 ? 500 : 5_000);
        int read;
        try {
          read = s.getInputStream().read();
        } catch (java.net.SocketTimeoutException stillOpen) {
          read = -2;
        } catch (IOException reset) {
          read = -1;
        }
        assertEquals(i < 4 ? -2 : -1, read, "connection " + i + " from one source");
      }
      // Another source is served meanwhile.
      assertTrue(honestRequest(server.port(), signed(server.port())) < 4_000);
    } finally {
      for (Socket s : sockets) {
        s.close();
      }
    }
  }

  @Test
  void abortedBodiesLogAtMostALineEachWithoutStackTraces() throws Exception {
    List<java.util.logging.LogRecord> records = new java.util.concurrent.CopyOnWriteArrayList<>();
    java.util.logging.Handler capture = new java.util.logging.Handler() {
      @Override
      public void publish(java.util.logging.LogRecord r) {
        if (r.getLevel().intValue() >= java.util.logging.Level.INFO.intValue()
            && (r.getLoggerName().startsWith("dev.coffer")
                || r.getLevel().intValue() >= java.util.logging.Level.WARNING.intValue())) {
          records.add(r);
        }
      }

      @Override
      public void flush() { }

      @Override
      public void close() { }
    };
    java.util.logging.Logger root = java.util.logging.Logger.getLogger("");
    root.addHandler(capture);
    try {
      server = new HttpsServer("127.0.0.1", 0, Optional.empty(), HttpLimits.defaults(),
          StubKms.verifier(), stub);
      server.start();
      byte[] partial = ("POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\n"
          + "{\"KeyId\":").getBytes(StandardCharsets.US_ASCII);
      for (int i = 0; i < 40; i++) {
        try (Socket s = new Socket("127.0.0.1", server.port())) {
          s.getOutputStream().write(partial);
          s.getOutputStream().flush();
          Thread.sleep(20);
          if (i % 2 == 0) {
            s.setSoLinger(true, 0); // reset rather than close
          }
        }
      }
      Thread.sleep(1_000);
      honestRequest(server.port(), signed(server.port())); // asserts 200
    } finally {
      root.removeHandler(capture);
    }
    List<String> shown = records.stream().map(r -> r.getLevel() + " " + r.getLoggerName() + ": "
        + r.getMessage() + (r.getThrown() == null ? "" : " [" + r.getThrown() + "]")).toList();
    assertTrue(records.stream().noneMatch(r -> r.getThrown() != null), shown::toString);
    assertTrue(records.stream().noneMatch(
        r -> r.getLevel().intValue() >= java.util.logging.Level.WARNING.intValue()),
        shown::toString);
    assertTrue(records.stream().filter(r -> r.getLoggerName().startsWith("dev.coffer")).count()
        <= 1, shown::toString);
  }

  @Test
  void aBodyArrivingInPiecesWithinTheDeadlineIsAnswered() throws Exception {
    server = new HttpsServer("127.0.0.1", 0, Optional.empty(), HttpLimits.defaults(),
        StubKms.verifier(), stub);
    server.start();
    byte[] request = signed(server.port());
    int bodyStart = new String(request, StandardCharsets.ISO_8859_1).indexOf("\r\n\r\n") + 4;
    try (Socket s = new Socket("127.0.0.1", server.port())) {
      s.setSoTimeout(10_000);
      var out = s.getOutputStream();
      // The head, then the body in three pieces: the reader waits for each without a thread,
      // and the last piece's callback runs the request.
      out.write(request, 0, bodyStart);
      out.flush();
      int third = (request.length - bodyStart) / 3;
      for (int from = bodyStart; from < request.length; from += third) {
        Thread.sleep(300);
        out.write(request, from, Math.min(third, request.length - from));
        out.flush();
      }
      HttpsServerLimitsTest.Answer a = HttpsServerLimitsTest.read(s.getInputStream());
      assertEquals(200, a.status(), a.toString());
      // The connection stays usable for the next request.
      out.write(request);
      out.flush();
      assertEquals(200, HttpsServerLimitsTest.read(s.getInputStream()).status());
    }
  }

  /**
   * The request-read deadline holds over TLS on a kept-alive connection too: a client that
   * drips the bytes of its next TLS record (which never decrypts into anything the HTTP layer
   * sees, while each byte keeps the idle timeout from firing) is closed at the deadline.
   */
  @Test
  void aTlsRecordTrickledAfterAnAnswerIsClosedByTheDeadline(@TempDir Path home)
      throws Exception {
    TlsMaterial tls = TlsMaterial.selfSigned(home.resolve("https"), List.of("127.0.0.1"),
        new SecureRandom(), Clock.systemUTC());
    HttpLimits d = HttpLimits.defaults();
    server = new HttpsServer("127.0.0.1", 0, Optional.of(tls), new HttpLimits(d.maxBodyBytes(),
        d.maxHeaderBytes(), d.idleTimeout(), Duration.ofSeconds(2), d.maxConnections(),
        d.idleTimeoutAtLimit(), d.minThreads(), d.maxThreads()), StubKms.verifier(), stub);
    server.start();
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("coffer", tls.certificateChain().get(0));
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, tmf.getTrustManagers(), null);
    try (Socket tcp = new Socket("127.0.0.1", server.port());
        SSLSocket s = (SSLSocket) context.getSocketFactory()
            .createSocket(tcp, "127.0.0.1", server.port(), false)) {
      s.setSoTimeout(10_000);
      s.getOutputStream().write(signed(server.port()));
      s.getOutputStream().flush();
      assertEquals(200, HttpsServerLimitsTest.read(s.getInputStream()).status());
      // The header of an application-data record of 64 bytes, then its bytes, one at a time.
      byte[] record = new byte[5 + 64];
      record[0] = 0x17;
      record[1] = 0x03;
      record[2] = 0x03;
      record[4] = 64;
      tcp.setSoTimeout(50);
      long start = System.nanoTime();
      long closedAfter = -1;
      for (int i = 0; i < record.length && closedAfter < 0; i++) {
        try {
          tcp.getOutputStream().write(record[i]);
          tcp.getOutputStream().flush();
          Thread.sleep(250);
          if (tcp.getInputStream().read() < 0) {
            closedAfter = (System.nanoTime() - start) / 1_000_000;
          }
        } catch (java.net.SocketTimeoutException stillOpen) {
          // nothing to read: the server keeps the connection
        } catch (IOException reset) {
          closedAfter = (System.nanoTime() - start) / 1_000_000;
        }
      }
      assertTrue(closedAfter >= 0 && closedAfter < 2_000 + SLACK_MILLIS,
          "closed after " + closedAfter + " ms (-1: still open after 69 bytes over ~17 s)");
    }
  }

  /**
   * One IPv6 /64 is one source for the per-source connection share, as for the audit of failed
   * authentications: a host with many addresses in its /64 gets one share, not one per address.
   */
  @Test
  void theAddressesOfOneIpv6Slash64ShareOneConnectionShare() throws Exception {
    InetAddress a = InetAddress.getByName("2001:db8:1:2::a");
    InetAddress b = InetAddress.getByName("2001:db8:1:2:ffff:ffff:ffff:fffe");
    InetAddress other = InetAddress.getByName("2001:db8:1:3::a");
    assertEquals(ConnectionGuard.shareOf(a), ConnectionGuard.shareOf(b));
    assertTrue(!ConnectionGuard.shareOf(a).equals(ConnectionGuard.shareOf(other)));
    InetAddress v4 = InetAddress.getByName("192.0.2.7");
    assertEquals(v4, ConnectionGuard.shareOf(v4));
    assertTrue(!v4.equals(ConnectionGuard.shareOf(InetAddress.getByName("192.0.2.8"))));
  }
}
