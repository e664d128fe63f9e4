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

  /** Parses an ISO-8601 instant ({@code 2026-01-01T10:00:00Z}) or a UTC date. */
  public static Instant parseTime(String s) {
    if (s == null) {
      return null;
    }
    try {
      return Instant.parse(s);
    } catch (DateTimeParseException e) {
      return LocalDate.parse(s).atStartOfDay(ZoneOffset.UTC).toInstant();
    }
  }

  /** Calls {@code out} with each matching record's line, oldest first; returns how many. */
  public long run(Path auditDir, Consumer<String> out) throws IOException {
    long n = 0;
    for (Path file : AuditFiles.logFiles(auditDir).values()) {
      byte[] data;
      try {
        data = Files.readAllBytes(file);
      } catch (java.nio.file.NoSuchFileException archived) {
        continue; // moved out by an archive while this ran: it is in the archive now
      }
      for (AuditFiles.Line l : AuditFiles.lines(data)) {
        if (l.record() != null && matches(l.record())) {
          out.accept(line(data, l));
          n++;
        }
      }
    }
    return n;
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
