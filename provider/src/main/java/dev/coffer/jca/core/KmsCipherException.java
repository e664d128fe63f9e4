package dev.coffer.jca.core;

import javax.crypto.BadPaddingException;

/**
 * A daemon refusal during a {@code Cipher} operation that is not tampering: the key is disabled,
 * pending deletion or unknown, access was denied, or the daemon could not be reached. It is a
 * checked {@link BadPaddingException} because that is what {@code doFinal} may throw; {@link
 * #errorType()} (also the start of the message) is the AWS exception name.
 */
public final class KmsCipherException extends BadPaddingException {
  private static final long serialVersionUID = 1L;
  private final String errorType;

  KmsCipherException(String errorType, String message) {
    super(errorType + ": " + message);
    this.errorType = errorType;
  }

  public String errorType() {
    return errorType;
  }
}
