package dev.coffer.daemon;

import dev.coffer.daemon.accesskey.AccessKeyStore;
import dev.coffer.daemon.audit.AuditTrail;
import dev.coffer.daemon.audit.RefusedRequestAudit;
import dev.coffer.daemon.config.DaemonConfig;
import dev.coffer.daemon.config.HttpsSettings;
import dev.coffer.daemon.config.MonitoringSettings;
import dev.coffer.daemon.http.AwsEndpoints;
import dev.coffer.daemon.metrics.DaemonMetrics;
import dev.coffer.daemon.metrics.MetricsServer;
import dev.coffer.daemon.ops.OperationTable;
import dev.coffer.daemon.ops.RequestPipeline;
import dev.coffer.daemon.server.SocketServer;
import java.io.IOException;
import java.security.SecureRandom;
import java.util.Optional;

/**
 * How the daemon's doors are opened from its configuration: the Unix socket and the
 * AWS-compatible endpoint(s), each over the one request pipeline and counted in {@link
 * DaemonMetrics}, and the metrics endpoint. {@link Daemon} holds them and closes them in its own
 * shutdown order.
 */
final class Doors {

  private Doors() {}

  /** The Unix socket of {@code socket}; its connections counted as door {@code socket}. */
  static SocketServer openSocket(DaemonConfig config, OperationTable table,
      RequestPipeline pipeline, AuditTrail trail, RefusedRequestAudit refusedRequests,
      DaemonMetrics metrics) throws IOException {
    SocketServer server = new SocketServer(config.socket(), table,
        config.maxFrameBytes(), config.maxConnections(), config.workerThreads(), trail,
        config.clock(), config.access().socketMode(), config.access().socketGroup(),
        config.connectionLimits(), pipeline, refusedRequests);
    metrics.addDoor("socket", server::openConnections);
    return server;
  }

  /**
   * The AWS-compatible endpoint(s) of {@code https-listen} and {@code http-listen}, if set: the
   * same request pipeline as the socket, reached with SigV4 and access keys
   * (docs/https-endpoint.md).
   */
  static AwsEndpoints startEndpoints(DaemonConfig config, AccessKeyStore accessKeys,
      RequestPipeline pipeline, AuditTrail trail, SecureRandom random, DaemonMetrics metrics)
      throws IOException {
    AwsEndpoints endpoints = AwsEndpoints.start(config.https(), config.home(), config.clock(),
        config.region(), config.partition(), config.account(), accessKeys, pipeline, trail,
        random);
    endpoints.https().ifPresent(s -> metrics.addDoor("https", s::openConnections));
    endpoints.http().ifPresent(s -> metrics.addDoor("http", s::openConnections));
    return endpoints;
  }

  /**
   * {@code /metrics} at {@code metrics-listen} (docs/operations.md, "Metrics"); null when that
   * is not set.
   */
  static MetricsServer startMetrics(DaemonConfig config, SecureRandom random,
      DaemonMetrics metrics) throws IOException {
    MonitoringSettings m = config.monitoring();
    if (m.metricsListen().isEmpty()) {
      return null;
    }
    return MetricsServer.start(m.metricsListen().get(), m.metricsTls()
        ? Optional.of(AwsEndpoints.tlsMaterial(config.https(), config.home(), random,
            config.clock()).sslContext()) : Optional.empty(),
        metrics);
  }

  /**
   * The URL of {@code server}, e.g. {@code http://127.0.0.1:9464/metrics}; empty when it is
   * null (no {@code metrics-listen}).
   */
  static Optional<String> metricsUrl(MonitoringSettings m, MetricsServer server) {
    if (server == null) {
      return Optional.empty();
    }
    return Optional.of((m.metricsTls() ? "https://" : "http://") + new HttpsSettings.HostPort(
        m.metricsListen().get().host(), server.port()) + "/metrics");
  }
}
