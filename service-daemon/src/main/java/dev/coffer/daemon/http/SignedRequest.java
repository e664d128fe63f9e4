package dev.coffer.daemon.http;

import java.util.Objects;

/**
 * The parts of an HTTP request that SigV4 signs, exactly as they arrived on the wire. Immutable.
 *
 * @param method the request method, e.g. {@code POST}
 * @param rawPath the request target's path, still percent-encoded as sent (e.g. {@code /a%20b})
 * @param rawQuery the query string without {@code ?}, still encoded; empty when there is none
 * @param headers every header received
 * @param body the exact body bytes (hashed before any JSON parsing; copied in and out)
 */
public record SignedRequest(
    String method, String rawPath, String rawQuery, RequestHeaders headers, byte[] body) {

  public SignedRequest {
    Objects.requireNonNull(method, "method");
    Objects.requireNonNull(rawPath, "rawPath");
    rawQuery = rawQuery == null ? "" : rawQuery;
    Objects.requireNonNull(headers, "headers");
    body = body.clone();
  }

  /** A copy of the body bytes. */
  @Override
  public byte[] body() {
    return body.clone();
  }

  /** The body bytes without a copy, for hashing inside this package. */
  byte[] bodyView() {
    return body;
  }
}
