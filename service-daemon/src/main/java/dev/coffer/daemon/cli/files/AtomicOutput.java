package dev.coffer.daemon.cli.files;

import java.io.BufferedOutputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * An output file that appears only whole: bytes go to a temporary file created mode 0600 in
 * the destination's directory (so the final rename stays on one file system and is atomic), which
 * {@link #commit} syncs to disk and renames onto the destination, and {@link #close} deletes if
 * it was not committed. A shutdown hook deletes it too, so Ctrl-C or {@code kill} leaves no
 * partial plaintext behind ({@code kill -9} can leave the hidden temporary file, never the
 * destination).
 */
public final class AtomicOutput implements AutoCloseable {

  private final Path destination;
  private final Path temp;
  private final FileOutputStream file;
  private final BufferedOutputStream stream;
  private final Thread cleanup;
  private boolean committed;

  public AtomicOutput(Path destination) throws IOException {
    this.destination = destination.toAbsolutePath();
    Path dir = this.destination.getParent();
    // Checked first so that errors name what the user gave, not the hidden temporary file.
    if (!Files.isDirectory(dir)) {
      throw new NoSuchFileException(dir.toString(), null, "no such directory");
    }
    if (Files.isDirectory(this.destination)) {
      throw new IOException(this.destination + " is a directory; give a file name for --out");
    }
    temp = Files.createTempFile(dir, "." + this.destination.getFileName() + ".", ".partial",
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    cleanup = new Thread(this::deleteTemp, "coffer-partial-output-cleanup");
    Runtime.getRuntime().addShutdownHook(cleanup);
    file = new FileOutputStream(temp.toFile());
    stream = new BufferedOutputStream(file, 1 << 20);
  }

  public OutputStream stream() {
    return stream;
  }

  /** Flushes, syncs and renames the temporary file onto the destination. */
  public void commit() throws IOException {
    stream.flush();
    file.getFD().sync();
    stream.close();
    Files.move(temp, destination, StandardCopyOption.ATOMIC_MOVE,
        StandardCopyOption.REPLACE_EXISTING);
    committed = true;
  }

  private void deleteTemp() {
    try {
      Files.deleteIfExists(temp);
    } catch (IOException e) {
      // Best effort at shutdown; close() reports nothing either: the caller already failed.
    }
  }

  @Override
  public void close() {
    if (!committed) {
      try {
        stream.close();
      } catch (IOException e) {
        // The write already failed; what matters is that the temporary file goes.
      }
      deleteTemp();
    }
    try {
      Runtime.getRuntime().removeShutdownHook(cleanup);
    } catch (IllegalStateException e) {
      // Already shutting down: the hook runs anyway.
    }
  }
}
