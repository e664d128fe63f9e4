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
 *     would keep resetting: a request that has started arriving must complete within two of
 *     these periods, and a new connection must deliver its first request (TLS handshake
 *     included) within two periods, or the connection is closed
 * @param maxConnections open connections at most; past it new ones wait in the backlog, and
 *     idle ones are closed after {@code idleTimeoutAtLimit}
 * @param idleTimeoutAtLimit the idle timeout while at {@code maxConnections}
 * @param minThreads worker threads kept
 * @param maxThreads worker threads at most
 */
public record HttpLimits(
    int maxBodyBytes,
    int maxHeaderBytes,
    Duration idleTimeout,
    Duration requestReadTimeout,
    int maxConnections,
    Duration idleTimeoutAtLimit,
    int minThreads,
    int maxThreads) {

  public HttpLimits {
    if (maxBodyBytes < 1 || maxHeaderBytes < 1024 || maxConnections < 1 || minThreads < 1
        || maxThreads < minThreads + 2) {
      throw new IllegalArgumentException("HTTP limits out of range: maxBodyBytes>=1, "
          + "maxHeaderBytes>=1024, maxConnections>=1, minThreads>=1, maxThreads>=minThreads+2");
    }
    if (idleTimeout.isNegative() || idleTimeout.isZero() || requestReadTimeout.isNegative()
        || requestReadTimeout.isZero() || idleTimeoutAtLimit.isNegative()
        || idleTimeoutAtLimit.isZero()) {
      throw new IllegalArgumentException("HTTP timeouts must be positive");
    }
  }

  /** 256 KiB bodies, 16 KiB heads, 75 s idle, 10 s to send a request, 512 connections, 8–64 threads. */
  public static HttpLimits defaults() {
    return new HttpLimits(256 * 1024, 16 * 1024, Duration.ofSeconds(75), Duration.ofSeconds(10),
        512, Duration.ofSeconds(5), 8, 64);
  }
}
