package dev.coffer.daemon.migration;

/**
 * The migration was refused or failed; the message says why and what to do. Nothing was
 * committed to the target, and the SQLite home was only read.
 */
public final class MigrationException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public MigrationException(String message) {
    super(message);
  }

  public MigrationException(String message, Throwable cause) {
    super(message, cause);
  }
}
