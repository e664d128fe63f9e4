package dev.coffer.esdk;

/**
 * The message is not a well-formed, authentic AWS Encryption SDK message for this reader: it is
 * truncated, altered, of an unsupported format, or its commitment, tags or signature do not
 * verify. Named after the Encryption SDK's own exception for the same cause.
 */
public final class BadCiphertextException extends Exception {
  public BadCiphertextException(String message) {
    super(message);
  }

  public BadCiphertextException(String message, Throwable cause) {
    super(message, cause);
  }
}
