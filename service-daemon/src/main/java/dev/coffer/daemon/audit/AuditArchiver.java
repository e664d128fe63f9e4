package dev.coffer.daemon.audit;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.daemon.files.SecureFiles;
import dev.coffer.protocol.Json;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Moves the oldest closed log files and their digests out of the live audit tree, without
 * breaking verification: {@code coffer audit archive --before DATE --to DIR} (copy, fsync,
 * verify the copy, then delete) and the daemon's retention ({@code audit-retention-days}: delete).
 * Either way a signed {@link AuditArchivePoint} is written first, so that {@link AuditVerifier}
 * accepts the removal of exactly that prefix and no other.
 *
 * <p>What is taken: from the oldest live file on, each file that is sealed (its newest digest is
 * final), was sealed before {@code before}, and is not the newest file (the one the daemon
 * writes, or will continue after); the first file that fails stops the range, so only a prefix
 * ever goes. Nothing is taken from a tree that does not verify, so tampering is never laundered
 * into an archive.
 *
 * <p>Crash safety: the copy is complete, fsynced and verified as an archive before the archive
 * point is written, and the point is durable before anything is deleted. An archive interrupted
 * while deleting is finished by the next run (which first checks the copy again). Runs are
 * serialised by a lock file, {@code audit/archive.lock}, across processes (the CLI and the
 * daemon).
 */
public final class AuditArchiver {

  private static final String LOCK_FILE = "archive.lock";
  private static final ReentrantLock IN_PROCESS = new ReentrantLock();

  private final Path dir;
  private final AuditSigningKey key;
  private final Clock clock;

  AuditArchiver(Path auditDir, AuditSigningKey key, Clock clock) {
    this.dir = auditDir;
    this.key = key;
    this.clock = clock;
  }

  /**
   * An archiver for {@code home/audit}, signing with {@code home}'s audit signing key (so only
   * the daemon's user, or root, can archive).
   *
   * @throws IOException if there is no audit log or signing key there
   */
  public static AuditArchiver open(Path home, Clock clock) throws IOException {
    Path auditDir = home.resolve("audit");
    if (!Files.isDirectory(auditDir) || !Files.exists(home.resolve(AuditSigningKey.PRIVATE_FILE))) {
      throw new IOException("no audit log with its signing key under " + home + " (expected "
          + auditDir + " and " + home.resolve(AuditSigningKey.PRIVATE_FILE) + ")");
    }
    return new AuditArchiver(auditDir, AuditSigningKey.load(home, auditDir), clock);
  }

  /**
   * What a run did.
   *
   * @param point the archive point written or finished, or null when nothing was archived
   * @param logFiles log files removed from the live tree
   * @param digests digests removed from the live tree
   * @param message one line for the operator
   */
  public record Result(AuditArchivePoint point, int logFiles, int digests, String message) {
    /** The point's fields, for the audit record of the archive; null without a point. */
    public ObjectNode details() {
      return point == null ? null : point.body().deepCopy();
    }

    /** The point's id, the {@code eventID} of its audit record; null without a point. */
    public String archiveId() {
      return point == null ? null : point.archiveId();
    }
  }

  /** A refusal: nothing was removed from the live tree. */
  public static final class Refused extends Exception {
    Refused(String message) {
      super(message, null, false, false);
    }
  }

  /**
   * Archives (with {@code destination}) or deletes (without) the closed files sealed before
   * {@code before}.
   *
   * @param destination the archive directory (created mode 0700; empty, or holding the archive
   *     that ends where the live tree starts), or null to delete (retention)
   * @param by who asked: written into the point and its audit record
   * @throws Refused naming why nothing was removed
   */
  public Result archive(Instant before, Path destination, ObjectNode by)
      throws IOException, Refused {
    IN_PROCESS.lock();
    Path lockFile = dir.resolve(LOCK_FILE);
    try (FileChannel ch = FileChannel.open(lockFile, Set.of(StandardOpenOption.CREATE,
        StandardOpenOption.WRITE), PosixFilePermissions.asFileAttribute(SecureFiles.OWNER_ONLY));
        FileLock ignored = ch.lock()) {
      ownLikeDirectory(lockFile);
      Result finished = finishInterrupted();
      if (finished != null) {
        return finished;
      }
      return archiveLocked(before, destination, by);
    } finally {
      IN_PROCESS.unlock();
    }
  }

  private Result archiveLocked(Instant before, Path destination, ObjectNode by)
      throws IOException, Refused {
    if (destination != null) {
      requireOutsideLiveLog(destination);
    }
    TreeMap<Long, AuditArchivePoint> points = points();
    ArchiveRange range = ArchiveRange.select(dir, before);
    if (range.logs().isEmpty()) {
      return new Result(null, 0, 0, "nothing to archive: no closed log file was sealed before "
          + AuditRecords.TIME.format(before) + " (the newest file is never archived)");
    }
    AuditVerifier.Result live = AuditVerifier.verify(dir, key.publicKey());
    if (!live.ok()) {
      throw new Refused("the live audit log does not verify, so nothing was archived: "
          + live.problem());
    }
    AuditArchivePoint start = startPoint(points);
    if (destination != null) {
      prepareDestination(destination, start);
      for (Path p : range.logs()) {
        VerifiedCopy.copy(p, destination.resolve(p.getFileName()), SecureFiles.OWNER_ONLY);
      }
      for (Path p : range.digests()) {
        VerifiedCopy.copyDigest(p, destination);
      }
    }
    long n = points.isEmpty() ? 1 : points.lastKey() + 1;
    AuditArchivePoint point = writePoint(n, before, destination, by, range, start, points);
    if (destination != null) {
      VerifiedCopy.copyDigest(dir.resolve(AuditFiles.DIGEST_DIR).resolve(point.name()),
          destination);
      requireArchiveVerifies(destination, point);
    }
    delete(range.logs(), range.digests());
    return new Result(point, range.logs().size(), range.digests().size(),
        (destination != null ? "archived " : "deleted ") + range.logs().size() + " log file(s) ("
            + range.logs().get(0).getFileName() + " .. "
            + range.logs().get(range.logs().size() - 1).getFileName() + ") and "
            + range.digests().size() + " digest(s)" + (destination != null ? " to "
            + destination : "") + "; " + point.describe() + " anchors the live log");
  }

  private AuditArchivePoint writePoint(long n, Instant before, Path destination, ObjectNode by,
      ArchiveRange range, AuditArchivePoint start, TreeMap<Long, AuditArchivePoint> points)
      throws IOException {
    ObjectNode last = range.lastFinal();
    ObjectNode b = Json.object();
    b.put("archivePointVersion", "1.0");
    b.put("archivePointSequence", n);
    b.put("archiveId", UUID.randomUUID().toString());
    b.put("archiveTime", AuditRecords.TIME.format(clock.instant()));
    b.put("action", destination != null ? AuditArchivePoint.ACTION_ARCHIVED
        : AuditArchivePoint.ACTION_DELETED);
    if (destination != null) {
      b.put("destination", destination.toAbsolutePath().normalize().toString());
    } else {
      b.putNull("destination");
    }
    b.put("before", AuditRecords.TIME.format(before));
    b.set("by", by);
    b.put("firstLogFile", range.logs().get(0).getFileName().toString());
    b.put("lastLogFile", last.path("logFile").asText());
    b.put("lastLogFileSequence", last.path("logFileSequence").asLong());
    b.put("logFiles", range.logs().size());
    b.put("digests", range.digests().size());
    // An empty last file: the chain stands where the last record before it left it.
    String hash = last.hasNonNull("lastRecordHash") ? last.get("lastRecordHash").asText() : null;
    long seq = last.hasNonNull("lastSequence") ? last.get("lastSequence").asLong() : 0;
    if (hash == null) {
      ChainEnd before0 = chainBefore(range, start);
      seq = before0.sequence();
      hash = before0.hash();
    }
    if (range.firstSequence() != null) {
      b.put("firstSequence", range.firstSequence());
    } else {
      b.putNull("firstSequence");
    }
    b.put("lastSequence", seq);
    b.put("lastRecordHash", hash);
    b.put("lastDigestSequence", range.lastDigestSequence());
    b.put("lastDigestFile", AuditFiles.digestFileName(range.lastDigestSequence()));
    b.put("lastDigestSha256", AuditFiles.sha256Hex(range.lastDigestBytes()));
    b.put("previousArchivePointSha256", points.isEmpty() ? AuditFiles.ZERO_HASH
        : points.lastEntry().getValue().sha256());
    b.put("signatureAlgorithm", AuditSigningKey.ALGORITHM);
    b.put("signingKeyFingerprint", AuditSigningKey.fingerprint(key.publicKey()));
    byte[] bytes = AuditArchivePoint.encode(b);
    Path digests = dir.resolve(AuditFiles.DIGEST_DIR);
    Path file = digests.resolve(AuditArchivePoint.fileName(n));
    try {
      // Signature first: a point never appears without one.
      SecureFiles.replace(file.resolveSibling(file.getFileName() + ".sig"), key.sign(bytes),
          SecureFiles.OWNER_ONLY);
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot sign the archive point", e);
    }
    if (!SecureFiles.createNew(file, bytes, SecureFiles.OWNER_ONLY)) {
      throw new IOException(file + " appeared while archiving (another archive ran at once?)");
    }
    ownLikeDirectory(file.resolveSibling(file.getFileName() + ".sig"));
    ownLikeDirectory(file);
    return new AuditArchivePoint(file.getFileName().toString(), n, b, bytes);
  }

  /** The last record of the chain: its sequence and hash (0 and zeros before the first). */
  private record ChainEnd(long sequence, String hash) {}

  /** Where the chain stands after a range whose last file is empty. */
  private static ChainEnd chainBefore(ArchiveRange range, AuditArchivePoint start)
      throws IOException {
    for (int i = range.digests().size() - 1; i >= 0; i--) {
      ObjectNode d = Json.parseObject(Files.readAllBytes(range.digests().get(i)));
      if (d.hasNonNull("lastRecordHash")) {
        return new ChainEnd(d.get("lastSequence").asLong(), d.get("lastRecordHash").asText());
      }
    }
    return start != null ? new ChainEnd(start.lastSequence(), start.lastRecordHash())
        : new ChainEnd(0, AuditFiles.ZERO_HASH);
  }

  /**
   * Finishes an archive whose point was written but whose files were not all deleted (the
   * process stopped while deleting): checks the copy again, then deletes.
   */
  private Result finishInterrupted() throws IOException, Refused {
    TreeMap<Long, AuditArchivePoint> points = points();
    if (points.isEmpty()) {
      return null;
    }
    AuditArchivePoint p = points.lastEntry().getValue();
    List<Path> logs = new ArrayList<>(
        AuditFiles.logFiles(dir).headMap(p.lastLogFileSequence(), true).values());
    List<Path> digests = new ArrayList<>(
        AuditFiles.digestFiles(dir).headMap(p.lastDigestSequence(), true).values());
    if (logs.isEmpty() && digests.isEmpty()) {
      return null;
    }
    Path destination = p.destination();
    if (destination != null) {
      requireArchiveVerifies(destination, p);
      for (Path f : logs) {
        VerifiedCopy.requireSame(f, destination.resolve(f.getFileName()));
      }
      for (Path f : digests) {
        VerifiedCopy.requireSame(f,
            destination.resolve(AuditFiles.DIGEST_DIR).resolve(f.getFileName()));
      }
    }
    delete(logs, digests);
    return new Result(p, logs.size(), digests.size(), "finished the interrupted "
        + p.describe() + ": removed " + logs.size() + " log file(s) and " + digests.size()
        + " digest(s) from the live log");
  }

  /** The point the live tree starts after, or null when it starts at the beginning. */
  private AuditArchivePoint startPoint(TreeMap<Long, AuditArchivePoint> points)
      throws IOException {
    TreeMap<Long, Path> logs = AuditFiles.logFiles(dir);
    if (logs.isEmpty() || logs.firstKey() == 1) {
      return null;
    }
    for (AuditArchivePoint p : points.descendingMap().values()) {
      if (p.lastLogFileSequence() == logs.firstKey() - 1) {
        return p;
      }
    }
    return null; // the live tree verified, so this does not happen
  }

  /**
   * An empty directory becomes a new archive (with the point the live tree starts after, so it
   * verifies on its own); a directory holding an archive is extended only if that archive ends
   * exactly where the live tree starts.
   */
  private void prepareDestination(Path destination, AuditArchivePoint start)
      throws IOException, Refused {
    SecureFiles.createPrivateDirectory(destination);
    SecureFiles.createPrivateDirectory(destination.resolve(AuditFiles.DIGEST_DIR));
    TreeMap<Long, Path> held = AuditFiles.logFiles(destination);
    if (!held.isEmpty() || !AuditFiles.digestFiles(destination).isEmpty()) {
      AuditVerifier.Result r = AuditVerifier.verifyArchive(destination, key.publicKey());
      if (!r.ok()) {
        throw new Refused("the archive directory " + destination + " holds files that do not"
            + " verify as an archive (" + r.problem() + "); choose an empty directory");
      }
      long wanted = start == null ? 0 : start.lastLogFileSequence();
      long ends = held.isEmpty() ? 0 : held.lastKey();
      if (ends != wanted) {
        throw new Refused("the archive directory " + destination + " holds an archive ending at"
            + " log file sequence " + ends + ", but the live log continues after " + wanted
            + "; choose an empty directory, or the archive the live log continues");
      }
    } else if (start != null) {
      copyPoint(start, destination);
    }
    Path pem = destination.resolve(AuditFiles.PUBLIC_KEY);
    if (!Files.exists(pem)) {
      VerifiedCopy.copy(dir.resolve(AuditFiles.PUBLIC_KEY), pem, SecureFiles.PUBLIC_READ);
    }
  }

  private void requireOutsideLiveLog(Path destination) throws IOException, Refused {
    Path real = dir.toRealPath();
    Path dest = realPathOf(destination);
    if (dest.startsWith(real) || real.startsWith(dest)) {
      throw new Refused("the archive directory " + destination + " is, holds or lies in the"
          + " live audit log " + dir + "; choose a directory outside it");
    }
  }

  /**
   * Where {@code path} is, symbolic links resolved: the real path of its longest existing
   * ancestor with the rest appended. Compared as written, a link to the live tree ({@code
   * --to /tmp/link/x}, the link naming {@code audit/}) put the archive inside the log it
   * archives.
   */
  private static Path realPathOf(Path path) throws IOException {
    Path abs = path.toAbsolutePath().normalize();
    Path existing = abs;
    while (existing != null && !Files.exists(existing)) {
      existing = existing.getParent();
    }
    return existing == null ? abs
        : existing.toRealPath().resolve(existing.relativize(abs)).normalize();
  }

  private void copyPoint(AuditArchivePoint p, Path destination) throws IOException, Refused {
    VerifiedCopy.copyDigest(dir.resolve(AuditFiles.DIGEST_DIR).resolve(p.name()), destination);
  }

  private void requireArchiveVerifies(Path destination, AuditArchivePoint p)
      throws IOException, Refused {
    AuditVerifier.Result r = AuditVerifier.verifyArchive(destination, key.publicKey());
    if (!r.ok() || !Files.exists(destination.resolve(AuditFiles.DIGEST_DIR).resolve(p.name()))) {
      throw new Refused("the archive at " + destination + " does not verify (" + (r.ok()
          ? "it lacks " + p.name() : r.problem()) + "), so nothing was deleted from the live"
          + " log; restore the archive and run `coffer audit archive` again");
    }
  }

  /** Log files first, oldest first, then their digests; each directory fsynced after. */
  private void delete(List<Path> logs, List<Path> digests) throws IOException {
    for (Path p : logs) {
      Files.deleteIfExists(p);
    }
    SecureFiles.fsyncDirectory(dir);
    for (Path p : digests) {
      Files.deleteIfExists(p.resolveSibling(p.getFileName() + ".sig"));
      Files.deleteIfExists(p);
    }
    SecureFiles.fsyncDirectory(dir.resolve(AuditFiles.DIGEST_DIR));
  }

  TreeMap<Long, AuditArchivePoint> points() throws IOException, Refused {
    try {
      return AuditArchivePoint.read(dir, key.publicKey());
    } catch (AuditArchivePoint.Invalid e) {
      throw new Refused(e.getMessage() + "; run `coffer audit verify`");
    }
  }

  /**
   * A file the CLI creates as root in the daemon's tree is handed to the tree's owner, so the
   * daemon can still read it.
   */
  private void ownLikeDirectory(Path file) throws IOException {
    UserPrincipal owner = Files.getOwner(dir);
    if (!Files.getOwner(file).equals(owner)) {
      Files.setOwner(file, owner);
    }
  }
}
