package dev.coffer.daemon.audit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.protocol.Json;
import dev.coffer.protocol.KmsException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Checks an audit directory the way CloudTrail log file integrity validation does, reading the
 * files directly (no daemon needed): digest signatures and the digest chain, every record's hash,
 * the record chain across files, sequence numbers, and each file against its latest digest.
 *
 * <p>Security contract: the result is only as trustworthy as the public key; pass the key the
 * auditor pinned ({@code --public-key}) rather than trusting {@code signing-public.pem} beside
 * the logs. Records written after the latest digest are chained but not yet signed; they are
 * counted separately ({@link Result#unsignedRecords()}).
 *
 * <p>Archives ({@code docs/audit.md}, "Archiving and retention"): a tree whose oldest files were
 * archived or deleted by retention must start exactly where a signed {@link AuditArchivePoint}
 * ends (record sequence and hash, digest sequence and SHA-256); any other missing prefix is
 * reported. An archive directory is verified on its own with {@link #verifyArchive}: it must
 * start at the beginning of the log or at a signed archive point, and end exactly where one ends,
 * every file sealed.
 */
public final class AuditVerifier {
  private AuditVerifier() {}

  /**
   * What verification found.
   *
   * @param problem the first problem found, or null when the log verified
   */
  public record Result(String problem, int logFiles, long records, int digests,
      long unsignedRecords, String keyFingerprint, String anchor) {
    public boolean ok() {
      return problem == null;
    }

    public String summary() {
      return ok()
          ? "OK: " + logFiles + " log file(s), " + records + " record(s), " + digests
              + " signed digest(s) verified" + (unsignedRecords > 0 ? "; " + unsignedRecords
              + " newest record(s) chained but not yet covered by a digest" : "")
              + (anchor != null ? "; " + anchor : "")
              + "; signing key sha256:" + keyFingerprint
          : "FAILED: " + problem;
    }
  }

  private record Digest(String name, ObjectNode body) {
    long records() {
      return body.path("recordCount").asLong();
    }
  }

  private static final class Problem extends Exception {
    Problem(String m) {
      super(m, null, false, false);
    }
  }

  /** Reads a pinned Ed25519 public key (SubjectPublicKeyInfo, PEM or DER). */
  public static PublicKey readKey(Path file) throws IOException {
    return AuditSigningKey.readPublic(file);
  }

  /** A public key's SHA-256 fingerprint (of its SubjectPublicKeyInfo DER), hex. */
  public static String fingerprint(PublicKey key) {
    return AuditSigningKey.fingerprint(key);
  }

  /** Where the files of a tree begin: at the start of the log, or after an archive point. */
  private record Start(AuditArchivePoint point, long fileSequence, long recordSequence,
      String recordHash, long digestSequence, String digestHash) {
    static final Start BEGINNING = new Start(null, 1, 1, AuditFiles.ZERO_HASH, 1,
        AuditFiles.ZERO_HASH);

    static Start after(AuditArchivePoint p) {
      return new Start(p, p.lastLogFileSequence() + 1, p.lastSequence() + 1, p.lastRecordHash(),
          p.lastDigestSequence() + 1, p.lastDigestSha256());
    }
  }

  /** Verifies {@code auditDir} with {@code pinned}, or with its own public key if null. */
  public static Result verify(Path auditDir, PublicKey pinned) throws IOException {
    return verify(auditDir, pinned, false);
  }

  /**
   * Verifies an archive directory written by {@code coffer audit archive} on its own: as {@link
   * #verify}, and besides every file must be sealed and the archive must end exactly where a
   * signed archive point in it ends (so removing its newest files, or that point, is reported).
   */
  public static Result verifyArchive(Path archiveDir, PublicKey pinned) throws IOException {
    return verify(archiveDir, pinned, true);
  }

  private static Result verify(Path auditDir, PublicKey pinned, boolean archive)
      throws IOException {
    int[] counts = new int[2];
    long[] records = new long[2];
    String fp = "?";
    String[] anchor = new String[1];
    try {
      if (!Files.isDirectory(auditDir)) {
        throw new Problem("no audit directory at " + auditDir);
      }
      PublicKey key = pinned;
      if (key == null) {
        Path pem = auditDir.resolve(AuditFiles.PUBLIC_KEY);
        if (!Files.exists(pem)) {
          throw new Problem("missing public key " + pem);
        }
        key = AuditSigningKey.readPublic(pem);
      }
      fp = AuditSigningKey.fingerprint(key);
      TreeMap<Long, AuditArchivePoint> points;
      try {
        points = AuditArchivePoint.read(auditDir, key);
      } catch (AuditArchivePoint.Invalid e) {
        throw new Problem(e.getMessage());
      }
      Start start = start(auditDir, points);
      if (start.point() != null) {
        anchor[0] = "starts after signed " + start.point().describe();
      }
      String[] lastDigestHash = new String[1];
      Map<String, Digest> latest = checkDigests(auditDir, key, counts, start, lastDigestHash);
      End end = checkRecords(auditDir, latest, counts, records, start, archive);
      if (archive) {
        anchor[0] = (anchor[0] == null ? "" : anchor[0] + "; ")
            + checkArchiveEnd(auditDir, points, end, lastDigestHash[0], records[1]);
      }
      return new Result(null, counts[1], records[0], counts[0], records[1], fp, anchor[0]);
    } catch (Problem p) {
      return new Result(p.getMessage(), counts[1], records[0], counts[0], records[1], fp, null);
    }
  }

  /**
   * Where the tree begins: at file 1, digest 1 and record 1, or, when its oldest files are gone,
   * exactly after a signed archive point that says so. Log files and digests must agree.
   */
  private static Start start(Path dir, TreeMap<Long, AuditArchivePoint> points)
      throws IOException, Problem {
    TreeMap<Long, Path> logs = AuditFiles.logFiles(dir);
    TreeMap<Long, Path> digests = AuditFiles.digestFiles(dir);
    long firstLog = logs.isEmpty() ? 1 : logs.firstKey();
    long firstDigest = digests.isEmpty() ? 1 : digests.firstKey();
    if (firstLog == 1 && firstDigest == 1) {
      return Start.BEGINNING;
    }
    for (AuditArchivePoint p : points.descendingMap().values()) {
      if (p.lastLogFileSequence() == firstLog - 1) {
        // No digest at all: the file written since the archive has none yet (interim digests
        // come once a minute); its records are counted as not yet signed.
        if (!digests.isEmpty() && p.lastDigestSequence() != firstDigest - 1) {
          throw new Problem("incomplete archive: the log files up to file sequence "
              + (firstLog - 1) + " are gone as signed " + p.describe() + " says, but the"
              + " digests start at " + AuditFiles.digestFileName(firstDigest) + " instead of "
              + AuditFiles.digestFileName(p.lastDigestSequence() + 1) + " (an archive was"
              + " interrupted: run `coffer audit archive` again to finish it; or files were"
              + " removed by hand)");
        }
        return Start.after(p);
      }
    }
    if (firstLog == 1) {
      throw new Problem("missing digest file " + AuditFiles.digestFileName(1) + ": the digests"
          + " start at " + AuditFiles.digestFileName(firstDigest) + " while log file 1 is still"
          + " here, and no signed archive point ends at digest " + (firstDigest - 1)
          + " (digests were removed by hand)");
    }
    throw new Problem("missing log files: the log starts at "
        + logs.firstEntry().getValue().getFileName() + " (file sequence " + firstLog + "), and no"
        + " signed archive point ends at file sequence " + (firstLog - 1) + " (files were"
        + " removed other than by `coffer audit archive`, or the archive point that allowed it,"
        + " digests/" + (points.isEmpty() ? "archive-point-*.json" : AuditArchivePoint.fileName(
            points.lastKey() + 1) + " or an earlier one") + ", was removed)");
  }

  /**
   * An archive must end exactly where a signed archive point ends: its last record, last
   * digest and last file are the point's.
   *
   * @return what the archive is, for the summary
   */
  private static String checkArchiveEnd(Path dir, TreeMap<Long, AuditArchivePoint> points,
      End end, String lastDigestHash, long unsigned) throws IOException, Problem {
    TreeMap<Long, Path> digests = AuditFiles.digestFiles(dir);
    long lastDigest = digests.isEmpty() ? 0 : digests.lastKey();
    if (unsigned > 0) {
      throw new Problem("archive holds " + unsigned + " record(s) no digest covers: an archive"
          + " holds only sealed files");
    }
    for (AuditArchivePoint p : points.descendingMap().values()) {
      if (p.lastLogFileSequence() == end.fileSequence()
          && p.lastSequence() == end.recordSequence()
          && p.lastRecordHash().equals(end.recordHash()) && p.lastDigestSequence() == lastDigest
          && p.lastDigestSha256().equals(lastDigestHash)) {
        return "ends at signed " + p.describe();
      }
    }
    AuditArchivePoint newest = points.isEmpty() ? null : points.lastEntry().getValue();
    throw new Problem("incomplete archive: it ends at log file sequence " + end.fileSequence()
        + ", record sequence " + end.recordSequence() + " and "
        + AuditFiles.digestFileName(lastDigest)
        + ", where no signed archive point in it ends" + (newest == null
            ? " (its archive point, digests/archive-point-*.json, was removed)"
            : "; the newest, " + newest.describe() + ", ends at record sequence "
                + newest.lastSequence() + " (files were removed from the archive, or its"
                + " archive point was)"));
  }

  /** Where the records of a tree end: its last file, and the last record's sequence and hash. */
  private record End(long fileSequence, long recordSequence, String recordHash) {}

  /** Signatures and the digest chain; returns the latest digest for each log file. */
  private static Map<String, Digest> checkDigests(Path auditDir, PublicKey key, int[] counts,
      Start start, String[] lastHash) throws IOException, Problem {
    TreeMap<Long, Path> digests = AuditFiles.digestFiles(auditDir);
    Map<String, Digest> latest = new HashMap<>();
    String previousHash = start.digestHash();
    long expected = start.digestSequence();
    for (Map.Entry<Long, Path> e : digests.entrySet()) {
      String name = e.getValue().getFileName().toString();
      if (e.getKey() != expected) {
        throw new Problem("missing digest file " + AuditFiles.digestFileName(expected)
            + " (the digests jump from " + (expected - 1) + " to " + e.getKey() + ")");
      }
      byte[] bytes = Files.readAllBytes(e.getValue());
      Path sigFile = e.getValue().resolveSibling(name + ".sig");
      if (!Files.exists(sigFile)) {
        throw new Problem("missing signature file " + sigFile.getFileName());
      }
      if (!AuditSigningKey.verify(key, bytes, Files.readAllBytes(sigFile))) {
        throw new Problem("bad signature on digest " + name
            + " (the digest was altered or signed by another key)");
      }
      ObjectNode d;
      try {
        d = Json.parseObject(bytes);
      } catch (KmsException notJson) {
        throw new Problem("digest " + name + " is not JSON");
      }
      if (!previousHash.equals(d.path("previousDigestSha256").asText())) {
        throw new Problem("digest chain broken at " + name + ": it does not name the SHA-256 of "
            + (expected == start.digestSequence() && start.point() != null
                ? "the last digest archived by signed " + start.point().describe()
                : "the digest before it") + " (a digest was replaced or removed)");
      }
      if (d.path("digestSequence").asLong() != e.getKey()) {
        throw new Problem("digest " + name + " says it is digest "
            + d.path("digestSequence").asLong() + " (digest files were renamed)");
      }
      Digest dg = new Digest(name, d);
      latest.merge(d.path("logFile").asText(), dg,
          (a, b) -> b.records() >= a.records() ? b : a);
      previousHash = AuditFiles.sha256Hex(bytes);
      expected++;
      counts[0]++;
    }
    lastHash[0] = previousHash;
    return latest;
  }

  private static End checkRecords(Path auditDir, Map<String, Digest> latest, int[] counts,
      long[] records, Start start, boolean archive) throws IOException, Problem {
    TreeMap<Long, Path> logs = AuditFiles.logFiles(auditDir);
    Map<Long, String> named = new TreeMap<>();
    latest.forEach((file, d) -> named.put(AuditFiles.logSequence(file), file));
    long lastFileSeq = Math.max(logs.isEmpty() ? 0 : logs.lastKey(),
        named.isEmpty() ? 0 : ((TreeMap<Long, String>) named).lastKey());
    String prev = start.recordHash();
    long expectedSeq = start.recordSequence();
    for (long f = start.fileSequence(); f <= lastFileSeq; f++) {
      Path file = logs.get(f);
      if (file == null) {
        String name = named.get(f);
        throw new Problem("missing log file " + (name != null ? name + " (named by digest "
            + latest.get(name).name() + ")" : "with file sequence " + f
            + " (audit-" + String.format("%08d", f) + "-*.jsonl)"));
      }
      String name = file.getFileName().toString();
      Digest digest = latest.get(name);
      // An archive holds sealed files only: none of them may be open.
      boolean lastFile = f == lastFileSeq && !archive;
      byte[] data = Files.readAllBytes(file);
      int complete = AuditFiles.completeLength(data);
      List<AuditFiles.Line> lines = AuditFiles.lines(data);
      for (int i = 0; i < lines.size(); i++) {
        AuditFiles.Line l = lines.get(i);
        String where = name + " line " + l.lineNumber();
        if (l.record() == null) {
          throw new Problem("altered record: " + where + " is not a JSON record");
        }
        if (!l.hashOk()) {
          throw new Problem("altered record: " + where
              + " does not match its hash (its content was changed)");
        }
        if (l.sequence() != expectedSeq) {
          if (l.sequence() < expectedSeq) {
            throw new Problem("reordered or duplicated record: " + where + " has sequence "
                + l.sequence() + " but sequence " + (expectedSeq - 1) + " came before it");
          }
          for (int j = i + 1; j < lines.size(); j++) {
            if (lines.get(j).sequence() == expectedSeq) {
              throw new Problem("reordered records: " + where + " has sequence " + l.sequence()
                  + " but sequence " + expectedSeq + " comes later, at line "
                  + lines.get(j).lineNumber());
            }
          }
          throw new Problem("missing record" + (l.sequence() - expectedSeq > 1 ? "s" : "")
              + ": sequence " + expectedSeq + (l.sequence() - expectedSeq > 1 ? ".."
              + (l.sequence() - 1) : "") + " absent before " + where);
        }
        if (!prev.equals(l.previousHash())) {
          throw new Problem("chain broken at " + where + ": its previousHash is not the hash"
              + " of the record before it (that record was altered and re-hashed)");
        }
        prev = l.hash();
        expectedSeq++;
        records[0]++;
      }
      boolean sealed = digest != null && digest.body().path("final").asBoolean();
      if (complete < data.length && !(lastFile && !sealed)) {
        throw new Problem("truncated: " + name + " ends in an incomplete record at line "
            + (lines.size() + 1) + " (the file was cut mid-record)");
      }
      if (digest == null) {
        if (!lastFile) {
          throw new Problem("log file " + name + " has no signed digest (it was never sealed,"
              + " or its digests were removed)");
        }
        records[1] += lines.size();
      } else {
        checkAgainstDigest(name, data, lines, digest, lastFile, records);
      }
      counts[1]++;
    }
    return new End(lastFileSeq, expectedSeq - 1, prev);
  }

  private static void checkAgainstDigest(String name, byte[] data, List<AuditFiles.Line> lines,
      Digest digest, boolean lastFile, long[] records) throws Problem {
    ObjectNode d = digest.body();
    long want = digest.records();
    if (lines.size() < want) {
      throw new Problem("truncated: " + name + " has " + lines.size() + " record(s) but its"
          + " signed digest " + digest.name() + " covers " + want + " (records "
          + (lines.size() + 1) + ".." + want + " of the file were removed)");
    }
    long bytes = d.path("logFileBytes").asLong();
    if (data.length < bytes || !AuditFiles.sha256Hex(data, (int) bytes)
        .equals(d.path("logFileSha256").asText())) {
      throw new Problem("altered file: " + name + " no longer matches the SHA-256 in its signed"
          + " digest " + digest.name() + " (records were rewritten and re-hashed)");
    }
    if (want > 0) {
      JsonNode last = d.path("lastRecordHash");
      if (!last.asText().equals(lines.get((int) want - 1).hash())) {
        throw new Problem("altered file: the record at " + name + " line " + want
            + " is not the one digest " + digest.name() + " signed");
      }
    }
    boolean fin = d.path("final").asBoolean();
    if (lines.size() > want || data.length > bytes) {
      if (fin || !lastFile) {
        throw new Problem("records appended to " + name + " after it was sealed by digest "
            + digest.name() + " (line " + (want + 1) + " onwards)");
      }
      records[1] += lines.size() - want;
    }
  }
}
