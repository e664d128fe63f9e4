package dev.coffer.daemon.http;

import java.util.Objects;

/**
 * An authenticated AWS JSON 1.1 request, handed to the {@link AwsJsonHandler}.
 *
 * @param context transport facts (request id, source IP, user agent, TLS details)
 * @param operation the KMS operation from {@code X-Amz-Target: TrentService.<Operation>}, e.g.
 *     {@code DescribeKey}; only its syntax is checked here, the handler answers
 *     {@code UnknownOperationException} for a name it does not implement
 * @param accessKeyId the access key whose SigV4 signature verified
 * @param body the exact request body bytes (JSON, not yet parsed; copied in and out)
 */
public record AwsJsonRequest(
    RequestContext context, String operation, String accessKeyId, byte[] body) {

  public AwsJsonRequest {
    Objects.requireNonNull(context, "context");
    Objects.requireNonNull(operation, "operation");
    Objects.requireNonNull(accessKeyId, "accessKeyId");
    body = body.clone();
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
