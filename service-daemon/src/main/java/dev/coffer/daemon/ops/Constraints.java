package dev.coffer.daemon.ops;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.daemon.crypto.EncryptionContext;
import dev.coffer.daemon.keys.KeyResolver;
import dev.coffer.protocol.ErrorType;
import dev.coffer.protocol.KmsException;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The input constraints of the KMS API reference (length, range, count, pattern and enum of each
 * request member), checked before anything else a request does: before the key is looked up,
 * before its state and before authorization. A request that breaks one is a {@code
 * ValidationException}, as AWS answers it, naming the member and the constraint; a member of the
 * wrong JSON type is a {@code SerializationException} ({@link Input#wrongType}).
 *
 * <p>Units: text lengths are Unicode characters (code points, so one emoji is one character, not
 * two UTF-16 units); blob lengths are bytes after base64 decoding; list bounds count entries.
 * Patterns must match the whole value.
 *
 * <p>The table itself is {@link ApiConstraints}: hand-written from the botocore KMS service model
 * ({@code kms/2014-11-01/service-2.json}), never loaded at run time. {@code
 * ConstraintsModelTest} compares it with the model whenever the model is installed, so a
 * constraint AWS adds cannot go missing silently.
 */
final class Constraints {
  private Constraints() {}

  /** No upper bound in the model. */
  static final long UNBOUNDED = Long.MAX_VALUE;
  static final boolean REQUIRED = true;

  /** The shape a member has in the model. */
  enum Kind { TEXT, ENUM, BYTES, INTEGER, LIST, STRUCTURE, ANY }

  /**
   * One member's constraint.
   *
   * @param min inclusive lower bound: characters (TEXT), bytes (BYTES), value (INTEGER),
   *     entries (LIST)
   * @param max inclusive upper bound, in the same unit; {@link #UNBOUNDED} for none
   * @param pattern the model's pattern, matched against the whole value; null for none
   * @param values the allowed values of an ENUM
   * @param member the rule of each LIST entry; null for none
   * @param fields the members of a STRUCTURE
   */
  record Rule(Kind kind, long min, long max, Pattern pattern, Set<String> values, Rule member,
      List<Field> fields) {}

  /** A named member of a request or structure. */
  record Field(String name, boolean required, Rule rule) {}

  /** The constrained members of one operation's request. */
  record Operation(String name, List<Field> fields) {}

  static Operation operation(String name, Field... fields) {
    return new Operation(name, List.of(fields));
  }

  static Field field(String name, Rule rule) {
    return new Field(name, false, rule);
  }

  static Field field(String name, boolean required, Rule rule) {
    return new Field(name, required, rule);
  }

  static Rule text(long min, long max, String pattern) {
    return new Rule(Kind.TEXT, min, max, pattern == null ? null : Pattern.compile(pattern),
        Set.of(), null, List.of());
  }

  static Rule oneOf(String... values) {
    return new Rule(Kind.ENUM, 0, UNBOUNDED, null,
        java.util.Collections.unmodifiableSet(new LinkedHashSet<>(Arrays.asList(values))), null,
        List.of());
  }

  static Rule bytes(long min, long max) {
    return new Rule(Kind.BYTES, min, max, null, Set.of(), null, List.of());
  }

  static Rule range(long min, long max) {
    return new Rule(Kind.INTEGER, min, max, null, Set.of(), null, List.of());
  }

  static Rule list(long min, long max, Rule member) {
    return new Rule(Kind.LIST, min, max, null, Set.of(), member, List.of());
  }

  static Rule structure(Field... fields) {
    return new Rule(Kind.STRUCTURE, 0, UNBOUNDED, null, Set.of(), null, List.of(fields));
  }

  /** A member that is only required (its shape has no constraint of its own). */
  static Rule any() {
    return new Rule(Kind.ANY, 0, UNBOUNDED, null, Set.of(), null, List.of());
  }

  /**
   * Checks one request against its operation's constraints.
   *
   * @throws KmsException {@code ValidationException} naming the first member that breaks one
   */
  static void check(String operation, Input in) {
    Operation op = ApiConstraints.of(operation);
    // Every member's JSON type first, as AWS deserialises the whole request before it validates
    // any of it: a wrong type is never hidden behind another member's rule, nor missed in a
    // member the operation reads only in some cases.
    checkUnconstrainedTypes(in);
    if (op == null) {
      return;
    }
    for (Field f : op.fields()) {
      JsonNode v = in.node().get(f.name());
      if (v != null && !v.isNull()) {
        checkType(f.name(), v, f.rule());
      }
    }
    checkFields(op, in);
    // The syntax of alias names (prefix, characters, reserved prefixes) needs no lookup, so it
    // is checked here too: a bad name never reaches the key lookup or the access check.
    // DeleteAlias skips the reserved-prefix rule so that an alias made before the rule ignored
    // case (alias/AWS/x) can still be removed.
    if (in.has("AliasName")) {
      KeyResolver.checkAliasName(in.requiredString("AliasName"),
          !operation.equals("DeleteAlias"));
    }
    // A rule between two members (API reference, GenerateDataKey: "specify either the KeySpec
    // or the NumberOfBytes parameter (but not both) in every GenerateDataKey request"), of the
    // request alone, so as early.
    if (operation.equals("GenerateDataKey")
        || operation.equals("GenerateDataKeyWithoutPlaintext")) {
      if (in.has("KeySpec") == in.has("NumberOfBytes")) {
        throw Input.invalid("KeySpec", "or NumberOfBytes is required, and only one of them");
      }
    }
    // Coffer's own rule for encryption contexts (the model has none), checked as early.
    for (String field : CONTEXT_FIELDS) {
      if (in.has(field)) {
        encryptionContext(in, field);
      }
    }
  }

  /** The request members that hold an encryption context. */
  private static final List<String> CONTEXT_FIELDS = List.of("EncryptionContext",
      "SourceEncryptionContext", "DestinationEncryptionContext");

  /** Largest canonical encoding of an encryption context, in bytes. */
  static final int MAX_CONTEXT_BYTES = 8192;

  /**
   * An encryption context member: a map of strings with non-empty keys whose canonical encoding
   * is at most {@link #MAX_CONTEXT_BYTES}; empty when absent.
   *
   * @throws KmsException {@code ValidationException} naming the member otherwise
   */
  static EncryptionContext encryptionContext(Input in, String field) {
    Map<String, String> m = in.stringMap(field);
    for (String key : m.keySet()) {
      if (key.isEmpty()) {
        throw Input.invalid(field, "keys must not be empty");
      }
    }
    EncryptionContext ctx = EncryptionContext.of(m);
    if (ctx.canonicalBytes().length > MAX_CONTEXT_BYTES) {
      throw Input.invalid(field, "must encode to at most " + MAX_CONTEXT_BYTES + " bytes");
    }
    return ctx;
  }

  /**
   * The request members whose model shape has no constraint, so no {@link Rule} (botocore KMS
   * model: boolean, map and timestamp members, and CreateGrant's {@code Constraints}), by name:
   * each name has one shape in every operation that has it.
   */
  private static final Map<String, String> UNCONSTRAINED = Map.of(
      "DryRun", "boolean", "BypassPolicyLockoutSafetyCheck", "boolean", "MultiRegion", "boolean",
      "EncryptionContext", "map", "SourceEncryptionContext", "map",
      "DestinationEncryptionContext", "map", "ValidTo", "timestamp",
      "Constraints", "grantConstraints");

  private static void checkUnconstrainedTypes(Input in) {
    for (Map.Entry<String, String> e : UNCONSTRAINED.entrySet()) {
      String name = e.getKey();
      JsonNode v = in.node().get(name);
      if (v == null || v.isNull()) {
        continue;
      }
      switch (e.getValue()) {
        case "boolean" -> in.bool(name);
        case "map" -> in.stringMap(name);
        case "timestamp" -> {
          if (!v.isNumber() && !v.isTextual()) {
            in.timestamp(name);
          }
        }
        default -> {
          if (!(v instanceof ObjectNode o)) {
            throw Input.wrongType(name, "must be an object");
          }
          for (String m : List.of("EncryptionContextSubset", "EncryptionContextEquals")) {
            JsonNode c = o.get(m);
            if (c != null && !c.isNull() && !(c.isObject() && allText(c))) {
              throw Input.wrongType(name + "." + m, "must be an object of string values");
            }
          }
        }
      }
    }
  }

  private static boolean allText(JsonNode object) {
    for (JsonNode v : object) {
      if (!v.isTextual()) {
        return false;
      }
    }
    return true;
  }

  /** The JSON type of one member against its rule, and of its entries and fields. */
  private static void checkType(String path, JsonNode v, Rule r) {
    switch (r.kind()) {
      case TEXT, ENUM -> text(path, v);
      case BYTES -> {
        if (!v.isTextual() && !v.isBinary()) {
          throw Input.wrongType(path, "must be a base64 string");
        }
      }
      case INTEGER -> {
        if (!v.isIntegralNumber()) {
          throw Input.wrongType(path, "must be an integer");
        }
      }
      case LIST -> {
        if (!v.isArray()) {
          throw Input.wrongType(path, "must be a list");
        }
        if (r.member() != null) {
          for (int i = 0; i < v.size(); i++) {
            checkType(path + "[" + i + "]", v.get(i), r.member());
          }
        }
      }
      case STRUCTURE -> {
        if (!(v instanceof ObjectNode o)) {
          throw Input.wrongType(path, "must be an object");
        }
        for (Field f : r.fields()) {
          JsonNode m = o.get(f.name());
          if (m != null && !m.isNull()) {
            checkType(path + "." + f.name(), m, f.rule());
          }
        }
      }
      default -> { }
    }
  }

  private static void checkFields(Operation op, Input in) {
    for (Field f : op.fields()) {
      JsonNode v = in.node().get(f.name());
      if (v == null || v.isNull()) {
        if (f.required()) {
          throw Input.invalid(f.name(), "is required");
        }
        continue;
      }
      if (f.rule().kind() == Kind.BYTES) {
        // Decoded through Input so the operation reuses the bytes (and the base64 rules).
        checkLength(f.name(), in.blob(f.name()).length, f.rule(), "bytes");
        continue;
      }
      check(f.name(), v, f.rule());
    }
  }

  private static void check(String path, JsonNode v, Rule r) {
    switch (r.kind()) {
      case ANY -> { }
      case TEXT -> {
        String s = text(path, v);
        checkLength(path, s.codePointCount(0, s.length()), r, "Unicode characters");
        if (r.pattern() != null && !r.pattern().matcher(s).matches()) {
          throw Input.invalid(path, "must match the pattern " + r.pattern().pattern()
              + " (KMS API reference)");
        }
      }
      case ENUM -> {
        String s = text(path, v);
        if (!r.values().contains(s)) {
          throw Input.invalid(path, "must be one of " + String.join(", ", r.values()) + "; got '"
              + excerpt(s) + "'");
        }
      }
      case BYTES -> {
        byte[] b;
        try {
          b = dev.coffer.protocol.Json.bytes(v);
        } catch (IllegalArgumentException e) {
          if (!v.isTextual()) {
            throw Input.wrongType(path, "must be a base64 string");
          }
          throw Input.invalid(path, "must be base64-encoded binary");
        }
        checkLength(path, b.length, r, "bytes");
      }
      case INTEGER -> {
        if (!v.isIntegralNumber()) {
          throw Input.wrongType(path, "must be an integer");
        }
        if (!v.canConvertToLong()) {
          throw Input.invalid(path, "must be between " + r.min() + " and " + r.max());
        }
        long n = v.longValue();
        if (n < r.min() || n > r.max()) {
          throw Input.invalid(path, "must be between " + r.min() + " and " + r.max() + ", got "
              + n);
        }
      }
      case LIST -> {
        if (!v.isArray()) {
          throw Input.wrongType(path, "must be a list");
        }
        checkLength(path, v.size(), r, "entries");
        if (r.member() != null) {
          for (int i = 0; i < v.size(); i++) {
            check(path + "[" + i + "]", v.get(i), r.member());
          }
        }
      }
      case STRUCTURE -> {
        if (!(v instanceof ObjectNode o)) {
          throw Input.wrongType(path, "must be an object");
        }
        for (Field f : r.fields()) {
          JsonNode m = o.get(f.name());
          if (m == null || m.isNull()) {
            if (f.required()) {
              throw Input.invalid(path + "." + f.name(), "is required");
            }
            continue;
          }
          check(path + "." + f.name(), m, f.rule());
        }
      }
      default -> throw new IllegalStateException(r.kind().name());
    }
  }

  /** At most 64 characters of an untrusted value, for a message. */
  private static String excerpt(String s) {
    return s.length() <= 64 ? s : s.substring(0, 64) + "...";
  }

  private static String text(String path, JsonNode v) {
    if (!v.isTextual()) {
      throw Input.wrongType(path, "must be a string");
    }
    return v.textValue();
  }

  private static void checkLength(String path, long n, Rule r, String unit) {
    if (n < r.min() || n > r.max()) {
      String bounds = r.max() == UNBOUNDED ? "at least " + r.min()
          : r.min() == r.max() ? "exactly " + r.min()
          : r.min() == 0 ? "at most " + r.max() : r.min() + " to " + r.max();
      throw new KmsException(ErrorType.VALIDATION, path + " must be " + bounds + " " + unit
          + ", got " + n + " (KMS API reference constraint)");
    }
  }
}
