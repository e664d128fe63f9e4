package dev.coffer.daemon.audit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.PriorityQueue;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * Finds audit records by key, operation, time and principal ("who used this key and when"),
 * reading the log files directly. Lookup does not verify integrity; run {@link AuditVerifier}
 * for that.
 *
 * @param keyId a key id, key ARN or alias name: matches a record whose resources name the key
 *     or whose {@code requestParameters.KeyId} is it; null matches all
 * @param eventName an operation name, e.g. {@code Decrypt}; null matches all
 * @param start earliest {@code eventTime} (inclusive), or null
 * @param end latest {@code eventTime} (exclusive), or null
 * @param principal a user name or {@code arn:coffer:iam::...:user/...} ARN, or null
 */
public record AuditLookup(String keyId, String eventName, Instant start, Instant end,
    String principal) {

  /**
   * Parses an ISO-8601 instant ({@code 2026-01-01T10:00:00Z}, or with an offset such as {@code
   * +01:00}) or a date (midnight UTC).
   *
   * @throws DateTimeParseException for anything else
   */
  public static Instant parseTime(String s) {
    if (s == null) {
      return null;
    }
    try {
      return java.time.OffsetDateTime.parse(s).toInstant();
    } catch (DateTimeParseException e) {
      return LocalDate.parse(s).atStartOfDay(ZoneOffset.UTC).toInstant();
    }
  }

  /** Calls {@code out} with each matching record's line, oldest first; returns how many. */
  public long run(Path auditDir, Consumer<String> out) throws IOException {
    long n = 0;
    Matches m = new Matches(auditDir);
    for (Match r = m.next(); r != null; r = m.next()) {
      out.accept(r.line());
      n++;
    }
    return n;
  }

  /**
   * Calls {@code out} with each matching record of all {@code sources} and the source it came
   * from, merged by {@code eventTime}; equal times keep the order of {@code sources}, and each
   * source keeps its own log order. Streams: it holds one log file per source at a time, so
   * large logs do not have to fit in memory. Returns how many.
   */
  public long run(List<AuditSource> sources, BiConsumer<AuditSource, String> out)
      throws IOException {
    record Head(Instant time, int source, Match match) {}
    PriorityQueue<Head> heads = new PriorityQueue<>(
        Comparator.comparing(Head::time).thenComparingInt(Head::source));
    List<Matches> readers = new ArrayList<>();
    for (int i = 0; i < sources.size(); i++) {
      readers.add(new Matches(sources.get(i).dir()));
      Match first = readers.get(i).next();
      if (first != null) {
        heads.add(new Head(first.time(), i, first));
      }
    }
    long n = 0;
    for (Head h = heads.poll(); h != null; h = heads.poll()) {
      out.accept(sources.get(h.source()), h.match().line());
      n++;
      Match next = readers.get(h.source()).next();
      if (next != null) {
        heads.add(new Head(next.time(), h.source(), next));
      }
    }
    return n;
  }

  /** A matching record: its line as written and its {@code eventTime} (EPOCH if unreadable). */
  private record Match(String line, Instant time) {}

  /** The matching records of one directory in log order, reading one file at a time. */
  private final class Matches {
    private final Iterator<Path> files;
    private byte[] data;
    private Iterator<AuditFiles.Line> lines = Collections.emptyIterator();

    Matches(Path auditDir) throws IOException {
      files = AuditFiles.logFiles(auditDir).values().iterator();
    }

    Match next() throws IOException {
      while (true) {
        while (lines.hasNext()) {
          AuditFiles.Line l = lines.next();
          if (l.record() != null && matches(l.record())) {
            return new Match(line(data, l), eventTime(l.record()));
          }
        }
        if (!files.hasNext()) {
          data = null;
          return null;
        }
        try {
          data = Files.readAllBytes(files.next());
        } catch (java.nio.file.NoSuchFileException archived) {
          data = new byte[0]; // moved out by an archive while this ran: it is in the archive now
        }
        lines = AuditFiles.lines(data).iterator();
      }
    }
  }

  private static Instant eventTime(ObjectNode r) {
    try {
      return Instant.parse(r.path("eventTime").asText());
    } catch (DateTimeParseException e) {
      return Instant.EPOCH; // not a record this daemon wrote; verify reports it
    }
  }

  private static String line(byte[] data, AuditFiles.Line l) {
    int start = l.end() - 1;
    while (start > 0 && data[start - 1] != '\n') {
      start--;
    }
    return new String(data, start, l.end() - 1 - start, StandardCharsets.UTF_8);
  }

  boolean matches(ObjectNode r) {
    if (eventName != null && !eventName.equals(r.path("eventName").asText())) {
      return false;
    }
    if (start != null || end != null) {
      Instant t;
      try {
        t = Instant.parse(r.path("eventTime").asText());
      } catch (DateTimeParseException e) {
        return false;
      }
      if ((start != null && t.isBefore(start)) || (end != null && !t.isBefore(end))) {
        return false;
      }
    }
    if (principal != null) {
      JsonNode id = r.path("userIdentity");
      if (!principal.equals(id.path("userName").asText())
          && !principal.equals(id.path("arn").asText())) {
        return false;
      }
    }
    return keyId == null || namesKey(r);
  }

  private boolean namesKey(ObjectNode r) {
    for (JsonNode res : r.path("resources")) {
      if (sameKey(res.path("ARN").asText())) {
        return true;
      }
    }
    JsonNode p = r.path("requestParameters");
    for (String f : new String[] {"KeyId", "TargetKeyId", "SourceKeyId", "DestinationKeyId"}) {
      if (p.hasNonNull(f) && sameKey(p.get(f).asText())) {
        return true;
      }
    }
    return false;
  }

  /**
   * Equal, or one is an ARN whose resource part is the other ({@code key/<id>}, alias), or both
   * are ARNs of the same resource: records written before the six-part ARNs name keys as {@code
   * arn:coffer:<region>:<account>:key/<id>}, later ones as {@code arn:aws:kms:...:key/<id>}.
   */
  private boolean sameKey(String value) {
    if (value.isEmpty()) {
      return false;
    }
    return value.equals(keyId) || value.endsWith(":key/" + keyId) || value.endsWith(":" + keyId)
        || keyId.endsWith(":key/" + value) || keyId.endsWith(":" + value)
        || (value.startsWith("arn:") && keyId.startsWith("arn:")
            && resource(value).equals(resource(keyId)));
  }

  /** An ARN's resource part ({@code key/<id>}, {@code alias/<name>}), which has no colon. */
  private static String resource(String arn) {
    return arn.substring(arn.lastIndexOf(':') + 1);
  }
}
