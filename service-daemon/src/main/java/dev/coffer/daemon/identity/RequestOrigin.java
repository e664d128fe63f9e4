package dev.coffer.daemon.identity;

/**
 * Where a request came from, as the transport that carried it saw it; recorded in the audit
 * record (CloudTrail's {@code sourceIPAddress}, {@code userAgent} and {@code tlsDetails}). Every
 * text is client-supplied or client-chosen and untrusted: the audit log bounds it.
 *
 * @param sourceIp the client's address, e.g. {@code 192.0.2.7} or {@code 2001:db8::1}
 * @param userAgent the client's {@code User-Agent}, or null
 * @param tlsVersion e.g. {@code TLSv1.3}, or null for a connection without TLS
 * @param cipherSuite e.g. {@code TLS_AES_256_GCM_SHA384}, or null without TLS
 * @param hostHeader the host name the client asked for ({@code clientProvidedHostHeader}), or
 *     null
 * @param requestId the id the transport answered the client with (the HTTPS door's {@code
 *     x-amzn-RequestId}), which the audit record's {@code requestID} repeats as CloudTrail's
 *     does; null when the transport shows none (a fresh one is drawn). Chosen by the daemon, not
 *     the client.
 */
public record RequestOrigin(String sourceIp, String userAgent, String tlsVersion,
    String cipherSuite, String hostHeader, String requestId) {

  /** An origin without a transport request id. */
  public RequestOrigin(String sourceIp, String userAgent, String tlsVersion, String cipherSuite,
      String hostHeader) {
    this(sourceIp, userAgent, tlsVersion, cipherSuite, hostHeader, null);
  }
}
