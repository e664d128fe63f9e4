package dev.coffer.daemon.migration;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * Whether a daemon (or any other program) is using a SQLite home: a migration copies the
 * database, and a daemon writing to it meanwhile would make the copy miss its latest changes.
 *
 * <p>Two checks. The daemon's socket: the one {@code coffer serve} would listen on for this home
 * (or {@code --socket}), and {@code HOME/coffer.sock}; one that accepts a connection is a
 * running daemon. And SQLite's own lock: every process that has the database open in WAL mode
 * holds a shared lock on byte 128 of {@code coffer.db-shm} (the "DMS" lock of SQLite's Unix
 * VFS, https://sqlite.org/walformat.html, section 2.3); if an exclusive lock on it cannot be
 * taken, another process has the database open, whatever socket it listens on. Taking the test
 * lock writes nothing, and it is released at once.
 */
final class DaemonRunning {
  private DaemonRunning() {}

  /** Byte of the {@code -shm} file that every connection holds a shared lock on. */
  static final long DMS_LOCK_OFFSET = 128;

  /** @throws MigrationException naming what shows the home in use */
  static void requireStopped(Path home, Path dbFile, Path socket) throws IOException {
    Set<Path> sockets = new LinkedHashSet<>();
    if (socket != null) {
      sockets.add(socket);
    }
    sockets.add(home.resolve("coffer.sock"));
    for (Path s : sockets) {
      if (answers(s)) {
        throw new MigrationException("a Coffer daemon is running on " + s + "; stop the daemon"
            + " of " + home + " first (its database must not change while it is copied)");
      }
    }
    Path shm = dbFile.resolveSibling(dbFile.getFileName() + "-shm");
    if (Files.exists(shm) && Files.isWritable(shm) && lockedByAnother(shm)) {
      throw new MigrationException("another process has " + dbFile + " open (SQLite's lock on "
          + shm + " is held); stop the daemon of " + home + " first (its database must not"
          + " change while it is copied)");
    }
  }

  private static boolean answers(Path socket) {
    if (!Files.exists(socket)) {
      return false;
    }
    try (SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      c.connect(UnixDomainSocketAddress.of(socket));
      return true;
    } catch (IOException refused) {
      return false; // a socket file left by a daemon that was killed
    }
  }

  private static boolean lockedByAnother(Path shm) throws IOException {
    try (FileChannel ch = FileChannel.open(shm, StandardOpenOption.READ,
        StandardOpenOption.WRITE)) {
      FileLock lock = ch.tryLock(DMS_LOCK_OFFSET, 1, false);
      if (lock == null) {
        return true;
      }
      lock.release();
      return false;
    }
  }
}
