package dev.coffer.daemon.keystore.pkcs11;

/** A connection to a token could not be made; {@link #code()} says why. */
public final class Pkcs11ConnectException extends Exception {
  private static final long serialVersionUID = 1L;
  private final ConnectionErrorCode code;

  public Pkcs11ConnectException(ConnectionErrorCode code, String message, Throwable cause) {
    super(message, cause);
    this.code = code;
  }

  public ConnectionErrorCode code() {
    return code;
  }
}
