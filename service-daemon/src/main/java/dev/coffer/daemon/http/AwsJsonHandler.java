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
}
