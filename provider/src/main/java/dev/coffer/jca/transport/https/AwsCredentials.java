package dev.coffer.jca.transport.https;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * An AWS access key: the access key id, the secret access key and an optional session token, and
 * where they were found (for messages). The secret is held as UTF-8 bytes, never printed ({@link
 * #toString()} shows the id and source only) and wiped by {@link #destroy()}.
 */
public final class AwsCredentials {

  private final String accessKeyId;
  private final byte[] secret;
  private final String sessionToken;
  private final String source;

  /**
   * @param accessKeyId e.g. {@code AKIAIOSFODNN7EXAMPLE}
   * @param secretAccessKey the secret; copied
   * @param sessionToken null or empty when there is none
   * @param source where the key came from, e.g. {@code environment (AWS_ACCESS_KEY_ID)}
   */
  public AwsCredentials(
      String accessKeyId, String secretAccessKey, String sessionToken, String source) {
    if (accessKeyId == null || accessKeyId.isBlank()) {
      throw new IllegalArgumentException("an access key id is required");
    }
    if (secretAccessKey == null || secretAccessKey.isEmpty()) {
      throw new IllegalArgumentException("a secret access key is required");
    }
    this.accessKeyId = accessKeyId.trim();
    this.secret = secretAccessKey.getBytes(StandardCharsets.UTF_8);
    this.sessionToken = sessionToken == null || sessionToken.isBlank() ? null : sessionToken.trim();
    this.source = Objects.requireNonNull(source, "source");
  }

  public String accessKeyId() {
    return accessKeyId;
  }

  /** The session token ({@code X-Amz-Security-Token}), or null. */
  public String sessionToken() {
    return sessionToken;
  }

  /** Where the key was found, for messages. */
  public String source() {
    return source;
  }

  /** {@code prefix} followed by the secret's UTF-8 bytes, in a fresh array the caller zeroes. */
  byte[] secretWithPrefix(String prefix) {
    byte[] p = prefix.getBytes(StandardCharsets.US_ASCII);
    byte[] out = Arrays.copyOf(p, p.length + secret.length);
    System.arraycopy(secret, 0, out, p.length, secret.length);
    return out;
  }

  /** Zeroes the secret; the credentials cannot sign afterwards. */
  public void destroy() {
    Arrays.fill(secret, (byte) 0);
  }

  @Override
  public String toString() {
    return "AwsCredentials[" + accessKeyId + " from " + source
        + (sessionToken != null ? ", with session token" : "") + "]";
  }
}
