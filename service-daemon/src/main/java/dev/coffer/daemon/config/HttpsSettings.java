package dev.coffer.daemon.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The AWS-compatible endpoint's settings ({@code docs/https-endpoint.md}): where it listens,
 * which certificate it shows, and its bounds. Absent listen addresses mean no endpoint: the
 * Unix socket alone, as before.
 *
 * @param httpsListen {@code https-listen=HOST:PORT}, e.g. {@code 0.0.0.0:8443}
 * @param httpListen {@code http-listen=HOST:PORT}, plain HTTP, loopback addresses only
 * @param names {@code https-names}: DNS names and IP literals of the self-signed certificate
 * @param pkcs12File {@code https-pkcs12-file}: an operator's PKCS#12 key and chain, or null
 * @param pkcs12PasswordFile {@code https-pkcs12-password-file}: its password, or null
 * @param certificateFile {@code https-certificate-file}: an operator's PEM chain, or null
 * @param privateKeyFile {@code https-private-key-file}: its PEM private key, or null
 * @param maxBodyBytes {@code https-max-body-bytes}: largest request body (413 beyond)
 * @param maxConnections {@code https-max-connections}: open connections at most
 * @param idleTimeout {@code https-idle-timeout-seconds}: keep-alive connections closed after it
 * @param requestReadTimeout {@code https-request-read-timeout-seconds}: a request must arrive
 *     within it (slowloris bound)
 * @param maxThreads {@code https-max-threads}: worker threads at most
 * @param maxRequestsPerKey {@code https-max-requests-per-key}: requests one access key may have
 *     in progress at once; more are answered {@code ThrottlingException}, which the AWS SDKs and
 *     CLI retry with backoff (the HTTPS counterpart of the socket's per-user connection share)
 * @param maxConnectionsPerSource {@code https-max-connections-per-source}: open connections from
 *     one IP address at most; more are closed as they open
 */
public record HttpsSettings(
    Optional<HostPort> httpsListen,
    Optional<HostPort> httpListen,
    List<String> names,
    Path pkcs12File,
    Path pkcs12PasswordFile,
    Path certificateFile,
    Path privateKeyFile,
    int maxBodyBytes,
    int maxConnections,
    Duration idleTimeout,
    Duration requestReadTimeout,
    int maxThreads,
    int maxRequestsPerKey,
    int maxConnectionsPerSource) {

  /** {@code HOST:PORT}; an IPv6 host is written in brackets, {@code [::1]:8443}. */
  public record HostPort(String host, int port) {

    /** Parses {@code HOST:PORT}; port 0 picks a free port (tests). */
    public static HostPort parse(String value) {
      int colon = value.lastIndexOf(':');
      if (colon <= 0 || colon == value.length() - 1) {
        throw new IllegalArgumentException("expected HOST:PORT, e.g. 0.0.0.0:8443");
      }
      String host = value.substring(0, colon);
      if (host.startsWith("[") && host.endsWith("]")) {
        host = host.substring(1, host.length() - 1);
      }
      int port;
      try {
        port = Integer.parseInt(value.substring(colon + 1));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("the port must be a number from 0 to 65535");
      }
      if (port < 0 || port > 65_535 || host.isBlank()) {
        throw new IllegalArgumentException("expected HOST:PORT with a port from 0 to 65535");
      }
      return new HostPort(host, port);
    }

    @Override
    public String toString() {
      return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }
  }

  public HttpsSettings {
    names = List.copyOf(names);
    if ((pkcs12File == null) != (pkcs12PasswordFile == null)) {
      throw new IllegalArgumentException("https-pkcs12-file and https-pkcs12-password-file go"
          + " together: set both or neither");
    }
    if ((certificateFile == null) != (privateKeyFile == null)) {
      throw new IllegalArgumentException("https-certificate-file and https-private-key-file go"
          + " together: set both or neither");
    }
    if (pkcs12File != null && certificateFile != null) {
      throw new IllegalArgumentException("set either https-pkcs12-file or"
          + " https-certificate-file, not both");
    }
  }

  /** No endpoint; bounds as {@code dev.coffer.daemon.http.HttpLimits.defaults()}. */
  public static HttpsSettings none() {
    return new HttpsSettings(Optional.empty(), Optional.empty(),
        dev.coffer.daemon.http.TlsMaterial.DEFAULT_NAMES,
        null, null, null, null, 256 * 1024, 512, Duration.ofSeconds(75), Duration.ofSeconds(10),
        64, 32, 64);
  }

  /** True when either listener is configured. */
  public boolean enabled() {
    return httpsListen.isPresent() || httpListen.isPresent();
  }

  /** These settings with {@code https-listen} replaced ({@code coffer serve --https-listen}). */
  public HttpsSettings withHttpsListen(HostPort listen) {
    return new HttpsSettings(Optional.of(listen), httpListen, names, pkcs12File,
        pkcs12PasswordFile, certificateFile, privateKeyFile, maxBodyBytes, maxConnections,
        idleTimeout, requestReadTimeout, maxThreads, maxRequestsPerKey, maxConnectionsPerSource);
  }

  static HttpsSettings from(Settings p, HttpsSettings d) {
    return new HttpsSettings(
        hostPort(p, "https-listen", d.httpsListen),
        hostPort(p, "http-listen", d.httpListen),
        p.containsKey("https-names")
            ? Arrays.stream(p.get("https-names", "").split(",")).map(String::trim)
                .filter(s -> !s.isEmpty()).toList()
            : d.names,
        path(p, "https-pkcs12-file", d.pkcs12File),
        path(p, "https-pkcs12-password-file", d.pkcs12PasswordFile),
        path(p, "https-certificate-file", d.certificateFile),
        path(p, "https-private-key-file", d.privateKeyFile),
        p.getInt("https-max-body-bytes", d.maxBodyBytes, 1024, 16 * 1024 * 1024),
        p.getInt("https-max-connections", d.maxConnections, 1, 65_536),
        Duration.ofSeconds(p.getInt("https-idle-timeout-seconds",
            (int) d.idleTimeout.toSeconds(), 1, 86_400)),
        Duration.ofSeconds(p.getInt("https-request-read-timeout-seconds",
            (int) d.requestReadTimeout.toSeconds(), 1, 3_600)),
        p.getInt("https-max-threads", d.maxThreads, 4, 4_096),
        p.getInt("https-max-requests-per-key", d.maxRequestsPerKey, 1, 65_536),
        p.getInt("https-max-connections-per-source", d.maxConnectionsPerSource, 1, 65_536));
  }

  private static Optional<HostPort> hostPort(Settings p, String key, Optional<HostPort> d) {
    if (!p.containsKey(key)) {
      return d;
    }
    String v = p.get(key, "");
    try {
      return Optional.of(HostPort.parse(v));
    } catch (IllegalArgumentException e) {
      throw p.invalid(key, v, e.getMessage());
    }
  }

  private static Path path(Settings p, String key, Path d) {
    return p.containsKey(key) ? Path.of(p.get(key, "")) : d;
  }
}
