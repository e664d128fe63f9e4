package dev.coffer.daemon.storage;

/** The database refused a read or write; nothing of the failed transaction was applied. */
public final class StorageException extends RuntimeException {
  public StorageException(String message, Throwable cause) {
    super(message, cause);
  }
}
