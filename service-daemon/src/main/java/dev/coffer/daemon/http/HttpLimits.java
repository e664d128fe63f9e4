package dev.coffer.daemon.http;

import java.time.Duration;

/**
 * Resource bounds of the HTTPS listener, so no client can hold more than its share.
 *
 * @param maxBodyBytes largest request body read; a larger one is answered 413 without reading
 *     it (KMS's largest inputs, a 32 KiB key policy or 4 KiB of plaintext as base64, fit well)
 * @param maxHeaderBytes largest request head (request line plus headers); Jetty answers 431
 * @param idleTimeout a connection with no traffic for this long is closed (at least the AWS
 *     SDK's 60 s idle keep-alive, or clients see stale-connection retries)
 * @param requestReadTimeout the slowloris bound, independent of the idle timeout a trickle
 *     would keep resetting: a whole request (head and body) must arrive within this time of its
 *     first byte, and a new connection must deliver its first whole request (TLS handshake
 *     included) within this time of opening, or the connection is closed ({@link
 *     ConnectionGuard}; checked every tenth of it, at most every second)
 * @param maxConnections open connections at most; past it new ones wait in the backlog, and
 *     idle ones are closed after {@code idleTimeoutAtLimit}
 * @param idleTimeoutAtLimit the idle timeout while at {@code maxConnections}
 * @param minThreads worker threads kept
 * @param maxThreads worker threads at most
 * @param maxConnectionsPerSource open connections from one IP address at most; a connection
 *     beyond it is closed as soon as it opens, so one host cannot take every connection
 */
public record HttpLimits(
    int maxBodyBytes,
    int maxHeaderBytes,
    Duration idleTimeout,
    Duration requestReadTimeout,
    int maxConnections,
    Duration idleTimeoutAtLimit,
    int minThreads,
    int maxThreads,
    int maxConnectionsPerSource) {

  /** Connections per source IP address by default: the AWS SDKs' pool size (50) and some. */
  public static final int DEFAULT_MAX_CONNECTIONS_PER_SOURCE = 64;

  /** Limits with {@link #DEFAULT_MAX_CONNECTIONS_PER_SOURCE} (at most {@code maxConnections}). */
  public HttpLimits(int maxBodyBytes, int maxHeaderBytes, Duration idleTimeout,
      Duration requestReadTimeout, int maxConnections, Duration idleTimeoutAtLimit,
      int minThreads, int maxThreads) {
    this(maxBodyBytes, maxHeaderBytes, idleTimeout, requestReadTimeout, maxConnections,
        idleTimeoutAtLimit, minThreads, maxThreads,
        Math.min(maxConnections, DEFAULT_MAX_CONNECTIONS_PER_SOURCE));
  }

  public HttpLimits {
    if (maxBodyBytes < 1 || maxHeaderBytes < 1024 || maxConnections < 1 || minThreads < 1
        || maxThreads < minThreads + 2 || maxConnectionsPerSource < 1) {
      throw new IllegalArgumentException("HTTP limits out of range: maxBodyBytes>=1, "
          + "maxHeaderBytes>=1024, maxConnections>=1, minThreads>=1, maxThreads>=minThreads+2, "
          + "maxConnectionsPerSource>=1");
    }
    if (idleTimeout.isNegative() || idleTimeout.isZero() || requestReadTimeout.isNegative()
        || requestReadTimeout.isZero() || idleTimeoutAtLimit.isNegative()
        || idleTimeoutAtLimit.isZero()) {
      throw new IllegalArgumentException("HTTP timeouts must be positive");
    }
  }

  /**
   * 256 KiB bodies, 16 KiB heads, 75 s idle, 10 s to send a request, 512 connections (64 per
   * source address), 8–64 threads.
   */
  public static HttpLimits defaults() {
    return new HttpLimits(256 * 1024, 16 * 1024, Duration.ofSeconds(75), Duration.ofSeconds(10),
        512, Duration.ofSeconds(5), 8, 64);
  }
}
