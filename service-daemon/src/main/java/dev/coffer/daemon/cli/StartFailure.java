package dev.coffer.daemon.cli;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipalNotFoundException;
import java.util.Locale;

/**
 * The one line {@code coffer serve} prints when the daemon cannot start. Start-up writes only
 * atomically (SQLite transactions, rolled back on failure; files through a temporary file and
 * {@code rename}), so a start that fails halfway has damaged nothing and may simply be retried
 * once the cause is gone; the line says so for a full disk, the common case.
 */
final class StartFailure {
  /** 1 MiB: less room than a first start needs (database, audit log, keys). */
  static final long NEARLY_FULL = 1 << 20;

  private StartFailure() {}

  /**
   * "cannot start: the disk is full (cannot open the database /x/coffer.db: ... SQLITE_FULL
   * ...); nothing was damaged: free space on that file system and start again", or the cause's
   * own message, which names the file, setting or group at fault.
   *
   * @param home the data directory the daemon was starting on
   */
  static String describe(Throwable e, Path home) {
    String message = message(e);
    // A wrong setting is reported as such even on a full disk.
    if (diskFull(e) || (!(e instanceof IllegalArgumentException) && nearlyFull(home))) {
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

  /**
   * Less than {@link #NEARLY_FULL} bytes free where {@code home} is. SQLite does not always say
   * SQLITE_FULL: when space runs out while it spills a transaction's pages it rolls the
   * transaction back, and the commit then fails with "cannot commit - no transaction is active".
   */
  static boolean nearlyFull(Path home) {
    try {
      Path p = home.toAbsolutePath();
      while (p != null && !Files.exists(p)) {
        p = p.getParent();
      }
      return p != null && Files.getFileStore(p).getUsableSpace() < NEARLY_FULL;
    } catch (IOException | RuntimeException unknown) {
      return false;
    }
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
