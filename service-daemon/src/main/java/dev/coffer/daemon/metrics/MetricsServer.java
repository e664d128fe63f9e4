package dev.coffer.daemon.metrics;

import com.sun.net.httpserver.HttpsConfigurator;
import dev.coffer.daemon.config.HttpsSettings.HostPort;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import javax.net.ssl.SSLContext;

/**
 * {@code GET /metrics} over HTTP(S): the Prometheus Java client's own exporter (a JDK {@code
 * HttpServer}) serving {@link DaemonMetrics#registry()} in the text exposition format (or
 * OpenMetrics/protobuf when the scraper asks for it in {@code Accept}).
 *
 * <p>Plain HTTP only on a loopback address, as {@code http-listen}: the figures are no secret,
 * but key ids and request rates are nobody else's business on the network. Elsewhere set {@code
 * metrics-tls=true} (the HTTPS endpoint's certificate) or put a TLS proxy in front.
 */
public final class MetricsServer implements AutoCloseable {

  private final HTTPServer server;
  private final ExecutorService threads;

  private MetricsServer(HTTPServer server, ExecutorService threads) {
    this.server = server;
    this.threads = threads;
  }

  /**
   * Listens on {@code at} (port 0: a free port).
   *
   * @param tls the certificate and key to serve HTTPS with; empty for plain HTTP
   * @throws IllegalArgumentException for plain HTTP on a host that is not a loopback address
   * @throws IOException if the address cannot be bound (in use: says so, naming the setting)
   */
  public static MetricsServer start(HostPort at, Optional<SSLContext> tls, DaemonMetrics metrics)
      throws IOException {
    InetAddress address;
    try {
      address = InetAddress.getByName(at.host());
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("metrics-listen " + at + ": unknown host " + at.host());
    }
    if (tls.isEmpty() && !address.isLoopbackAddress()) {
      throw new IllegalArgumentException("metrics-listen " + at + " serves plain HTTP on an"
          + " address other hosts can reach; listen on 127.0.0.1 or ::1, or set"
          + " metrics-tls=true to serve HTTPS with the daemon's certificate");
    }
    // Two threads: scrapes are rare and cheap; a slow scraper must not take more.
    ExecutorService threads = Executors.newFixedThreadPool(2, r -> {
      Thread t = new Thread(r, "coffer-metrics");
      t.setDaemon(true);
      return t;
    });
    HTTPServer.Builder b = HTTPServer.builder().inetAddress(address).port(at.port())
        .registry(metrics.registry()).executorService(threads);
    tls.ifPresent(ctx -> b.httpsConfigurator(new HttpsConfigurator(ctx)));
    try {
      return new MetricsServer(b.buildAndStart(), threads);
    } catch (IOException e) {
      threads.shutdownNow();
      throw new IOException("metrics-listen " + at + ": cannot listen (" + e.getMessage()
          + "); choose another port in coffer.properties, or metrics-listen=off", e);
    }
  }

  /** The bound port. */
  public int port() {
    return server.getPort();
  }

  @Override
  public void close() {
    server.close();
    threads.shutdownNow();
  }
}
