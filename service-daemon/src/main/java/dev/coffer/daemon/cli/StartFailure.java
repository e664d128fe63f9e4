package dev.coffer.daemon.cli;

import java.nio.file.FileSystemException;
import java.nio.file.attribute.UserPrincipalNotFoundException;
import java.util.Locale;

/**
 * The one line {@code coffer serve} prints when the daemon cannot start. Start-up writes only
 * atomically (SQLite transactions, rolled back on failure; files through a temporary file and
 * {@code rename}), so a start that fails halfway has damaged nothing and may simply be retried
 * once the cause is gone; the line says so for a full disk, the common case.
 */
final class StartFailure {
  private StartFailure() {}

  /**
   * "cannot start: the disk is full (cannot open the database /x/coffer.db: ... SQLITE_FULL
   * ...); nothing was damaged: free space on that file system and start again", or the cause's
   * own message, which names the file, setting or group at fault.
   */
  static String describe(Throwable e) {
    String message = message(e);
    if (diskFull(e)) {
      return "cannot start: the disk is full (" + message + "); nothing was damaged (every"
          + " write is atomic): free space on that file system and start again";
    }
    return message;
  }

  /** The exception's message, or for one without (as the JDK's lookups throw) its kind. */
  private static String message(Throwable e) {
    if (e instanceof UserPrincipalNotFoundException u) {
      return "no such Unix user or group: '" + u.getName() + "'";
    }
    if (e.getMessage() != null && !e.getMessage().isBlank()) {
      return e.getMessage().strip().replace('\n', ' ');
    }
    if (e instanceof FileSystemException f) {
      return f.getClass().getSimpleName() + ": " + f.getFile();
    }
    return e.getCause() != null ? message(e.getCause()) : e.getClass().getSimpleName();
  }

  /** SQLite's SQLITE_FULL, or ENOSPC from the file system, anywhere in the cause chain. */
  static boolean diskFull(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      for (Throwable s : t.getSuppressed()) {
        if (diskFull(s)) {
          return true;
        }
      }
      String m = t.getMessage() == null ? "" : t.getMessage().toLowerCase(Locale.ROOT);
      if (m.contains("sqlite_full") || m.contains("database or disk is full")
          || m.contains("no space left on device") || m.contains("disk quota exceeded")) {
        return true;
      }
    }
    return false;
  }
}
