package dev.coffer.daemon.audit;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.protocol.Json;
import dev.coffer.protocol.KmsException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A signed archive point: the statement, signed with the audit signing key, that the log files
 * and digests up to a point were moved out of the live tree ({@code coffer audit archive}) or
 * deleted by retention ({@code audit-retention-days}). It is what makes the removal of a prefix
 * of the log verifiable: the first remaining record must continue from {@link #lastSequence()}
 * and {@link #lastRecordHash()}, and the first remaining digest must name {@link
 * #lastDigestSha256()} as its predecessor. Anyone without the signing key can therefore remove
 * log files only by leaving a gap that verification reports.
 *
 * <p>On disk: {@code digests/archive-point-<8-digit sequence>.json} (one JSON line) beside its raw
 * Ed25519 signature {@code .json.sig}, in the live tree (every point is kept there; they are
 * small) and, for an archive, in the archive directory too. {@code docs/audit.md} describes the
 * fields for auditors.
 *
 * @param name the file name, {@code archive-point-00000001.json}
 * @param sequence the point's sequence number (1, 2, ... in the live tree)
 * @param body the parsed JSON
 * @param bytes the file's exact bytes (what the signature covers)
 */
record AuditArchivePoint(String name, long sequence, ObjectNode body, byte[] bytes) {

  static final String ACTION_ARCHIVED = "archived";
  static final String ACTION_DELETED = "deleted";
  private static final Pattern FILE = Pattern.compile("archive-point-(\\d{8})\\.json");

  static String fileName(long sequence) {
    return String.format("archive-point-%08d.json", sequence);
  }

  /** The archive's own identity, used as the {@code eventID} of the record that audits it. */
  String archiveId() {
    return body.path("archiveId").asText();
  }

  /** File sequence of the last log file the point removed. */
  long lastLogFileSequence() {
    return body.path("lastLogFileSequence").asLong();
  }

  /** Record sequence of the last record removed; the live tree continues at the next one. */
  long lastSequence() {
    return body.path("lastSequence").asLong();
  }

  String lastRecordHash() {
    return body.path("lastRecordHash").asText();
  }

  long lastDigestSequence() {
    return body.path("lastDigestSequence").asLong();
  }

  /** SHA-256 of the last removed digest's bytes: the next digest's {@code previousDigestSha256}. */
  String lastDigestSha256() {
    return body.path("lastDigestSha256").asText();
  }

  String action() {
    return body.path("action").asText();
  }

  /** Where the files went ({@link #ACTION_ARCHIVED}), or null when retention deleted them. */
  Path destination() {
    return body.hasNonNull("destination") ? Path.of(body.get("destination").asText()) : null;
  }

  String sha256() {
    return AuditFiles.sha256Hex(bytes);
  }

  /** For messages: "archive point 2 (archived through audit-00000004-…, record sequence 81)". */
  String describe() {
    return "archive point " + sequence + " (" + action() + " through "
        + body.path("lastLogFile").asText() + ", record sequence " + lastSequence() + ")";
  }

  /** A point that failed to load: what is wrong with it, naming the file. */
  static final class Invalid extends Exception {
    Invalid(String message) {
      super(message, null, false, false);
    }
  }

  /**
   * Every archive point in {@code auditDir/digests}, by sequence, each signature checked.
   *
   * @throws Invalid naming the first point whose signature is missing or wrong, that is not
   *     JSON, or whose stated sequence differs from its file name
   */
  static TreeMap<Long, AuditArchivePoint> read(Path auditDir, PublicKey key)
      throws IOException, Invalid {
    TreeMap<Long, AuditArchivePoint> out = new TreeMap<>();
    for (var e : AuditFiles.list(auditDir.resolve(AuditFiles.DIGEST_DIR), FILE).entrySet()) {
      Path file = e.getValue();
      String name = file.getFileName().toString();
      byte[] bytes = Files.readAllBytes(file);
      Path sig = file.resolveSibling(name + ".sig");
      if (!Files.exists(sig)) {
        throw new Invalid("missing signature file " + sig.getFileName() + " of archive point "
            + name);
      }
      if (!AuditSigningKey.verify(key, bytes, Files.readAllBytes(sig))) {
        throw new Invalid("bad signature on archive point " + name
            + " (it was altered or signed by another key)");
      }
      ObjectNode body;
      try {
        body = Json.parseObject(bytes);
      } catch (KmsException notJson) {
        throw new Invalid("archive point " + name + " is not JSON");
      }
      if (body.path("archivePointSequence").asLong() != e.getKey()) {
        throw new Invalid("archive point " + name + " says it is archive point "
            + body.path("archivePointSequence").asLong() + " (archive points were renamed)");
      }
      out.put(e.getKey(), new AuditArchivePoint(name, e.getKey(), body, bytes));
    }
    return out;
  }

  /** The bytes of a point's file: one JSON line. */
  static byte[] encode(ObjectNode body) {
    return (new String(Json.toBytes(body), StandardCharsets.UTF_8) + "\n")
        .getBytes(StandardCharsets.UTF_8);
  }

  static boolean isPointFile(String name) {
    Matcher m = FILE.matcher(name.endsWith(".sig") ? name.substring(0, name.length() - 4) : name);
    return m.matches();
  }
}
