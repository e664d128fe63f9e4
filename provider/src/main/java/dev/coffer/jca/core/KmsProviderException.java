package dev.coffer.jca.core;

import java.security.ProviderException;

/**
 * A daemon failure in an SPI method whose JCA signature allows no checked exception ({@code
 * KeyGenerator.generateKey}, {@code SecureRandom.nextBytes}, {@code KeyStore.aliases}). {@link
 * #errorType()} (also the start of the message) is the AWS exception name.
 */
public final class KmsProviderException extends ProviderException {
  private static final long serialVersionUID = 1L;
  private final String errorType;

  KmsProviderException(String errorType, String message, Throwable cause) {
    super(errorType + ": " + message, cause);
    this.errorType = errorType;
  }

  public String errorType() {
    return errorType;
  }
}
