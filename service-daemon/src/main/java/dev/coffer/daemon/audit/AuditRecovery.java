package dev.coffer.daemon.audit;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.protocol.Json;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.logging.Logger;

/**
 * Finds where the audit chain stands in the files on disk, so that {@link AuditLog} continues it
 * unbroken: at start-up, and again after a write failure (then the disk, not memory, says what
 * was written).
 *
 * <p>What it changes on disk: temporaries ({@code *.tmp}) of an interrupted atomic write are
 * deleted. If the newest log file is not sealed by a final digest (a crash, {@code kill -9}, or a
 * write failure), every complete line of it is kept and fsynced, a torn final line (the bytes
 * after the last newline, from a batch never acknowledged) is cut, and the file is sealed with a
 * final signed digest; the caller then heads the next file with {@code AuditLogRecovered} built
 * from {@link Unsealed#details()}. Lines that no longer verify are kept too (the chain continues
 * after the last readable record; {@code coffer audit verify} reports them). Described for
 * operators in {@code docs/audit.md}, "Durability".
 */
final class AuditRecovery {

  // The log's own logger: operators read and filter these lines under AuditLog's name.
  private static final Logger LOG = Logger.getLogger(AuditLog.class.getName());

  private AuditRecovery() {}

  /**
   * Where the chain stands on disk: what the appender continues from.
   *
   * @param sequence the last record's sequence; 0 before the first record
   * @param lastRecordHash the last record's hash (64 hex), the next record's {@code
   *     previousHash}; {@link AuditFiles#ZERO_HASH} before the first record
   * @param fileSequence the newest log file's sequence (the next file's is one more); 0 if none
   * @param digests the newest digest, which the next one names
   * @param unsealed the newest log file as recovery sealed it; null if it was sealed already
   */
  record ChainHead(long sequence, String lastRecordHash, long fileSequence,
      AuditDigests.Head digests, Unsealed unsealed) {}

  /**
   * A log file found unsealed and sealed by recovery.
   *
   * @param recordsKept complete lines kept, readable or not
   * @param lastSequence the sequence the chain continues after
   * @param truncatedBytes length of the torn final line cut off (0: none)
   * @param truncatedSha256 SHA-256 (hex) of the bytes cut off; null if none were
   * @param damagedRecords some kept lines do not verify
   */
  record Unsealed(String logFile, int recordsKept, long lastSequence, int truncatedBytes,
      String truncatedSha256, boolean damagedRecords) {

    /** A new object for the parameters of the {@code AuditLogRecovered} record. */
    ObjectNode details() {
      ObjectNode details = Json.object();
      details.put("logFile", logFile);
      details.put("recordsKept", recordsKept);
      details.put("lastSequence", lastSequence);
      details.put("truncatedBytes", truncatedBytes);
      if (truncatedBytes > 0) {
        details.put("truncatedSha256", truncatedSha256);
      }
      details.put("damagedRecords", damagedRecords);
      return details;
    }
  }

  /**
   * Reads the log in {@code dir} back, seals its newest file if it is unsealed (signing with
   * {@code key}, dated by {@code clock}) and says where the chain stands.
   *
   * @throws IOException if a file cannot be read or written, the digest cannot be signed, or the
   *     newest archive point (needed when no record is left in the live files) is invalid
   */
  static ChainHead recover(Path dir, AuditSigningKey key, Clock clock) throws IOException {
    TreeMap<Long, Path> digestFiles = AuditFiles.digestFiles(dir);
    deleteTemporaries(dir);
    AuditDigests.Head digests = AuditDigests.Head.NONE;
    String lastSealed = null;
    Map.Entry<Long, Path> lastDigest = digestFiles.lastEntry();
    if (lastDigest != null) {
      byte[] bytes = Files.readAllBytes(lastDigest.getValue());
      digests = new AuditDigests.Head(lastDigest.getKey(),
          lastDigest.getValue().getFileName().toString(), AuditFiles.sha256Hex(bytes));
      ObjectNode d = Json.parseObject(bytes);
      if (d.path("final").asBoolean()) {
        lastSealed = d.path("logFile").asText();
      }
    }
    TreeMap<Long, Path> logs = AuditFiles.logFiles(dir);
    if (logs.isEmpty()) {
      return new ChainHead(0, AuditFiles.ZERO_HASH, 0, digests, null);
    }
    Map.Entry<Long, Path> last = logs.lastEntry();
    long fileSequence = last.getKey();
    Path file = last.getValue();
    byte[] data = Files.readAllBytes(file);
    List<AuditFiles.Line> lines = AuditFiles.lines(data);
    AuditFiles.Line lastLine = null;
    boolean damaged = false;
    for (AuditFiles.Line l : lines) {
      if (!l.hashOk()) {
        damaged = true;
      }
      if (l.record() != null && l.hash() != null && l.sequence() > 0) {
        lastLine = l;
      }
    }
    if (damaged) {
      LOG.severe(() -> "audit log " + file + " has records that do not verify; the chain"
          + " continues after its last readable record; run `coffer audit verify`");
    }
    long sequence = 0;
    byte[] previousHash = new byte[32];
    if (lastLine != null) {
      sequence = lastLine.sequence();
      previousHash = AuditFiles.HEX.parseHex(lastLine.hash());
    } else {
      // an empty last file: the chain continues from the last record of the files before it
      AuditFiles.Line before = lastRecordBefore(logs, fileSequence);
      if (before != null) {
        sequence = before.sequence();
        previousHash = AuditFiles.HEX.parseHex(before.hash());
      }
    }
    if (sequence == 0) {
      // No record is left in the live files (every earlier file was archived, the rest are
      // empty): the chain continues from the newest signed archive point.
      AuditArchivePoint point = newestArchivePoint(dir, key);
      if (point != null) {
        sequence = point.lastSequence();
        previousHash = AuditFiles.HEX.parseHex(point.lastRecordHash());
      }
    }
    String name = file.getFileName().toString();
    Unsealed unsealed = null;
    if (!name.equals(lastSealed)) {
      AuditDigests writer = new AuditDigests(dir, key, clock, digests);
      unsealed = seal(file, data, lines, lastLine, damaged, sequence, fileSequence, writer);
      digests = writer.head();
    }
    return new ChainHead(sequence, AuditFiles.HEX.formatHex(previousHash), fileSequence, digests,
        unsealed);
  }

  /** The last record of the log files before {@code fileSequence}, newest first; null if none. */
  private static AuditFiles.Line lastRecordBefore(TreeMap<Long, Path> logs, long fileSequence)
      throws IOException {
    for (Path before : logs.headMap(fileSequence, false).descendingMap().values()) {
      List<AuditFiles.Line> prev = AuditFiles.lines(Files.readAllBytes(before));
      for (int i = prev.size() - 1; i >= 0; i--) {
        if (prev.get(i).hash() != null && prev.get(i).sequence() > 0) {
          return prev.get(i);
        }
      }
    }
    return null;
  }

  private static AuditArchivePoint newestArchivePoint(Path dir, AuditSigningKey key)
      throws IOException {
    try {
      var points = AuditArchivePoint.read(dir, key.publicKey());
      return points.isEmpty() ? null : points.lastEntry().getValue();
    } catch (AuditArchivePoint.Invalid e) {
      throw new IOException("cannot continue the audit chain: " + e.getMessage(), e);
    }
  }

  /**
   * Unclean shutdown: keeps every complete line of {@code file} (its bytes {@code data}), cuts
   * the torn tail, and seals the file with a final digest.
   */
  private static Unsealed seal(Path file, byte[] data, List<AuditFiles.Line> lines,
      AuditFiles.Line lastLine, boolean damaged, long sequence, long fileSequence,
      AuditDigests digests)
      throws IOException {
    int complete = AuditFiles.completeLength(data);
    int torn = data.length - complete;
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
      if (torn > 0) {
        ch.truncate(complete);
      }
      // the records kept may have been written but not yet fsynced (a failure, not a crash)
      ch.force(true);
    }
    String name = file.getFileName().toString();
    AuditFiles.Line firstLine = lines.isEmpty() ? null : lines.get(0);
    try {
      digests.write(name, fileSequence, true, complete, AuditFiles.sha256Hex(data, complete),
          lines.size(), firstLine == null ? null : firstLine.sequence(),
          firstLine == null ? null : firstLine.hash(),
          lastLine == null ? null : lastLine.sequence(),
          lastLine == null ? null : lastLine.hash());
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot sign the audit digest", e);
    }
    LOG.warning(() -> "audit log " + name + " was left unsealed (a crash or a write failure);"
        + " sealed it after "
        + lines.size() + " record(s)" + (torn > 0 ? ", cutting a torn final line of " + torn
        + " byte(s)" : ""));
    return new Unsealed(name, lines.size(), sequence, torn,
        torn > 0 ? AuditFiles.sha256Hex(Arrays.copyOfRange(data, complete, data.length)) : null,
        damaged);
  }

  /** Temporaries of {@code SecureFiles} writes that a crash interrupted: never complete. */
  private static void deleteTemporaries(Path dir) throws IOException {
    for (Path d : new Path[] {dir, dir.resolve(AuditFiles.DIGEST_DIR)}) {
      try (var s = Files.list(d)) {
        for (Path p : (Iterable<Path>) s::iterator) {
          if (p.getFileName().toString().endsWith(".tmp")) {
            Files.deleteIfExists(p);
          }
        }
      }
    }
  }
}
