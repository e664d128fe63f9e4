package dev.coffer.conformance;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kms.KmsClient;

/**
 * Slowloris against a real {@code coffer serve} over TLS: 120 connections from other loopback
 * addresses trickle request bodies and heads, finish a TLS handshake and send nothing, or do not
 * even start TLS; meanwhile SDK v2 {@code Encrypt} calls are answered promptly, and every slow
 * connection is closed within the documented request-read deadline
 * ({@code https-request-read-timeout-seconds}, here 8 s).
 */
class HttpsSlowClientsConformanceTest {

  static final String REGION = "us-east-1";
  static final long DEADLINE_MILLIS = 8_000;
  /** Scheduling slack on a loaded machine. */
  static final long SLACK_MILLIS = 4_000;

  static DaemonProcess daemon;
  static String accessKeyId;
  static String secret;
  static String keyId;

  @BeforeAll
  static void start() throws Exception {
    HttpsTenant tenant = HttpsTenant.start(REGION, "patient", Map.of("https-request-read-timeout-seconds", "8"));
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

  /** One slow connection: what it still has to send, and when the daemon closed it. */
  static final class Slow {
    final String kind;
    final Socket tcp;
    final OutputStream out;
    final long openedNanos = System.nanoTime();
    final byte[] drip;
    int dripped;
    long closedNanos = -1;

    /**
     * @param tcp the TCP socket, read directly to see the daemon close it (what arrives on it
     *     after the handshake is only TLS housekeeping, never read through TLS here)
     * @param out where the drip goes: the TLS socket's stream, or {@code tcp}'s
     */
    Slow(String kind, Socket tcp, OutputStream out, byte[] drip) throws IOException {
      this.kind = kind;
      this.tcp = tcp;
      this.out = out;
      this.drip = drip;
      tcp.setSoTimeout(1);
    }

    void tick() {
      if (closedNanos >= 0) {
        return;
      }
      try {
        if (dripped < drip.length) {
          out.write(drip, dripped++, 1);
          out.flush();
        }
        InputStream in = tcp.getInputStream();
        byte[] sink = new byte[4096];
        while (in.read(sink) >= 0) {
          // TLS housekeeping (session tickets): keep reading until the timeout or the end
        }
        closedNanos = System.nanoTime();
      } catch (SocketTimeoutException stillOpen) {
        // nothing more to read: the connection is still open
      } catch (IOException closed) {
        closedNanos = System.nanoTime();
      }
    }

    long lifeMillis() {
      return ((closedNanos < 0 ? System.nanoTime() : closedNanos) - openedNanos) / 1_000_000;
    }
  }

  @Test
  void slowClientsDelayNobodyAndAreClosedByTheDeadline() throws Exception {
    SSLContext tls = SSLContext.getInstance("TLS");
    tls.init(null, AwsClients.trustManagers(daemon.caBundle()), null);
    InetAddress server = InetAddress.getByName("127.0.0.1");
    byte[] head = ("POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Amz-Target: TrentService.Encrypt\r\n"
        + "Content-Type: application/x-amz-json-1.1\r\nContent-Length: 1000\r\n\r\n")
        .getBytes(StandardCharsets.US_ASCII);
    byte[] body = "x".repeat(1000).getBytes(StandardCharsets.US_ASCII);
    List<Slow> slow = new java.util.concurrent.CopyOnWriteArrayList<>();
    // Watching starts with the first connection, so each is timed from its own opening.
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
    java.util.concurrent.ExecutorService openers = Executors.newFixedThreadPool(8);
    try {
      List<Future<?>> opened = new ArrayList<>();
      for (int n = 0; n < 120; n++) {
        int i = n;
        opened.add(openers.submit(() -> {
          InetAddress source = InetAddress.getByName("127.0.0." + (2 + i % 4));
          Socket tcp = new Socket(server, daemon.httpsPort(), source, 0);
          if (i >= 110) { // TCP only: the TLS handshake never starts
            slow.add(new Slow("no TLS handshake", tcp, tcp.getOutputStream(), new byte[0]));
            return null;
          }
          SSLSocket s = (SSLSocket) tls.getSocketFactory().createSocket(tcp, "127.0.0.1",
              daemon.httpsPort(), true);
          s.startHandshake();
          if (i < 80) {
            s.getOutputStream().write(head);
            s.getOutputStream().flush();
            slow.add(new Slow("slow body", tcp, s.getOutputStream(), body));
          } else if (i < 100) {
            slow.add(new Slow("slow head", tcp, s.getOutputStream(), head));
          } else {
            slow.add(new Slow("silent after TLS", tcp, s.getOutputStream(), new byte[0]));
          }
          return null;
        }));
      }
      for (Future<?> f : opened) {
        f.get(60, TimeUnit.SECONDS);
      }
      List<Long> latencies = new ArrayList<>();
      long openMeanwhile = slow.stream().filter(x -> x.closedNanos < 0).count();
      try (KmsClient kms = AwsClients.kms(daemon, REGION, accessKeyId, secret)) {
        for (int i = 0; i < 5; i++) {
          long started = System.nanoTime();
          kms.encrypt(b -> b.keyId(keyId).plaintext(SdkBytes.fromUtf8String("on time")));
          latencies.add((System.nanoTime() - started) / 1_000_000);
        }
        long until = System.nanoTime() + (DEADLINE_MILLIS + SLACK_MILLIS) * 1_000_000;
        while (System.nanoTime() < until && slow.stream().anyMatch(s -> s.closedNanos < 0)) {
          Thread.sleep(100);
        }
      } finally {
        dripper.interrupt();
        dripper.join();
      }
      System.out.println("SDK v2 Encrypt latencies (ms) while " + openMeanwhile
          + " slow clients were open: " + latencies);
      System.out.println("slow connections' lives (ms): " + slow.stream().collect(
          java.util.stream.Collectors.groupingBy(x -> x.kind, java.util.stream.Collectors
              .summarizingLong(Slow::lifeMillis))));
      for (long ms : latencies) {
        assertTrue(ms < 4_000, "Encrypt waited " + ms + " ms behind slow clients: " + latencies);
      }
      for (Slow s : slow) {
        assertTrue(s.closedNanos >= 0 && s.lifeMillis() <= DEADLINE_MILLIS + SLACK_MILLIS,
            s.kind + " connection open for " + s.lifeMillis() + " ms"
                + (s.closedNanos < 0 ? " and still open" : ""));
      }
    } finally {
      openers.shutdownNow();
      dripper.interrupt();
      dripper.join();
      for (Slow s : slow) {
        s.tcp.close();
      }
    }
  }
}
