package dev.coffer.daemon.files;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Set;

/**
 * Creating and checking the files of the data directory, whatever the process umask.
 *
 * <p>Modes: a file is opened with {@code O_CREAT} and mode 0600, which the umask can only
 * narrow, so no other user can open it at any moment; it is then {@code chmod}ed to exactly the
 * mode asked for before any content is written. So a daemon started under {@code umask 000} or
 * {@code umask 022} leaves the same modes.
 *
 * <p>Atomicity: {@link #replace} and {@link #createNew} write {@code <name>.tmp} in the same
 * directory, {@code fsync} it, {@code rename(2)} it over the target and {@code fsync} the
 * directory, so the target is either absent (or its old content) or complete, also after a full
 * disk, {@code kill -9} or power loss. On failure the temporary file is deleted; one left by a
 * crash is replaced by the next write of the same file.
 *
 * <p>Checks: {@link #requireOwnerOnly} and {@link #requirePrivateDirectory} refuse, as OpenSSH
 * refuses a private key with loose permissions or another owner, and say the {@code chmod} (or
 * {@code chown}) that fixes it.
 */
public final class SecureFiles {

  /** 0600: secrets, wrapped key material, the database and its journals. */
  public static final Set<PosixFilePermission> OWNER_ONLY =
      PosixFilePermissions.fromString("rw-------");

  /** 0644: files meant for other local readers (metrics, the audit public key). */
  public static final Set<PosixFilePermission> PUBLIC_READ =
      PosixFilePermissions.fromString("rw-r--r--");

  /** 0700: the data directory and its private subdirectories. */
  public static final Set<PosixFilePermission> PRIVATE_DIRECTORY =
      PosixFilePermissions.fromString("rwx------");

  private static final FileAttribute<Set<PosixFilePermission>> CREATE_OWNER_ONLY =
      PosixFilePermissions.asFileAttribute(OWNER_ONLY);

  private static final Set<PosixFilePermission> GROUP_OR_OTHERS = EnumSet.of(
      PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE,
      PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.OTHERS_READ,
      PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);

  private SecureFiles() {}

  /**
   * Creates {@code dir} (and missing parents) with mode 0700 if it does not exist; an existing
   * directory is left as it is, for {@link #requirePrivateDirectory} to judge.
   */
  public static void createPrivateDirectory(Path dir) throws IOException {
    if (Files.isDirectory(dir)) {
      return;
    }
    Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PRIVATE_DIRECTORY));
    Files.setPosixFilePermissions(dir, PRIVATE_DIRECTORY);
  }

  /**
   * Creates an empty {@code file} with exactly {@code mode}.
   *
   * @throws FileAlreadyExistsException if it exists
   */
  public static void createEmpty(Path file, Set<PosixFilePermission> mode) throws IOException {
    try (FileChannel ch = FileChannel.open(file,
        Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE), CREATE_OWNER_ONLY)) {
      Files.setPosixFilePermissions(file, mode);
      ch.force(true);
    }
    fsyncDirectory(file.toAbsolutePath().getParent());
  }

  /**
   * Atomically replaces (or creates) {@code target} with {@code data} and exactly {@code mode}.
   *
   * @throws IOException naming {@code target} if anything fails (a full disk, say); the target
   *     then still holds its previous content, or is still absent
   */
  public static void replace(Path target, byte[] data, Set<PosixFilePermission> mode)
      throws IOException {
    Path tmp = writeTemporary(target, data, mode);
    try {
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE,
          StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      Files.deleteIfExists(tmp);
      throw new IOException("cannot replace " + target + ": " + e.getMessage(), e);
    }
    fsyncDirectory(target.toAbsolutePath().getParent());
  }

  /**
   * Atomically creates {@code target} with {@code data} and exactly {@code mode}, unless it
   * exists.
   *
   * @return false if {@code target} already existed (for instance another process created it
   *     first); it is then left untouched
   * @throws IOException naming {@code target} if writing fails; {@code target} is then absent
   */
  public static boolean createNew(Path target, byte[] data, Set<PosixFilePermission> mode)
      throws IOException {
    if (Files.exists(target)) {
      return false;
    }
    Path tmp = writeTemporary(target, data, mode);
    try {
      // Without REPLACE_EXISTING the move refuses an existing target instead of replacing it.
      Files.move(tmp, target);
    } catch (FileAlreadyExistsException raced) {
      return false;
    } catch (IOException e) {
      throw new IOException("cannot create " + target + ": " + e.getMessage(), e);
    } finally {
      Files.deleteIfExists(tmp);
    }
    fsyncDirectory(target.toAbsolutePath().getParent());
    return true;
  }

  /** Writes and fsyncs {@code <target>.tmp}; deletes it again if anything fails. */
  private static Path writeTemporary(Path target, byte[] data, Set<PosixFilePermission> mode)
      throws IOException {
    Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
    Files.deleteIfExists(tmp);
    try (FileChannel ch = FileChannel.open(tmp,
        Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE), CREATE_OWNER_ONLY)) {
      Files.setPosixFilePermissions(tmp, mode);
      ByteBuffer b = ByteBuffer.wrap(data);
      while (b.hasRemaining()) {
        ch.write(b);
      }
      ch.force(true);
    } catch (IOException e) {
      Files.deleteIfExists(tmp);
      throw new IOException("cannot write " + target + ": " + e.getMessage()
          + "; nothing was written", e);
    }
    return tmp;
  }

  /**
   * Makes a directory entry change (create, rename) durable. Some file systems cannot open a
   * directory for {@code fsync}; the files' own contents are synced already.
   */
  public static void fsyncDirectory(Path dir) {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException ignored) {
      // best effort, see above
    }
  }

  /**
   * Refuses a file that group or other users may read, write or execute.
   *
   * @param what what the file holds, for the message ("the root key")
   * @throws IOException "permissions 0644 for '/x/root.key' are too open: ...; run chmod 600
   *     /x/root.key"
   */
  public static void requireOwnerOnly(Path file, String what) throws IOException {
    requireOwnedByUs(file);
    Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
    if (perms.stream().anyMatch(GROUP_OR_OTHERS::contains)) {
      throw new IOException("permissions " + octal(perms) + " for '" + file + "' are too open: it"
          + " holds " + what + " and must not be accessible by other users; run chmod 600 "
          + file + " and start again");
    }
  }

  /** As {@link #requireOwnerOnly} if {@code file} exists. */
  public static void requireOwnerOnlyIfPresent(Path file, String what) throws IOException {
    if (Files.exists(file)) {
      requireOwnerOnly(file, what);
    }
  }

  /**
   * Refuses a file that group or other users may write (reading it is harmless).
   *
   * @param what what the file decides, for the message
   */
  public static void requireNotWritableByOthers(Path file, String what) throws IOException {
    requireOwnedByUs(file);
    Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
    if (perms.contains(PosixFilePermission.GROUP_WRITE)
        || perms.contains(PosixFilePermission.OTHERS_WRITE)) {
      throw new IOException("permissions " + octal(perms) + " for '" + file + "' are too open: it"
          + " decides " + what + " and must not be writable by other users; run chmod go-w "
          + file + " and start again");
    }
  }

  /**
   * Refuses a data directory that group or other users may list or write. Search permission
   * ({@code x}) alone is allowed: other users need it to reach a shared socket inside it, and
   * every file in it is checked or created with its own mode.
   */
  public static void requirePrivateDirectory(Path dir) throws IOException {
    requireOwnedByUs(dir);
    Set<PosixFilePermission> perms = Files.getPosixFilePermissions(dir);
    if (perms.contains(PosixFilePermission.GROUP_READ)
        || perms.contains(PosixFilePermission.GROUP_WRITE)
        || perms.contains(PosixFilePermission.OTHERS_READ)
        || perms.contains(PosixFilePermission.OTHERS_WRITE)) {
      throw new IOException("permissions " + octal(perms) + " for '" + dir + "' are too open:"
          + " other users could list or replace the files of this data directory; run chmod 700 "
          + dir + " (711 if other users reach a socket inside it) and start again");
    }
  }

  /**
   * Refuses a directory that group or other users may list, search or write ({@code digests/}
   * of the audit log, say): nothing in it is for anyone else.
   *
   * @param what what the directory holds, for the message
   */
  public static void requireOwnerOnlyDirectory(Path dir, String what) throws IOException {
    requireOwnedByUs(dir);
    Set<PosixFilePermission> perms = Files.getPosixFilePermissions(dir);
    if (perms.stream().anyMatch(GROUP_OR_OTHERS::contains)) {
      throw new IOException("permissions " + octal(perms) + " for '" + dir + "' are too open: it"
          + " holds " + what + " and must not be accessible by other users; run chmod 700 "
          + dir + " and start again");
    }
  }

  /**
   * Refuses a file owned by a user other than the daemon's (or root): its owner could read it
   * or change its mode whatever the mode is now, as OpenSSH's {@code StrictModes} reasons.
   */
  static void requireOwnedByUs(Path file) throws IOException {
    int owner = (Integer) Files.getAttribute(file, "unix:uid");
    long us = new com.sun.security.auth.module.UnixSystem().getUid();
    if (owner != us && owner != 0) {
      throw new IOException("'" + file + "' is owned by uid " + owner + ", not by the user the"
          + " daemon runs as (uid " + us + "); run chown " + us + " " + file
          + " and start again");
    }
  }

  /** {@code rw-r--r--} → {@code "0644"}. */
  public static String octal(Set<PosixFilePermission> perms) {
    int mode = 0;
    for (PosixFilePermission p : perms) {
      mode |= 1 << (8 - p.ordinal());
    }
    return String.format("0%03o", mode);
  }
}
