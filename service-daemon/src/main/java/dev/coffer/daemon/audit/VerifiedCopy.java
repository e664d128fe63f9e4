package dev.coffer.daemon.audit;

import dev.coffer.daemon.files.SecureFiles;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.Set;

/**
 * Copies for archives that are known to be good: written through a temporary file, fsynced,
 * renamed, given an exact mode, then read back and compared by SHA-256 with the original.
 */
final class VerifiedCopy {
  private VerifiedCopy() {}

  /** Copies a digest (or archive point) and its signature into {@code destination/digests}. */
  static void copyDigest(Path file, Path destination) throws IOException, AuditArchiver.Refused {
    Path to = destination.resolve(AuditFiles.DIGEST_DIR);
    copy(file.resolveSibling(file.getFileName() + ".sig"),
        to.resolve(file.getFileName() + ".sig"), SecureFiles.OWNER_ONLY);
    copy(file, to.resolve(file.getFileName()), SecureFiles.OWNER_ONLY);
  }

  /**
   * Copies {@code from} to {@code to} (through a temporary file, fsynced, renamed, mode {@code
   * mode}) and reads the copy back to compare SHA-256s. A copy already there (an earlier,
   * interrupted run) is kept if it is the same file, and refused if it is not.
   */
  static void copy(Path from, Path to, Set<PosixFilePermission> mode)
      throws IOException, AuditArchiver.Refused {
    if (Files.exists(to, LinkOption.NOFOLLOW_LINKS)) {
      requireSame(from, to);
      return;
    }
    Path tmp = to.resolveSibling(to.getFileName() + ".tmp");
    Files.deleteIfExists(tmp);
    try (FileChannel in = FileChannel.open(from, StandardOpenOption.READ);
        FileChannel out = FileChannel.open(tmp, Set.of(StandardOpenOption.CREATE_NEW,
            StandardOpenOption.WRITE), PosixFilePermissions.asFileAttribute(
                SecureFiles.OWNER_ONLY))) {
      long size = in.size();
      long done = 0;
      while (done < size) {
        done += in.transferTo(done, size - done, out);
      }
      out.force(true);
    }
    Files.setPosixFilePermissions(tmp, mode); // exactly, whatever the umask
    Files.move(tmp, to, StandardCopyOption.ATOMIC_MOVE);
    SecureFiles.fsyncDirectory(to.getParent());
    requireSame(from, to);
  }

  static void requireSame(Path original, Path copy) throws IOException, AuditArchiver.Refused {
    if (!Files.exists(copy) || !sha256(original).equals(sha256(copy))) {
      throw new AuditArchiver.Refused(Files.exists(copy) ? copy + " differs from " + original
          + " (a different archive is there, or the copy was damaged); nothing was deleted"
          : copy + " is missing from the archive; nothing was deleted");
    }
  }

  private static String sha256(Path f) throws IOException {
    MessageDigest md = AuditRecords.sha256();
    byte[] buf = new byte[1 << 16];
    try (InputStream in = Files.newInputStream(f)) {
      for (int n; (n = in.read(buf)) > 0; ) {
        md.update(buf, 0, n);
      }
    }
    return AuditFiles.HEX.formatHex(md.digest());
  }
}
