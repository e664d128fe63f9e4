package dev.coffer.jca.transport.https;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * Where and how the provider reaches a remote Coffer over HTTPS, read from system properties
 * and the environment (given as a map, so tests can supply one):
 *
 * <ul>
 *   <li>{@code coffer.endpoint} / {@code COFFER_ENDPOINT}: one or more comma-separated {@code
 *       https://host[:port][/path]} URLs, tried in order for failover ({@code http://} only for
 *       {@code localhost}, {@code 127.0.0.1} or {@code ::1}, matching the daemon's loopback-only
 *       {@code http-listen});
 *   <li>region, the SigV4 scope's: {@code coffer.region}, {@code aws.region}, {@code
 *       AWS_REGION}, {@code AWS_DEFAULT_REGION}, the profile's {@code region}, else {@code
 *       us-east-1};
 *   <li>{@code coffer.tls.ca} / {@code COFFER_TLS_CA}: a PEM file of trusted certificates
 *       (then only those are trusted), else the JDK's default trust store;
 *   <li>{@code coffer.timeoutMillis} (per request, default 30000) and {@code
 *       coffer.connectTimeoutMillis} (per connection attempt, default 5000).
 * </ul>
 *
 * Equal settings share one transport (this is a value type).
 */
public record HttpsSettings(
    List<URI> endpoints, String region, Path trustedCertificates, Duration requestTimeout,
    Duration connectTimeout) {

  public static final String DEFAULT_REGION = "us-east-1";

  public HttpsSettings {
    endpoints = List.copyOf(endpoints);
    if (endpoints.isEmpty()) {
      throw new IllegalArgumentException("at least one Coffer endpoint is needed");
    }
  }

  /** The configured endpoint list ({@code coffer.endpoint}, else {@code COFFER_ENDPOINT}), or null. */
  public static String configuredEndpoint(Map<String, String> env, Properties props) {
    String v = AwsProfiles.nonBlank(props.getProperty("coffer.endpoint"));
    return v != null ? v : AwsProfiles.nonBlank(env.get("COFFER_ENDPOINT"));
  }

  /**
   * The settings for {@code endpoint} (a comma-separated list) with everything else from {@code
   * env} and {@code props}.
   *
   * @throws IllegalArgumentException for a malformed endpoint, naming it and what is expected
   */
  public static HttpsSettings from(String endpoint, Map<String, String> env, Properties props) {
    List<URI> uris = new ArrayList<>();
    for (String part : endpoint.split(",")) {
      if (!part.isBlank()) {
        uris.add(endpointUri(part.strip()));
      }
    }
    String ca = AwsProfiles.nonBlank(props.getProperty("coffer.tls.ca"));
    if (ca == null) {
      ca = AwsProfiles.nonBlank(env.get("COFFER_TLS_CA"));
    }
    return new HttpsSettings(uris, region(env, props), ca == null ? null : Path.of(ca),
        Duration.ofMillis(positive(props, "coffer.timeoutMillis", 30_000L)),
        Duration.ofMillis(positive(props, "coffer.connectTimeoutMillis", 5_000L)));
  }

  /** The SigV4 region, in the order the class comment gives. */
  static String region(Map<String, String> env, Properties props) {
    for (String v : new String[] {props.getProperty("coffer.region"),
        props.getProperty("aws.region"), env.get("AWS_REGION"), env.get("AWS_DEFAULT_REGION")}) {
      if (AwsProfiles.nonBlank(v) != null) {
        return v.strip();
      }
    }
    String fromProfile = AwsProfiles.load(env, props).get("region");
    return fromProfile != null ? fromProfile : DEFAULT_REGION;
  }

  private static URI endpointUri(String s) {
    URI u;
    try {
      u = new URI(s);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("the Coffer endpoint '" + s + "' is not a URL: "
          + e.getMessage() + "; expected https://host:port");
    }
    String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase();
    if (u.getHost() == null || u.getRawQuery() != null || u.getRawFragment() != null
        || u.getRawUserInfo() != null || !(scheme.equals("https") || scheme.equals("http"))) {
      throw new IllegalArgumentException("the Coffer endpoint '" + s
          + "' must be https://host[:port][/path] without user, query or fragment");
    }
    if (scheme.equals("http") && !isLoopback(u.getHost())) {
      throw new IllegalArgumentException("the Coffer endpoint '" + s + "' is plain HTTP to a"
          + " host other than this one; signed requests and key material must travel over"
          + " HTTPS: use https://");
    }
    String path = u.getRawPath() == null || u.getRawPath().isEmpty() ? "/" : u.getRawPath();
    try {
      return new URI(scheme + "://" + u.getRawAuthority() + path);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("the Coffer endpoint '" + s + "' is not a URL", e);
    }
  }

  private static boolean isLoopback(String host) {
    return host.equals("localhost") || host.equals("127.0.0.1") || host.equals("[::1]")
        || host.equals("::1");
  }

  private static long positive(Properties props, String name, long fallback) {
    String v = AwsProfiles.nonBlank(props.getProperty(name));
    if (v == null) {
      return fallback;
    }
    try {
      long n = Long.parseLong(v);
      if (n > 0) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException(name + " must be a positive number of milliseconds, got "
        + v);
  }
}
