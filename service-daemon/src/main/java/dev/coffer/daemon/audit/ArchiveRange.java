package dev.coffer.daemon.audit;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.protocol.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What one archive run takes from the live tree ({@link AuditArchiver}): the oldest log files,
 * each sealed (its newest digest final) before a time, never the newest file, stopping at the
 * first file that does not qualify, with all their digests.
 *
 * @param logs the log files, oldest first (empty: nothing to take)
 * @param digests their digests, in digest order (a file's digests are consecutive)
 * @param lastFinal the final digest of the last file taken
 * @param lastDigestBytes that digest's exact bytes
 * @param lastDigestSequence that digest's sequence
 * @param firstSequence the first record sequence taken, or null when the files are empty
 */
record ArchiveRange(List<Path> logs, List<Path> digests, ObjectNode lastFinal,
    byte[] lastDigestBytes, long lastDigestSequence, Long firstSequence) {

  /** From the oldest live file on: sealed, sealed before {@code before}, not the newest. */
  static ArchiveRange select(Path dir, Instant before)
      throws IOException, AuditArchiver.Refused {
    TreeMap<Long, Path> logs = AuditFiles.logFiles(dir);
    TreeMap<Long, Path> digests = AuditFiles.digestFiles(dir);
    List<Path> takeLogs = new ArrayList<>();
    List<Path> takeDigests = new ArrayList<>();
    ArchiveRange none = new ArchiveRange(takeLogs, takeDigests, null, null, 0, null);
    if (logs.size() < 2) {
      return none;
    }
    long newest = logs.lastKey();
    long file = logs.firstKey();
    // The digests of one file are consecutive; a file is judged by its newest digest, once the
    // next file's first digest (or the end) shows there is no later one.
    List<Path> group = new ArrayList<>();
    ObjectNode latest = null;
    byte[] latestBytes = null;
    long latestSeq = 0;
    ArchiveRange taken = none;
    Long firstSequence = null;
    var it = digests.entrySet().iterator();
    while (file < newest) {
      Map.Entry<Long, Path> e = it.hasNext() ? it.next() : null;
      byte[] bytes = e == null ? null : Files.readAllBytes(e.getValue());
      ObjectNode d = e == null ? null : Json.parseObject(bytes);
      long f = d == null ? Long.MAX_VALUE : d.path("logFileSequence").asLong();
      if (f < file) {
        throw new AuditArchiver.Refused("digest " + e.getValue().getFileName()
            + " names log file " + f
            + ", older than the oldest live log file; run `coffer audit verify`");
      }
      if (f > file) {
        if (!takes(latest, before) || !logs.containsKey(file)) {
          break;
        }
        takeLogs.add(logs.get(file));
        takeDigests.addAll(group);
        group.clear();
        if (firstSequence == null && latest.hasNonNull("firstSequence")) {
          firstSequence = latest.get("firstSequence").asLong();
        }
        taken = new ArchiveRange(takeLogs, takeDigests, latest, latestBytes, latestSeq,
            firstSequence);
        latest = null;
        file++;
        if (f != file) {
          break; // a file without digests, or the end of the digests
        }
      }
      group.add(e.getValue());
      latest = d;
      latestBytes = bytes;
      latestSeq = e.getKey();
    }
    return taken;
  }

  private static boolean takes(ObjectNode digest, Instant before) {
    return digest != null && digest.path("final").asBoolean()
        && Instant.parse(digest.path("digestTime").asText()).isBefore(before);
  }
}
