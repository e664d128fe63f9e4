package dev.coffer.daemon.http;

import dev.coffer.daemon.accesskey.AccessKeyStore;
import dev.coffer.daemon.audit.AuditSink;
import dev.coffer.daemon.config.HttpsSettings;
import dev.coffer.daemon.ops.RequestPipeline;
import java.io.IOException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The AWS-compatible endpoints of {@code https-listen} and {@code http-listen}
 * (docs/https-endpoint.md): one {@link HttpsServer} each, both over the daemon's one request
 * pipeline, reached with SigV4 and access keys.
 */
public final class AwsEndpoints implements AutoCloseable {

  private final HttpsSettings settings;
  private final Optional<HttpsServer> https;
  private final Optional<HttpsServer> http;

  private AwsEndpoints(HttpsSettings settings, Optional<HttpsServer> https,
      Optional<HttpsServer> http) {
    this.settings = settings;
    this.https = https;
    this.http = http;
  }

  /** No endpoint: neither setting is given. */
  public static AwsEndpoints none(HttpsSettings settings) {
    return new AwsEndpoints(settings, Optional.empty(), Optional.empty());
  }

  /**
   * Starts the configured endpoints; none when {@code settings} enables none.
   *
   * @param home the data directory: Coffer's own certificate lives in {@code home/https}, and
   *     relative certificate paths of {@code settings} resolve against it
   * @param region the SigV4 region requests must be scoped to
   * @throws IOException when a port cannot be bound or the TLS material cannot be read
   */
  public static AwsEndpoints start(HttpsSettings settings, Path home, Clock clock, String region,
      String partition, String account, AccessKeyStore accessKeys, RequestPipeline pipeline,
      AuditSink trail, SecureRandom random) throws IOException {
    if (!settings.enabled()) {
      return none(settings);
    }
    HttpsSettings h = settings;
    HttpLimits limits = new HttpLimits(h.maxBodyBytes(), HttpLimits.defaults().maxHeaderBytes(),
        h.idleTimeout(), h.requestReadTimeout(), h.maxConnections(),
        HttpLimits.defaults().idleTimeoutAtLimit(), Math.min(8, h.maxThreads() - 2),
        h.maxThreads(), Math.min(h.maxConnectionsPerSource(), h.maxConnections()));
    StoredAccessKeys keys = new StoredAccessKeys(accessKeys);
    SigV4Verifier verifier = new SigV4Verifier(clock, Set.of(region), "kms", keys);
    PipelineHandler handler = new PipelineHandler(pipeline, keys, partition, account, trail,
        clock, h.maxRequestsPerKey());
    List<HttpsServer> started = new ArrayList<>();
    try {
      Optional<HttpsServer> https = Optional.empty();
      Optional<HttpsServer> http = Optional.empty();
      if (h.httpsListen().isPresent()) {
        HttpsSettings.HostPort at = h.httpsListen().get();
        https = Optional.of(new HttpsServer(at.host(), at.port(),
            Optional.of(tlsMaterial(h, home, random, clock)), limits, verifier, handler));
        started.add(https.get());
        https.get().start();
      }
      if (h.httpListen().isPresent()) {
        HttpsSettings.HostPort at = h.httpListen().get();
        http = Optional.of(new HttpsServer(at.host(), at.port(), Optional.empty(), limits,
            verifier, handler));
        started.add(http.get());
        http.get().start();
      }
      return new AwsEndpoints(settings, https, http);
    } catch (IOException | RuntimeException e) {
      started.forEach(HttpsServer::close);
      throw e;
    }
  }

  /** The operator's PKCS#12 or PEM pair if configured, else Coffer's own in {@code home/https}. */
  public static TlsMaterial tlsMaterial(HttpsSettings h, Path home, SecureRandom random,
      Clock clock) throws IOException {
    if (h.pkcs12File() != null) {
      char[] password = TlsMaterial.readPasswordFile(home.resolve(h.pkcs12PasswordFile()));
      try {
        return TlsMaterial.fromPkcs12(home.resolve(h.pkcs12File()), password);
      } finally {
        java.util.Arrays.fill(password, '\0');
      }
    }
    if (h.certificateFile() != null) {
      return TlsMaterial.fromPem(home.resolve(h.certificateFile()),
          home.resolve(h.privateKeyFile()));
    }
    return TlsMaterial.selfSigned(home.resolve("https"), h.names(), random, clock);
  }

  /** The {@code https-listen} endpoint, if set. */
  public Optional<HttpsServer> https() {
    return https;
  }

  /** The {@code http-listen} endpoint, if set. */
  public Optional<HttpsServer> http() {
    return http;
  }

  /**
   * The bound endpoints, e.g. {@code https://0.0.0.0:8443}, in the order https, http; empty
   * without {@code https-listen} and {@code http-listen}.
   */
  public List<String> urls() {
    List<String> urls = new ArrayList<>();
    https.ifPresent(s -> urls.add("https://" + new HttpsSettings.HostPort(
        settings.httpsListen().get().host(), s.port())));
    http.ifPresent(s -> urls.add("http://" + new HttpsSettings.HostPort(
        settings.httpListen().get().host(), s.port())));
    return urls;
  }

  @Override
  public void close() {
    https.ifPresent(HttpsServer::close);
    http.ifPresent(HttpsServer::close);
  }
}
