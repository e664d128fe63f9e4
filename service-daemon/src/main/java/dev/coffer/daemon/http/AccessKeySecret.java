package dev.coffer.daemon.http;

import dev.coffer.daemon.crypto.Bytes;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * The secret access key of one access key and its status, handed to the verifier for one
 * request. Holds the secret in a private buffer that {@link #close()} zeroes; never printed.
 */
public final class AccessKeySecret implements AutoCloseable {

  private final AccessKeyStatus status;
  private final byte[] secret;

  /**
   * @param status the key's IAM status
   * @param secret the secret access key as its UTF-8 bytes (the 40-character string AWS shows
   *     once); copied, so the caller may zero its own array
   */
  public AccessKeySecret(AccessKeyStatus status, byte[] secret) {
    this.status = Objects.requireNonNull(status, "status");
    this.secret = secret.clone();
  }

  /** For tests and callers that hold the secret as a string. */
  public static AccessKeySecret of(AccessKeyStatus status, String secret) {
    return new AccessKeySecret(status, secret.getBytes(StandardCharsets.UTF_8));
  }

  public AccessKeyStatus status() {
    return status;
  }

  /** The secret without a copy, for the signing-key derivation in this package. */
  byte[] secretView() {
    return secret;
  }

  @Override
  public void close() {
    Bytes.zero(secret);
  }

  @Override
  public String toString() {
    return "AccessKeySecret[" + status + ", secret=<redacted>]";
  }
}
