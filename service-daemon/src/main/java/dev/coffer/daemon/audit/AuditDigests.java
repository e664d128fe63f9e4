package dev.coffer.daemon.audit;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.daemon.files.SecureFiles;
import dev.coffer.protocol.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Clock;

/**
 * Writes the signed digests of the audit log files, {@code digests/digest-<n>.json} with its
 * Ed25519 signature in {@code digest-<n>.json.sig} (format in {@link AuditFiles}).
 *
 * <p>A digest covers one log file as it stands: interim while the file is written, final when it
 * is sealed (at rotation, at close, or by {@link AuditRecovery} after a crash). Each names the
 * previous digest and that digest's SHA-256, so removing or replacing one breaks the chain. The
 * signature is written first, so a digest never appears without one; both are replaced
 * atomically with mode 0600 ({@link SecureFiles#replace}).
 *
 * <p>Not thread-safe: only the appender thread, or recovery before it starts, writes digests.
 */
final class AuditDigests {

  /**
   * Where the digest chain stands: the newest digest's sequence, file name and SHA-256 (64 hex),
   * which the next digest names; {@link #NONE} before the first digest.
   */
  record Head(long sequence, String file, String sha256) {
    static final Head NONE = new Head(0, null, AuditFiles.ZERO_HASH);
  }

  private final Path dir;
  private final AuditSigningKey key;
  private final Clock clock;
  private Head head;

  /** Writes digests into {@code dir/digests}, continuing the chain after {@code head}. */
  AuditDigests(Path dir, AuditSigningKey key, Clock clock, Head head) {
    this.dir = dir;
    this.key = key;
    this.clock = clock;
    this.head = head;
  }

  /** The newest digest written (or the one this writer continued from). */
  Head head() {
    return head;
  }

  /**
   * Signs and writes the next digest.
   *
   * @param logFile the log file's name; {@code logSeq} its file sequence
   * @param fin the file is sealed: no record is appended to it after this digest
   * @param bytes how many bytes of the file the digest covers; {@code fileSha} their SHA-256
   * @param records how many records those bytes hold; with none, {@code firstSeq} and {@code
   *     lastSeq} are null and the four record fields are written as JSON nulls
   */
  void write(String logFile, long logSeq, boolean fin, long bytes, String fileSha,
      long records, Long firstSeq, String firstHash, Long lastSeq, String lastHash)
      throws IOException, GeneralSecurityException {
    long n = head.sequence() + 1;
    ObjectNode d = Json.object();
    d.put("digestVersion", "1.0");
    d.put("digestSequence", n);
    d.put("digestTime", AuditRecords.TIME.format(clock.instant()));
    d.put("logFile", logFile);
    d.put("logFileSequence", logSeq);
    d.put("final", fin);
    d.put("logFileBytes", bytes);
    d.put("logFileSha256", fileSha);
    d.put("recordCount", records);
    if (firstSeq == null) {
      d.putNull("firstSequence");
      d.putNull("firstRecordHash");
      d.putNull("lastSequence");
      d.putNull("lastRecordHash");
    } else {
      d.put("firstSequence", firstSeq);
      d.put("firstRecordHash", firstHash);
      d.put("lastSequence", lastSeq);
      d.put("lastRecordHash", lastHash);
    }
    if (head.file() == null) {
      d.putNull("previousDigestFile");
    } else {
      d.put("previousDigestFile", head.file());
    }
    d.put("previousDigestSha256", head.sha256());
    d.put("signatureAlgorithm", AuditSigningKey.ALGORITHM);
    d.put("signingKeyFingerprint", AuditSigningKey.fingerprint(key.publicKey()));
    byte[] bytesOut = (new String(Json.toBytes(d), StandardCharsets.UTF_8) + "\n")
        .getBytes(StandardCharsets.UTF_8);
    byte[] sig = key.sign(bytesOut);
    Path digests = dir.resolve(AuditFiles.DIGEST_DIR);
    String name = AuditFiles.digestFileName(n);
    // Signature first: a digest never appears without one.
    SecureFiles.replace(digests.resolve(name + ".sig"), sig, SecureFiles.OWNER_ONLY);
    SecureFiles.replace(digests.resolve(name), bytesOut, SecureFiles.OWNER_ONLY);
    head = new Head(n, name, AuditFiles.sha256Hex(bytesOut));
  }
}
