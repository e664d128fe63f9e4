package dev.coffer.daemon.audit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.daemon.files.SecureFiles;
import dev.coffer.protocol.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The on-disk format of the audit log, shared by the writer ({@link AuditLog}) and the readers
 * ({@link AuditVerifier}, {@link AuditLookup}); {@code docs/audit.md} describes it for auditors.
 *
 * <p>Log files are {@code audit-<8-digit file sequence>-<UTC start time>.jsonl}: one record a
 * line. A record's last member is always {@code ,"hash":"<64 hex>"}; its hash is
 * {@code sha256(previousHash || body)} where {@code body} is the line with that last member
 * removed (so it ends in {@code "previousHash":"<hex>"}}). Digests are {@code
 * digests/digest-<8-digit sequence>.json} with the raw Ed25519 signature of the file's exact bytes
 * in {@code digest-<n>.json.sig}.
 */
final class AuditFiles {
  private AuditFiles() {}

  static final String DIGEST_DIR = "digests";
  static final String PUBLIC_KEY = "signing-public.pem";
  static final String ZERO_HASH = "0".repeat(64);
  static final HexFormat HEX = HexFormat.of();

  private static final Pattern LOG = Pattern.compile("audit-(\\d{8})-(\\d{8}T\\d{6}Z)\\.jsonl");
  private static final Pattern DIGEST = Pattern.compile("digest-(\\d{8})\\.json");
  private static final DateTimeFormatter STAMP =
      DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

  static final byte[] HASH_PREFIX = ",\"hash\":\"".getBytes(StandardCharsets.US_ASCII);
  /** Bytes of the trailing {@code ,"hash":"<64 hex>"}} after the body's last member. */
  static final int HASH_SUFFIX = HASH_PREFIX.length + 64 + 2;

  static String logFileName(long sequence, Instant start) {
    return String.format("audit-%08d-%s.jsonl", sequence, STAMP.format(start));
  }

  static String digestFileName(long sequence) {
    return String.format("digest-%08d.json", sequence);
  }

  /**
   * Refuses to start on an audit directory tree other users could change or read: {@code
   * audit/} and {@code audit/digests/} must be 0700, and every file in them 0600, except the
   * public key ({@value #PUBLIC_KEY}), which may be readable by all but written by none. With a
   * home at 0711 (allowed, for a shared socket) a writable {@code digests/} would let another
   * user delete digests; and audit records, though they hold no secret, are confidential (as
   * CloudTrail logs are private). Nothing is checked before the first start creates the tree.
   *
   * @throws IOException as OpenSSH words it, with the {@code chmod} that fixes it
   */
  static void requirePrivate(Path auditDir) throws IOException {
    for (Path d : List.of(auditDir, auditDir.resolve(DIGEST_DIR))) {
      if (!Files.isDirectory(d, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
        continue;
      }
      SecureFiles.requireOwnerOnlyDirectory(d, "the audit log");
      try (Stream<Path> files = Files.list(d)) {
        for (Path f : (Iterable<Path>) files::iterator) {
          if (Files.isDirectory(f, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            continue; // digests/ is checked in its turn
          }
          if (d.equals(auditDir) && f.getFileName().toString().equals(PUBLIC_KEY)) {
            SecureFiles.requireNotWritableByOthers(f, "how auditors check the audit log");
          } else {
            SecureFiles.requireOwnerOnly(f, "audit records (confidential, as CloudTrail logs"
                + " are)");
          }
        }
      }
    }
  }

  /**
   * Creates {@code audit/} and {@code audit/digests/} where missing and sets both to exactly 0700,
   * whatever the umask.
   */
  static void createPrivate(Path auditDir) throws IOException {
    for (Path d : List.of(auditDir, auditDir.resolve(DIGEST_DIR))) {
      SecureFiles.createPrivateDirectory(d);
      Files.setPosixFilePermissions(d, SecureFiles.PRIVATE_DIRECTORY);
    }
  }

  /** Log files by file sequence. */
  static TreeMap<Long, Path> logFiles(Path dir) throws IOException {
    return list(dir, LOG);
  }

  /** Digest files by digest sequence. */
  static TreeMap<Long, Path> digestFiles(Path dir) throws IOException {
    return list(dir.resolve(DIGEST_DIR), DIGEST);
  }

  static long logSequence(String fileName) {
    Matcher m = LOG.matcher(fileName);
    return m.matches() ? Long.parseLong(m.group(1)) : -1;
  }

  /**
   * Which of {@code eventIds} the log files in {@code dir} hold, reading newest first and
   * stopping after the file that was open at {@code since} (less a minute, for clock steps and
   * the stamps' whole seconds).
   */
  static java.util.Set<String> eventIdsPresent(Path dir, java.util.Collection<String> eventIds,
      Instant since) throws IOException {
    java.util.Set<String> found = new java.util.HashSet<>();
    Instant from = since.minus(java.time.Duration.ofMinutes(1));
    for (Path f : logFiles(dir).descendingMap().values()) {
      String text;
      try {
        text = new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
      } catch (java.nio.file.NoSuchFileException archived) {
        continue; // moved out by an archive meanwhile: older than anything looked for here
      }
      for (String id : eventIds) {
        if (text.contains("\"eventID\":\"" + id + "\"")) {
          found.add(id);
        }
      }
      Instant start = logStart(f.getFileName().toString());
      if (found.size() == eventIds.size() || (start != null && start.isBefore(from))) {
        break;
      }
    }
    return found;
  }

  /** When a log file was started, from its name; null if the name is not a log file's. */
  static Instant logStart(String fileName) {
    Matcher m = LOG.matcher(fileName);
    return m.matches() ? STAMP.parse(m.group(2), Instant::from) : null;
  }

  /** Files in {@code dir} whose names match {@code p}, by the number in its first group. */
  static TreeMap<Long, Path> list(Path dir, Pattern p) throws IOException {
    TreeMap<Long, Path> out = new TreeMap<>();
    if (!Files.isDirectory(dir)) {
      return out;
    }
    try (Stream<Path> s = Files.list(dir)) {
      s.forEach(f -> {
        Matcher m = p.matcher(f.getFileName().toString());
        if (m.matches()) {
          out.put(Long.parseLong(m.group(1)), f);
        }
      });
    }
    return out;
  }

  /**
   * One line of a log file as read back.
   *
   * @param lineNumber 1-based
   * @param end offset just past the line's newline
   * @param record the parsed record, or null if the line is not a JSON object
   * @param hashOk the line's stated hash matches sha256(previousHash || body)
   */
  record Line(int lineNumber, int end, ObjectNode record, boolean hashOk, long sequence,
      String previousHash, String hash) {}

  /** Splits complete lines (each ending in a newline); the tail after the last one is ignored. */
  static List<Line> lines(byte[] data) {
    List<Line> out = new ArrayList<>();
    int start = 0;
    int n = 0;
    for (int i = 0; i < data.length; i++) {
      if (data[i] == '\n') {
        out.add(parse(++n, data, start, i));
        start = i + 1;
      }
    }
    return out;
  }

  /** Offset just past the last newline: bytes beyond it are a torn (incomplete) final line. */
  static int completeLength(byte[] data) {
    for (int i = data.length - 1; i >= 0; i--) {
      if (data[i] == '\n') {
        return i + 1;
      }
    }
    return 0;
  }

  private static Line parse(int lineNumber, byte[] data, int from, int to) {
    ObjectNode rec = null;
    try {
      JsonNode n = Json.MAPPER.readTree(data, from, to - from);
      rec = n instanceof ObjectNode o ? o : null;
    } catch (IOException | RuntimeException e) {
      // not JSON: reported by the verifier
    }
    long seq = rec != null && rec.path("sequence").canConvertToLong()
        ? rec.path("sequence").asLong() : -1;
    String prev = rec != null ? rec.path("previousHash").asText(null) : null;
    String hash = rec != null ? rec.path("hash").asText(null) : null;
    boolean ok = rec != null && hash != null && hash.length() == 64
        && hashMatches(data, from, to, hash);
    return new Line(lineNumber, to + 1, rec, ok, seq, prev, hash);
  }

  private static boolean hashMatches(byte[] data, int from, int to, String hash) {
    int bodyEnd = to - HASH_SUFFIX;
    if (bodyEnd <= from || !Arrays.equals(data, bodyEnd, bodyEnd + HASH_PREFIX.length,
        HASH_PREFIX, 0, HASH_PREFIX.length) || data[to - 1] != '}' || data[to - 2] != '"') {
      return false;
    }
    String stated = new String(data, bodyEnd + HASH_PREFIX.length, 64, StandardCharsets.US_ASCII);
    if (!stated.equals(hash)) {
      return false;
    }
    String prev = previousHashOf(data, from, bodyEnd);
    if (prev == null) {
      return false;
    }
    var md = AuditRecords.sha256();
    md.update(HEX.parseHex(prev));
    md.update(data, from, bodyEnd - from);
    md.update((byte) '}');
    return HEX.formatHex(md.digest()).equals(hash);
  }

  /** The body must end with {@code "previousHash":"<64 hex>"}: read it from there. */
  private static String previousHashOf(byte[] data, int from, int bodyEnd) {
    int start = bodyEnd - 65;
    byte[] key = "\"previousHash\":\"".getBytes(StandardCharsets.US_ASCII);
    if (start - key.length < from || data[bodyEnd - 1] != '"'
        || !Arrays.equals(data, start - key.length, start, key, 0, key.length)) {
      return null;
    }
    String hex = new String(data, start, 64, StandardCharsets.US_ASCII);
    return hex.chars().allMatch(c -> (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))
        ? hex : null;
  }

  static String sha256Hex(byte[] data) {
    return HEX.formatHex(AuditRecords.sha256().digest(data));
  }

  static String sha256Hex(byte[] data, int len) {
    var md = AuditRecords.sha256();
    md.update(data, 0, len);
    return HEX.formatHex(md.digest());
  }
}
