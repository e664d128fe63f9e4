package dev.coffer.daemon.ops;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.protocol.ErrorType;
import dev.coffer.protocol.Json;
import dev.coffer.protocol.KmsException;
import dev.coffer.protocol.WellFormedText;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Typed, validating access to one request's input fields. A member of the wrong JSON type is a
 * {@code SerializationException} ({@link #wrongType}); a missing required field, an unknown field
 * or a value of the right type that breaks a rule is a {@code ValidationException}; both name the
 * field.
 *
 * <p>Every string read here is well-formed Unicode and round-trips exactly through UTF-8:
 * {@code Json.parseRequest} checked the whole body (bytes, escapes, field names) before any
 * operation saw it (docs/protocol.md, "Request grammar"). Blobs are the canonical base64 of their
 * bytes ({@link #blob}).
 */
public final class Input {

  private final ObjectNode node;
  // Decoded blobs by field: the access check reads CiphertextBlob's key id before the operation
  // opens it, and a 4 KiB blob need not be base64-decoded twice per request.
  private Map<String, byte[]> blobs;

  Input(ObjectNode node, Set<String> allowed) {
    this.node = node;
    Iterator<String> names = node.fieldNames();
    while (names.hasNext()) {
      String n = names.next();
      if (!allowed.contains(n)) {
        throw invalid(WellFormedText.shown(n), "is not a parameter of this operation (parameters: "
            + String.join(", ", new java.util.TreeSet<>(allowed)) + ")");
      }
    }
  }

  /** A nested object field, validated against its own allowed fields. */
  public Input object(String name, Set<String> allowed) {
    JsonNode v = node.get(name);
    if (!(v instanceof ObjectNode o)) {
      throw wrongType(name, "must be an object");
    }
    return new Input(o, allowed);
  }

  /**
   * Ends a request whose checks all passed when it asked for {@code DryRun}: AWS answers
   * {@code DryRunOperationException} for a request that would have succeeded.
   */
  public void stopIfDryRun() {
    if (bool("DryRun")) {
      throw new KmsException("DryRunOperationException",
          "the request would have succeeded, but DryRun was set");
    }
  }

  public boolean has(String name) {
    JsonNode v = node.get(name);
    return v != null && !v.isNull();
  }

  public String string(String name) {
    JsonNode v = node.get(name);
    if (v == null || v.isNull()) {
      return null;
    }
    if (!v.isTextual()) {
      throw wrongType(name, "must be a string");
    }
    return v.textValue();
  }

  public String requiredString(String name) {
    String s = string(name);
    if (s == null || s.isEmpty()) {
      throw invalid(name, "is required");
    }
    return s;
  }

  public Integer integer(String name) {
    JsonNode v = node.get(name);
    if (v == null || v.isNull()) {
      return null;
    }
    if (!v.isIntegralNumber()) {
      throw wrongType(name, "must be an integer");
    }
    if (!v.canConvertToInt()) {
      throw invalid(name, "must be between " + Integer.MIN_VALUE + " and " + Integer.MAX_VALUE);
    }
    return v.intValue();
  }

  public int integer(String name, int min, int max, int dflt) {
    Integer v = integer(name);
    if (v == null) {
      return dflt;
    }
    if (v < min || v > max) {
      throw invalid(name, "must be between " + min + " and " + max + ", got " + v);
    }
    return v;
  }

  /** A timestamp: epoch seconds (the AWS JSON protocol) or an ISO-8601 instant; null if absent. */
  public java.time.Instant timestamp(String name) {
    JsonNode v = node.get(name);
    if (v == null || v.isNull()) {
      return null;
    }
    if (v.isNumber()) {
      return java.time.Instant.ofEpochMilli(Math.round(v.doubleValue() * 1000));
    }
    if (!v.isTextual()) {
      throw wrongType(name, "must be epoch seconds (a number) or an ISO-8601 timestamp (a string)");
    }
    try {
      return java.time.OffsetDateTime.parse(v.textValue()).toInstant();
    } catch (java.time.format.DateTimeParseException e) {
      try {
        return java.time.Instant.parse(v.textValue());
      } catch (java.time.format.DateTimeParseException e2) {
        // fall through
      }
    }
    throw invalid(name, "must be epoch seconds or an ISO-8601 timestamp like 2027-01-31T00:00:00Z");
  }

  public boolean bool(String name) {
    JsonNode v = node.get(name);
    if (v == null || v.isNull()) {
      return false;
    }
    if (!v.isBoolean()) {
      throw wrongType(name, "must be true or false");
    }
    return v.booleanValue();
  }

  /** A base64 blob field; {@code null} when absent. */
  public byte[] blob(String name) {
    if (blobs != null && blobs.containsKey(name)) {
      return blobs.get(name);
    }
    JsonNode v = node.get(name);
    if (v != null && !v.isNull() && !v.isTextual() && !v.isBinary()) {
      throw wrongType(name, "must be a base64 string");
    }
    byte[] b;
    try {
      b = Json.bytes(v);
    } catch (IllegalArgumentException e) {
      throw invalid(name, "must be the canonical base64 encoding of the bytes (standard alphabet"
          + " A-Z a-z 0-9 + /, '=' padding to a multiple of 4 characters, no whitespace or line"
          + " breaks, unused trailing bits zero); this value " + e.getMessage());
    }
    if (blobs == null) {
      blobs = new java.util.HashMap<>(4);
    }
    blobs.put(name, b);
    return b;
  }

  /** The fields as they came, for checks that read them before the operation validates them. */
  public ObjectNode node() {
    return node;
  }

  public byte[] requiredBlob(String name) {
    byte[] b = blob(name);
    if (b == null) {
      throw invalid(name, "is required");
    }
    return b;
  }

  public Map<String, String> stringMap(String name) {
    JsonNode v = node.get(name);
    if (v == null || v.isNull()) {
      return Map.of();
    }
    if (!v.isObject()) {
      throw wrongType(name, "must be an object of string values");
    }
    Map<String, String> out = new LinkedHashMap<>();
    Iterator<Map.Entry<String, JsonNode>> it = v.fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      if (!e.getValue().isTextual()) {
        throw wrongType(name, "value of " + WellFormedText.quote(e.getKey())
            + " must be a string");
      }
      out.put(e.getKey(), e.getValue().textValue());
    }
    return out;
  }

  public List<String> stringList(String name) {
    JsonNode v = node.get(name);
    if (v == null || v.isNull()) {
      return List.of();
    }
    if (!v.isArray()) {
      throw wrongType(name, "must be a list of strings");
    }
    List<String> out = new ArrayList<>();
    for (JsonNode e : v) {
      if (!e.isTextual()) {
        throw wrongType(name, "must be a list of strings");
      }
      out.add(e.textValue());
    }
    return out;
  }

  /** A list of {@code {"TagKey":..,"TagValue":..}} objects, in request order. */
  public List<Map.Entry<String, String>> tags(String name) {
    JsonNode v = node.get(name);
    if (v == null || v.isNull()) {
      return List.of();
    }
    if (!v.isArray()) {
      throw wrongType(name, "must be a list of {TagKey, TagValue}");
    }
    List<Map.Entry<String, String>> out = new ArrayList<>();
    for (JsonNode t : v) {
      JsonNode k = t.get("TagKey");
      JsonNode val = t.get("TagValue");
      if (!t.isObject() || (k != null && !k.isTextual()) || (val != null && !val.isTextual())) {
        throw wrongType(name, "entries must be {\"TagKey\": string, \"TagValue\": string}");
      }
      if (k == null || val == null || t.size() != 2) {
        throw invalid(name, "entries must be {\"TagKey\": string, \"TagValue\": string}");
      }
      out.add(Map.entry(k.textValue(), val.textValue()));
    }
    return out;
  }

  public static KmsException invalid(String field, String what) {
    return new KmsException(ErrorType.VALIDATION, field + " " + what);
  }

  /**
   * A member whose JSON type is not the one its shape has in the KMS model (a number for a
   * string, an object for a blob, a list for a map, a string for an integer), at any depth:
   * {@code SerializationException}, the name AWS JSON 1.1 services give input they cannot
   * deserialise into the operation's request (aws-http-endpoint.md §1.3, "wrong types"). One
   * rule for every operation and both doors; a value of the right type that breaks a constraint
   * stays a {@code ValidationException} ({@link #invalid}).
   *
   * @param field the member's path, e.g. {@code NumberOfBytes} or {@code Tags[0].TagKey}
   * @param what the type it must have, e.g. {@code must be a string}
   */
  public static KmsException wrongType(String field, String what) {
    return new KmsException(ErrorType.SERIALIZATION, field + " " + what
        + " (the JSON type of this member is wrong)");
  }

  // ---------------------------------------------------------------- paging context
  // Set by OperationTable before the operation runs: Paging binds its markers to the operation.

  private String listingOperation;
  private Paging.MarkerKey markerKey;

  void forListing(String operation, Paging.MarkerKey key) {
    this.listingOperation = operation;
    this.markerKey = key;
  }

  String listingOperation() {
    return listingOperation;
  }

  Paging.MarkerKey markerKey() {
    if (markerKey == null) {
      throw new IllegalStateException("Input was not dispatched through an OperationTable");
    }
    return markerKey;
  }
}
