package dev.coffer.daemon.http;

import dev.coffer.protocol.KmsException;

/**
 * The operation layer as the HTTPS door sees it: one call per authenticated request. The server
 * verifies SigV4 before calling {@link #handle}; requests that fail authentication never reach
 * it, but are reported to {@link #authenticationFailed} so they can be audited.
 *
 * <p>Implementations must be thread-safe: the server calls them from its worker threads.
 */
public interface AwsJsonHandler {

  /**
   * Runs one operation.
   *
   * @return the JSON answer ({@link AwsJsonResponse#empty()} for operations without output)
   * @throws KmsException with the AWS exception name; sent as {@code __type} and
   *     {@code x-amzn-ErrorType}, status 500 for {@code KMSInternalException},
   *     {@code DependencyTimeoutException} and {@code KeyUnavailableException}, else 400. Any
   *     other exception is answered as {@code KMSInternalException} without its message.
   */
  AwsJsonResponse handle(AwsJsonRequest request);

  /**
   * A request refused before {@link #handle}: failed SigV4 verification, or a session token
   * Coffer did not issue. Called before the error is sent; must not throw.
   */
  default void authenticationFailed(RequestContext context, AuthenticationException failure) {}

  /**
   * A request whose signature verified but that the transport refuses before any operation
   * sees it: an {@code X-Amz-Target} that names no operation, or a {@code Content-Type} other
   * than AWS JSON 1.1's. Audited like any other refusal of a known caller (nothing runs without
   * its record). Must not throw.
   *
   * @param request the refused request; {@code operation} is what the client named (the
   *     target's operation part, or the whole malformed target), its body is not read
   * @return the error to answer: {@code refusal}, or {@code UnrecognizedClientException} when
   *     the access key was deactivated or deleted since its signature verified
   */
  default KmsException refused(AwsJsonRequest request, KmsException refusal) {
    return refusal;
  }

  /**
   * A request refused before its signature could be checked: a method other than {@code POST},
   * a path other than {@code /}, a body over the limit. Its caller is unknown, so it is audited
   * as a failed authentication is, within the same per-source budget. Called before the error
   * is sent; must not throw.
   */
  default void refusedUnauthenticated(RequestContext context, KmsException refusal) {}
}
