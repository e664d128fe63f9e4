package dev.coffer.protocol;

/**
 * An error with an AWS KMS exception name, as the daemon reports it and the client receives it.
 *
 * <p>The name ({@link #errorType()}) is the contract: callers branch on it; the message says
 * what to do. Messages never contain key material or plaintext.
 */
public class KmsException extends RuntimeException {

  private final String errorType;

  public KmsException(String errorType, String message) {
    super(message);
    this.errorType = errorType;
  }

  public KmsException(String errorType, String message, Throwable cause) {
    super(message, cause);
    this.errorType = errorType;
  }

  /** The AWS exception name, e.g. {@code NotFoundException}. */
  public String errorType() {
    return errorType;
  }

  @Override
  public String toString() {
    return errorType + ": " + getMessage();
  }
}
