package dev.coffer.daemon.accesskey;

import java.util.Arrays;

/**
 * An access key with its secret, as {@link AccessKeyStore#find} hands it to the HTTPS door to
 * verify a request's signature. The caller zeroes the secret ({@link #close()}) once verified.
 *
 * <p>{@link #toString()} never shows the secret.
 */
public final class AccessKeyCredential implements AutoCloseable {

  private final AccessKey key;
  private final byte[] secret;

  AccessKeyCredential(AccessKey key, byte[] secret) {
    this.key = key;
    this.secret = secret;
  }

  public AccessKey key() {
    return key;
  }

  /**
   * The secret access key as its 40 ASCII characters (the SigV4 signing key derives from {@code
   * "AWS4" + secret}); this very array, which {@link #close()} zeroes.
   */
  public byte[] secret() {
    return secret;
  }

  /** Zeroes the secret. */
  @Override
  public void close() {
    Arrays.fill(secret, (byte) 0);
  }

  @Override
  public String toString() {
    return "AccessKeyCredential[" + key.accessKeyId() + ", " + key.userName() + ", "
        + key.status() + "]";
  }
}
