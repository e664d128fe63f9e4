package dev.coffer.daemon.audit;

import dev.coffer.daemon.files.SecureFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Clock;
import java.util.Set;

/**
 * The log file the appender writes: {@code audit-<file sequence>-<start>.jsonl}, created new,
 * append-only, with mode 0600 whatever the umask. It keeps what its digests say of it (bytes,
 * SHA-256, first and last record) and writes them through {@link AuditDigests}: interim digests
 * while it is written, a final one when it is {@linkplain #seal sealed}.
 *
 * <p>Not thread-safe: the appender thread owns it.
 */
final class AuditLogFile {

  /** Creation options for log files: new, append-only, mode 0600. */
  private static final Set<StandardOpenOption> OPTIONS = Set.of(
      StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
  private static final FileAttribute<?> MODE_0600 =
      PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));

  private final AuditDigests digests;
  private final FileChannel channel;
  private final String name;
  private final long sequence;
  private final MessageDigest hash = AuditRecords.sha256();
  private long bytes;
  private long records;
  private long firstSequence;
  private String firstHash;
  private long lastSequence;
  private String lastHash;
  private long digestedRecords;

  private AuditLogFile(AuditDigests digests, FileChannel channel, String name, long sequence) {
    this.digests = digests;
    this.channel = channel;
    this.name = name;
    this.sequence = sequence;
  }

  /**
   * Creates log file number {@code sequence} in {@code dir}, named for the current time, and
   * makes its directory entry durable.
   */
  static AuditLogFile create(Path dir, long sequence, Clock clock, AuditDigests digests)
      throws IOException {
    String name = AuditFiles.logFileName(sequence, clock.instant());
    Path f = dir.resolve(name);
    FileChannel channel = FileChannel.open(f, OPTIONS, MODE_0600);
    try {
      Files.setPosixFilePermissions(f, SecureFiles.OWNER_ONLY); // exactly, whatever the umask
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
    SecureFiles.fsyncDirectory(dir);
    return new AuditLogFile(digests, channel, name, sequence);
  }

  /** This file's sequence; the next file's is one more. */
  long sequence() {
    return sequence;
  }

  /** Bytes written so far. */
  long bytes() {
    return bytes;
  }

  /**
   * Counts a record chained into the bytes to be written next, for the digests.
   *
   * @param hash the record's hash, 64 hex
   */
  void counted(long recordSequence, String hash) {
    if (records == 0) {
      firstSequence = recordSequence;
      firstHash = hash;
    }
    lastSequence = recordSequence;
    lastHash = hash;
    records++;
  }

  /** Appends {@code data[0, length)} (not yet durable: see {@link #force}). */
  void write(byte[] data, int length) throws IOException {
    hash.update(data, 0, length);
    ByteBuffer bb = ByteBuffer.wrap(data, 0, length);
    while (bb.hasRemaining()) {
      channel.write(bb);
    }
    bytes += length;
  }

  /** Makes what was written durable ({@code fdatasync}). */
  void force() throws IOException {
    channel.force(false);
  }

  /** Records were counted since the last digest of this file. */
  boolean undigested() {
    return records > digestedRecords;
  }

  /** Writes an interim digest of the file as it stands. */
  void digest() throws IOException, GeneralSecurityException {
    writeDigest(false);
  }

  /** Writes the final digest and closes the file; nothing is appended to it after. */
  void seal() throws IOException, GeneralSecurityException {
    writeDigest(true);
    channel.close();
  }

  /** Closes the file without a digest (after a write failure recovery re-reads it from disk). */
  void close() throws IOException {
    channel.close();
  }

  private void writeDigest(boolean fin) throws IOException, GeneralSecurityException {
    String fileSha;
    try {
      fileSha = AuditFiles.HEX.formatHex(((MessageDigest) hash.clone()).digest());
    } catch (CloneNotSupportedException e) {
      throw new IllegalStateException(e);
    }
    digests.write(name, sequence, fin, bytes, fileSha, records,
        records == 0 ? null : firstSequence, firstHash,
        records == 0 ? null : lastSequence, records == 0 ? null : lastHash);
    digestedRecords = records;
  }
}
