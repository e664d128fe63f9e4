package dev.coffer.daemon.http;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.UUID;

/**
 * Crash-safe file writes with an explicit mode: a temporary file created with the final mode
 * (never a moment with wider permissions), written, fsynced, renamed over the target, and the
 * directory fsynced, so after a crash the target is either the old file or the whole new one.
 */
final class PrivateFiles {
  private PrivateFiles() {}

  static final String OWNER_ONLY = "rw-------";
  static final String WORLD_READABLE = "rw-r--r--";

  /** Atomically replaces {@code target} with {@code content}, with mode {@code perms}. */
  static void writeAtomically(Path target, byte[] content, String perms) throws IOException {
    Path dir = target.toAbsolutePath().getParent();
    Path tmp = dir.resolve("." + target.getFileName() + "." + UUID.randomUUID() + ".tmp");
    Set<PosixFilePermission> mode = PosixFilePermissions.fromString(perms);
    try {
      try (FileChannel ch = FileChannel.open(tmp,
          Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
          PosixFilePermissions.asFileAttribute(mode))) {
        ByteBuffer buffer = ByteBuffer.wrap(content);
        while (buffer.hasRemaining()) {
          ch.write(buffer);
        }
        ch.force(true);
      }
      // The umask may have narrowed the mode at creation; a world-readable certificate must
      // really be world-readable (never wider than asked for either way).
      Files.setPosixFilePermissions(tmp, mode);
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      fsyncDirectory(dir);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /** Refuses a private file that group or others may read (a copied or mis-restored key). */
  static void requireOwnerOnly(Path file) throws IOException {
    Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
    if (perms.stream().anyMatch(p -> p.name().startsWith("GROUP") || p.name().startsWith("OTHERS"))) {
      throw new IOException(file + " is readable by others (" + PosixFilePermissions.toString(perms)
          + "); run `chmod 600 " + file + "` and restart");
    }
  }

  static void fsyncDirectory(Path dir) {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException ignored) {
      // not every file system lets a directory be opened for sync
    }
  }
}
