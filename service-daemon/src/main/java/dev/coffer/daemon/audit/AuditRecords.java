package dev.coffer.daemon.audit;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.daemon.identity.Identity;
import dev.coffer.daemon.identity.UnixPeer;
import dev.coffer.protocol.Json;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Shapes an {@link AuditEvent} into a CloudTrail-like record.
 *
 * <p>Security contract: nothing secret reaches the log. Request parameters pass an allow-list of
 * AWS field names whose values are not secret (plaintext, ciphertext blobs, key material, import
 * tokens, public wrapping keys, passwords, grant tokens and policy documents are never copied;
 * any field not on the list is dropped). Response elements are written only for management
 * operations that change state, again through an allow-list; cryptographic and read-only
 * operations record {@code null}, as CloudTrail does. Binary JSON nodes are never copied.
 */
public final class AuditRecords {
  private AuditRecords() {}

  public static final String EVENT_VERSION = "1.08";
  public static final String EVENT_SOURCE = "kms.coffer";
  /** The user name of {@link UnixPeer#daemon()}: events the daemon originates itself. */
  static final String DAEMON_USER = UnixPeer.DAEMON_USER;

  static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

  private static final DateTimeFormatter TO_SECOND =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss").withZone(ZoneOffset.UTC);

  private record FormattedSecond(long epochSecond, String text) {}

  private static volatile FormattedSecond lastSecond = new FormattedSecond(Long.MIN_VALUE, "");

  /**
   * {@code eventTime} in {@link #TIME}'s format. A {@code DateTimeFormatter} costs more than the
   * rest of a record, so the part up to the second is formatted once per second and reused.
   */
  static String eventTime(Instant t) {
    long second = t.getEpochSecond();
    FormattedSecond f = lastSecond;
    if (f.epochSecond() != second) {
      f = new FormattedSecond(second, TO_SECOND.format(t));
      lastSecond = f;
    }
    int millis = t.getNano() / 1_000_000;
    return f.text() + '.' + (char) ('0' + millis / 100) + (char) ('0' + millis / 10 % 10)
        + (char) ('0' + millis % 10) + 'Z';
  }

  /**
   * Caps on untrusted text, so that no request can make a record large: every string copied
   * from a request (field values, map keys, list items) is cut to {@link #MAX_STRING} UTF-16
   * units, the operation name to {@link #MAX_EVENT_NAME} and the error message (which may quote
   * input) to {@link #MAX_ERROR_MESSAGE}, each ending in {@link #TRUNCATED} when cut; and when
   * the request parameters or response elements still serialise to more than {@link
   * #MAX_SECTION_BYTES} bytes, the section is replaced by a summary {@code {"truncated":true,
   * "originalBytes":n,"sha256":"<hex of the section's JSON>"}}. A record is thereby at most
   * about 2 × {@link #MAX_SECTION_BYTES} plus 2 KiB. A refused request (its record has an
   * {@code errorCode}) keeps at most {@link #MAX_REFUSED_SECTION_BYTES} of request parameters:
   * it changed nothing, and a flood of large failing requests must not cost 16 KiB a record.
   * Documented in {@code docs/audit.md}.
   */
  static final int MAX_STRING = 8192;

  /** Longest operation name recorded (AWS operation names are at most 40 characters). */
  static final int MAX_EVENT_NAME = 128;

  /** Longest error message recorded. */
  static final int MAX_ERROR_MESSAGE = 1024;

  /** Largest {@code requestParameters} or {@code responseElements} recorded in full. */
  static final int MAX_SECTION_BYTES = 16 * 1024;

  /**
   * Longest transport detail recorded ({@code sourceIPAddress}, {@code userAgent}, {@code
   * tlsDetails} members, an access key id of a failed authentication): client-chosen text.
   */
  static final int MAX_ORIGIN_TEXT = 512;

  /** Largest {@code requestParameters} recorded in full for a refused request. */
  static final int MAX_REFUSED_SECTION_BYTES = 2 * 1024;

  /** Appended to a string that was cut. */
  static final String TRUNCATED = "...(truncated)";

  private enum Kind { SCALAR, STRING_MAP, STRING_LIST, TAGS, CONSTRAINTS, COUNT, SHA256 }

  /** Request fields that may be logged, and how. Everything else is dropped. */
  private static final Map<String, Kind> REQUEST = Map.ofEntries(
      Map.entry("KeyId", Kind.SCALAR), Map.entry("AliasName", Kind.SCALAR),
      Map.entry("TargetKeyId", Kind.SCALAR), Map.entry("Description", Kind.SCALAR),
      Map.entry("KeySpec", Kind.SCALAR), Map.entry("CustomerMasterKeySpec", Kind.SCALAR),
      Map.entry("KeyUsage", Kind.SCALAR), Map.entry("Origin", Kind.SCALAR),
      Map.entry("MultiRegion", Kind.SCALAR),
      Map.entry("BypassPolicyLockoutSafetyCheck", Kind.SCALAR),
      Map.entry("NumberOfBytes", Kind.SCALAR), Map.entry("EncryptionAlgorithm", Kind.SCALAR),
      Map.entry("SourceEncryptionAlgorithm", Kind.SCALAR),
      Map.entry("DestinationEncryptionAlgorithm", Kind.SCALAR),
      Map.entry("SourceKeyId", Kind.SCALAR), Map.entry("DestinationKeyId", Kind.SCALAR),
      Map.entry("EncryptionContext", Kind.STRING_MAP),
      Map.entry("SourceEncryptionContext", Kind.STRING_MAP),
      Map.entry("DestinationEncryptionContext", Kind.STRING_MAP),
      Map.entry("PendingWindowInDays", Kind.SCALAR), Map.entry("Tags", Kind.TAGS),
      Map.entry("TagKeys", Kind.STRING_LIST), Map.entry("RotationPeriodInDays", Kind.SCALAR),
      Map.entry("WrappingAlgorithm", Kind.SCALAR), Map.entry("WrappingKeySpec", Kind.SCALAR),
      Map.entry("ValidTo", Kind.SCALAR), Map.entry("ExpirationModel", Kind.SCALAR),
      Map.entry("ImportType", Kind.SCALAR), Map.entry("KeyMaterialId", Kind.SCALAR),
      Map.entry("KeyMaterialDescription", Kind.SCALAR),
      Map.entry("IncludeKeyMaterial", Kind.SCALAR),
      Map.entry("GrantTokens", Kind.COUNT), Map.entry("PolicyName", Kind.SCALAR),
      Map.entry("Policy", Kind.SHA256), Map.entry("Limit", Kind.SCALAR),
      Map.entry("Marker", Kind.SCALAR), Map.entry("CustomKeyStoreId", Kind.SCALAR),
      Map.entry("CustomKeyStoreName", Kind.SCALAR), Map.entry("CustomKeyStoreType", Kind.SCALAR),
      Map.entry("NewCustomKeyStoreName", Kind.SCALAR),
      Map.entry("Pkcs11LibraryPath", Kind.SCALAR), Map.entry("Pkcs11TokenLabel", Kind.SCALAR),
      Map.entry("Pkcs11SlotListIndex", Kind.SCALAR),
      Map.entry("GranteePrincipal", Kind.SCALAR), Map.entry("RetiringPrincipal", Kind.SCALAR),
      Map.entry("Operations", Kind.STRING_LIST), Map.entry("Constraints", Kind.CONSTRAINTS),
      Map.entry("GrantId", Kind.SCALAR), Map.entry("Name", Kind.SCALAR),
      Map.entry("DryRun", Kind.SCALAR),
      // Sign/Verify/GenerateMac/VerifyMac/GenerateDataKeyPair*: the algorithms, never the
      // Message, Signature or Mac (CloudTrail records these fields alike).
      Map.entry("SigningAlgorithm", Kind.SCALAR), Map.entry("MessageType", Kind.SCALAR),
      Map.entry("MacAlgorithm", Kind.SCALAR), Map.entry("KeyPairSpec", Kind.SCALAR),
      // Coffer's PutCertificateChain: how many certificates (they are public, but large).
      Map.entry("CertificateChain", Kind.COUNT),
      // Coffer's access-key administration (IAM's names); SecretAccessKey is never copied.
      Map.entry("UserName", Kind.SCALAR), Map.entry("AccessKeyId", Kind.SCALAR),
      Map.entry("Status", Kind.SCALAR), Map.entry("MaxItems", Kind.SCALAR));

  /** Response fields of state-changing management operations that may be logged. */
  private static final Set<String> RESPONSE = Set.of("KeyId", "KeyMetadata", "KeyState",
      "DeletionDate", "PendingWindowInDays", "GrantId", "CustomKeyStoreId", "ParametersValidTo",
      "KeyRotationEnabled", "RotationPeriodInDays", "NextRotationDate", "AliasName",
      "TargetKeyId", "KeyMaterialId");

  /** True for events the daemon originates itself (maintenance, recovery). */
  static boolean isServiceEvent(Identity identity) {
    return identity instanceof UnixPeer p && p.isDaemon();
  }

  /**
   * The record as CloudTrail would shape it, without the chain fields ({@code sequence},
   * {@code previousHash}, {@code hash}), which the appender adds in log order.
   */
  public static ObjectNode record(AuditEvent e, String region, String account) {
    return Json.parseObject(toJson(e, region, account));
  }

  /**
   * {@link #record} as one line of UTF-8 JSON, written field by field: every request pays for
   * this on its connection thread, and building a tree first cost about a quarter of the
   * daemon's time per {@code Encrypt}.
   */
  static byte[] toJson(AuditEvent e, String region, String account) {
    boolean service = isServiceEvent(e.identity());
    ByteArrayOutputStream out = new ByteArrayOutputStream(768);
    try (JsonGenerator g = Json.MAPPER.getFactory().createGenerator(out, JsonEncoding.UTF8)) {
      g.writeStartObject();
      g.writeStringField("eventVersion", EVENT_VERSION);
      g.writeFieldName("userIdentity");
      g.writeRawValue(e.identity() == null ? AuditIdentities.unauthenticated(e.request())
          : AuditIdentities.identity(e.identity(), account, service));
      g.writeStringField("eventTime", eventTime(e.eventTime()));
      g.writeStringField("eventSource", EVENT_SOURCE);
      g.writeStringField("eventName", cut(e.eventName(), MAX_EVENT_NAME));
      g.writeStringField("awsRegion", region);
      AuditIdentities.writeOrigin(g, e.origin());
      g.writeFieldName("requestParameters");
      g.writeTree(bounded(service ? copyTrusted(e.request()) : requestParameters(e.request()),
          e.errorCode() != null ? MAX_REFUSED_SECTION_BYTES : MAX_SECTION_BYTES));
      g.writeFieldName("responseElements");
      g.writeTree(bounded(responseElements(e), MAX_SECTION_BYTES));
      if (e.errorCode() != null) {
        g.writeStringField("errorCode", cut(e.errorCode(), MAX_EVENT_NAME));
        g.writeStringField("errorMessage",
            cut(e.errorMessage() == null ? "" : e.errorMessage(), MAX_ERROR_MESSAGE));
      }
      g.writeObjectFieldStart("additionalEventData");
      g.writeNumberField("connectionRequestId", e.requestId());
      if (e.atCommit()) {
        // Written inside the change's transaction, before its outcome was known; it reaches
        // the log from the outbox only if the daemon could not log the final record.
        g.writeBooleanField("recordedAtCommit", true);
      }
      g.writeEndObject();
      // The id the client was answered with (x-amzn-RequestId), so a client's error report
      // finds its record; the socket shows none.
      g.writeStringField("requestID", e.origin() != null && e.origin().requestId() != null
          ? cut(e.origin().requestId(), MAX_EVENT_NAME) : randomUuid());
      g.writeStringField("eventID", e.eventId() != null ? e.eventId() : randomUuid());
      g.writeBooleanField("readOnly", e.readOnly());
      g.writeArrayFieldStart("resources");
      for (String arn : e.resources()) {
        g.writeStartObject();
        g.writeStringField("accountId", account);
        g.writeStringField("type", "AWS::KMS::Key");
        g.writeStringField("ARN", arn);
        g.writeEndObject();
      }
      g.writeEndArray();
      g.writeStringField("eventType", service ? "AwsServiceEvent" : "AwsApiCall");
      g.writeBooleanField("managementEvent", e.managementEvent());
      g.writeStringField("eventCategory", e.managementEvent() ? "Management" : "Data");
      g.writeStringField("recipientAccountId", account);
      g.writeEndObject();
    } catch (IOException impossible) {
      throw new UncheckedIOException("writing JSON to memory failed", impossible);
    }
    return out.toByteArray();
  }

  /**
   * A version-4 UUID for an event or request id. These ids must be unique, not unpredictable,
   * so they come from {@link ThreadLocalRandom}: {@link UUID#randomUUID()} draws from one shared
   * {@code SecureRandom} (a lock, and a read of {@code /dev/urandom} every other call), which
   * every connection thread would queue on per request.
   */
  public static String randomUuid() {
    ThreadLocalRandom r = ThreadLocalRandom.current();
    long msb = (r.nextLong() & ~0xF000L) | 0x4000L;
    long lsb = (r.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
    return new UUID(msb, lsb).toString();
  }

  static ObjectNode requestParameters(ObjectNode in) {
    ObjectNode out = Json.object();
    if (in == null) {
      return out;
    }
    in.fields().forEachRemaining(f -> {
      Kind kind = REQUEST.get(f.getKey());
      if (kind == null) {
        return;
      }
      JsonNode v = f.getValue();
      JsonNode copied = switch (kind) {
        case SCALAR -> scalar(v);
        case STRING_MAP -> stringMap(v);
        case STRING_LIST -> stringList(v);
        case TAGS -> tags(v);
        case CONSTRAINTS -> constraints(v);
        case COUNT -> v.isArray() ? Json.MAPPER.getNodeFactory().numberNode(v.size()) : null;
        case SHA256 -> v.isTextual() ? Json.MAPPER.getNodeFactory().textNode(sha256(v.textValue()))
            : null;
      };
      if (copied != null) {
        out.set(kind == Kind.COUNT ? f.getKey() + "Count"
            : kind == Kind.SHA256 ? f.getKey() + "Sha256" : f.getKey(), copied);
      }
    });
    return out;
  }

  private static JsonNode responseElements(AuditEvent e) {
    if (e.response() == null || !e.managementEvent() || e.readOnly()
        || isServiceEvent(e.identity())) {
      return Json.MAPPER.nullNode();
    }
    ObjectNode out = Json.object();
    e.response().fields().forEachRemaining(f -> {
      if (f.getKey().equals("AccessKey") && f.getValue() instanceof ObjectNode key) {
        // CreateAccessKey: the key's metadata, never its secret.
        ObjectNode meta = key.deepCopy();
        meta.remove("SecretAccessKey");
        JsonNode v = plain(meta);
        if (v != null) {
          out.set("AccessKey", v);
        }
      } else if (RESPONSE.contains(f.getKey())) {
        JsonNode v = plain(f.getValue());
        if (v != null) {
          out.set(f.getKey(), v);
        }
      }
    });
    return out;
  }

  /** A deep copy keeping only text, numbers, booleans, nulls, objects and arrays. */
  private static JsonNode plain(JsonNode v) {
    if (v.isObject()) {
      ObjectNode o = Json.object();
      v.fields().forEachRemaining(f -> {
        JsonNode c = plain(f.getValue());
        if (c != null) {
          o.set(f.getKey(), c);
        }
      });
      return o;
    }
    if (v.isArray()) {
      ArrayNode a = Json.MAPPER.createArrayNode();
      v.forEach(x -> {
        JsonNode c = plain(x);
        if (c != null) {
          a.add(c);
        }
      });
      return a;
    }
    return scalar(v);
  }

  private static JsonNode copyTrusted(ObjectNode in) {
    return in == null ? Json.object() : plain(in);
  }

  private static JsonNode scalar(JsonNode v) {
    if (v.isTextual()) {
      return v.textValue().length() > MAX_STRING
          ? Json.MAPPER.getNodeFactory().textNode(cut(v.textValue())) : v;
    }
    if (v.isNumber() || v.isBoolean() || v.isNull()) {
      return v;
    }
    return null;
  }

  private static JsonNode stringMap(JsonNode v) {
    if (!v.isObject()) {
      return null;
    }
    ObjectNode o = Json.object();
    v.fields().forEachRemaining(f -> {
      if (f.getValue().isTextual()) {
        o.set(cut(f.getKey()), scalar(f.getValue()));
      }
    });
    return o;
  }

  private static JsonNode stringList(JsonNode v) {
    if (!v.isArray()) {
      return null;
    }
    ArrayNode a = Json.MAPPER.createArrayNode();
    v.forEach(x -> {
      if (x.isTextual()) {
        a.add(scalar(x));
      }
    });
    return a;
  }

  private static JsonNode tags(JsonNode v) {
    if (!v.isArray()) {
      return null;
    }
    ArrayNode a = Json.MAPPER.createArrayNode();
    v.forEach(t -> {
      if (t.isObject()) {
        ObjectNode o = a.addObject();
        for (String k : new String[] {"TagKey", "TagValue"}) {
          JsonNode x = t.get(k);
          if (x != null && x.isTextual()) {
            o.set(k, scalar(x));
          }
        }
      }
    });
    return a;
  }

  private static JsonNode constraints(JsonNode v) {
    if (!v.isObject()) {
      return null;
    }
    ObjectNode o = Json.object();
    for (String k : new String[] {"EncryptionContextSubset", "EncryptionContextEquals"}) {
      JsonNode x = v.get(k);
      if (x != null) {
        JsonNode m = stringMap(x);
        if (m != null) {
          o.set(k, m);
        }
      }
    }
    return o;
  }

  private static String cut(String s) {
    return cut(s, MAX_STRING);
  }

  /**
   * {@code s} cut to at most {@code max} UTF-16 units followed by {@link #TRUNCATED}, never
   * splitting a surrogate pair.
   */
  static String cut(String s, int max) {
    if (s.length() <= max) {
      return s;
    }
    int end = Character.isHighSurrogate(s.charAt(max - 1)) ? max - 1 : max;
    return s.substring(0, end) + TRUNCATED;
  }

  /**
   * An upper bound of the bytes {@code n} serialises to (a character escapes to at most 6), so
   * the common small record is not serialised twice.
   */
  private static long upperBound(JsonNode n) {
    if (n.isTextual()) {
      return 6L * n.textValue().length() + 2;
    }
    if (n.isContainerNode()) {
      long[] sum = {2};
      if (n.isObject()) {
        n.fields().forEachRemaining(f ->
            sum[0] += 6L * f.getKey().length() + 4 + upperBound(f.getValue()));
      } else {
        n.forEach(x -> sum[0] += 1 + upperBound(x));
      }
      return sum[0];
    }
    return 32;
  }

  /** {@code section}, or its summary when it serialises to more than {@code max} bytes. */
  private static JsonNode bounded(JsonNode section, int max) {
    if (section == null || section.isNull() || upperBound(section) <= max) {
      return section;
    }
    byte[] json = Json.toBytes(section);
    if (json.length <= max) {
      return section;
    }
    ObjectNode summary = Json.object();
    summary.put("truncated", true);
    summary.put("originalBytes", json.length);
    summary.put("sha256", HexFormat.of().formatHex(sha256().digest(json)));
    return summary;
  }

  static String sha256(String s) {
    return HexFormat.of().formatHex(sha256().digest(s.getBytes(StandardCharsets.UTF_8)));
  }

  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is a required JDK algorithm", e);
    }
  }
}
