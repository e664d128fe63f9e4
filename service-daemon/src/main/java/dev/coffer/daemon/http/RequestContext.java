package dev.coffer.daemon.http;

import java.util.Optional;

/**
 * What the transport knows about one HTTPS request, for the operation layer and CloudTrail-style
 * audit records ({@code sourceIPAddress}, {@code userAgent}, {@code tlsDetails}).
 *
 * @param requestId the {@code x-amzn-RequestId} sent back (a random UUID)
 * @param sourceIp the peer's IP address as seen on the socket (no proxy headers are trusted)
 * @param userAgent the {@code User-Agent} header, or empty text
 * @param target the {@code X-Amz-Target} header as received, or empty text
 * @param tlsVersion e.g. {@code TLSv1.3}; empty on a plain-HTTP loopback listener
 * @param cipherSuite e.g. {@code TLS_AES_256_GCM_SHA384}; empty on plain HTTP
 * @param host the {@code Host} header as received (CloudTrail's {@code
 *     clientProvidedHostHeader}), or empty text
 */
public record RequestContext(
    String requestId,
    String sourceIp,
    String userAgent,
    String target,
    Optional<String> tlsVersion,
    Optional<String> cipherSuite,
    String host) {}
