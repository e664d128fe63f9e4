package dev.coffer.daemon.http;

import java.nio.charset.StandardCharsets;

/**
 * A successful AWS JSON 1.1 answer: the JSON body bytes, sent with status 200 and
 * {@code Content-Type: application/x-amz-json-1.1}. Errors are thrown as {@code KmsException}
 * instead.
 */
public record AwsJsonResponse(byte[] body) {

  public AwsJsonResponse {
    body = body.clone();
  }

  /** The empty object {@code {}}, the answer of operations that return nothing. */
  public static AwsJsonResponse empty() {
    return new AwsJsonResponse("{}".getBytes(StandardCharsets.UTF_8));
  }

  @Override
  public byte[] body() {
    return body.clone();
  }

  /** Zeroes this value's copy of the body, which may hold plaintext or key material. */
  public void zero() {
    java.util.Arrays.fill(body, (byte) 0);
  }
}
