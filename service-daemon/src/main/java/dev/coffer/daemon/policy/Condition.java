package dev.coffer.daemon.policy;

import dev.coffer.daemon.identity.IamUser;
import dev.coffer.daemon.identity.UnixPeer;
import dev.coffer.protocol.ErrorType;
import dev.coffer.protocol.KmsException;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One condition of a statement: {@code [ForAnyValue:|ForAllValues:]Operator[IfExists]} applied to
 * one condition key and a list of values (any of which may match).
 */
record Condition(String set, String operator, boolean ifExists, String key, List<String> values) {

  private static final List<String> OPERATORS = List.of("StringEquals", "StringNotEquals",
      "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase", "StringLike", "StringNotLike",
      "Bool", "Null", "DateEquals", "DateNotEquals", "DateLessThan", "DateLessThanEquals",
      "DateGreaterThan", "DateGreaterThanEquals", "NumericEquals", "NumericNotEquals",
      "NumericLessThan", "NumericLessThanEquals", "NumericGreaterThan",
      "NumericGreaterThanEquals");

  static Condition parse(String op, String key, List<String> values) {
    String set = "";
    String rest = op;
    if (op.startsWith("ForAnyValue:") || op.startsWith("ForAllValues:")) {
      set = op.substring(0, op.indexOf(':'));
      rest = op.substring(op.indexOf(':') + 1);
    }
    boolean ifExists = rest.endsWith("IfExists") && !rest.equals("Null");
    if (ifExists) {
      rest = rest.substring(0, rest.length() - "IfExists".length());
    }
    if (!OPERATORS.contains(rest)) {
      throw KeyPolicy.malformed("condition operator " + op + " is not supported (supported: "
          + String.join(", ", OPERATORS) + ", with ForAnyValue:/ForAllValues: and IfExists)");
    }
    if (!isKnownKey(key)) {
      throw KeyPolicy.malformed("condition key " + key + " is not one Coffer evaluates; see"
          + " docs/policies.md for the list");
    }
    for (String v : values) {
      if (rest.startsWith("Date")) {
        parseDate(v);
      } else if (rest.startsWith("Numeric")) {
        parseNumber(v, key);
      } else if ((rest.equals("Bool") || rest.equals("Null"))
          && !v.equals("true") && !v.equals("false")) {
        throw KeyPolicy.malformed(rest + " takes \"true\" or \"false\", got " + v);
      }
    }
    return new Condition(set, rest, ifExists, key, List.copyOf(values));
  }

  static boolean isKnownKey(String key) {
    String k = key.toLowerCase(Locale.ROOT);
    return k.startsWith("kms:encryptioncontext:") || List.of("kms:encryptioncontextkeys",
        "kms:calleraccount", "kms:grantisforawsresource", "kms:grantoperations",
        "kms:granteeprincipal", "kms:retiringprincipal", "kms:encryptionalgorithm",
        "kms:keyorigin", "kms:keyspec", "kms:keyusage", "kms:signingalgorithm",
        "kms:messagetype", "kms:macalgorithm", "coffer:peeruid", "coffer:peergid",
        "coffer:peeruser", "aws:currenttime", "aws:epochtime", "aws:principalarn").contains(k);
  }

  private static final String CONTEXT_PREFIX = "kms:encryptioncontext:";

  /**
   * The values of every request context pair whose key equals {@code contextKey} ignoring case,
   * or null when there is none. AWS compares the context-key part of {@code
   * kms:EncryptionContext:<context-key>} case-insensitively (condition key names are not
   * case-sensitive in IAM; the KMS Developer Guide says to add {@code kms:EncryptionContextKeys}
   * for a case-sensitive key check), so {@code Tenant} and {@code TENANT} answer a condition on
   * {@code tenant}. A context may hold several keys that differ only by case; then the condition
   * key has several values (see {@link #holds}).
   */
  static List<String> contextValues(String contextKey, Map<String, String> context) {
    List<String> out = new ArrayList<>();
    for (Map.Entry<String, String> e : context.entrySet()) {
      if (e.getKey().equalsIgnoreCase(contextKey)) {
        out.add(e.getValue());
      }
    }
    return out.isEmpty() ? null : out;
  }

  /** The request's values for a condition key, or null when the key is absent. */
  static List<String> valuesOf(String key, RequestContext rc, Principals principals) {
    String k = key.toLowerCase(Locale.ROOT);
    if (k.startsWith(CONTEXT_PREFIX)) {
      return contextValues(key.substring(CONTEXT_PREFIX.length()), rc.encryptionContext());
    }
    switch (k) {
      case "kms:encryptioncontextkeys":
        return rc.encryptionContext().isEmpty() ? null
            : new ArrayList<>(rc.encryptionContext().keySet());
      case "kms:calleraccount":
        return List.of(rc.identity() instanceof IamUser u ? u.account() : principals.account());
      case "kms:grantisforawsresource":
        return List.of("false");
      // Unix-only keys: absent for an access-key user, so that they never match one.
      case "coffer:peeruid":
        return rc.identity() instanceof UnixPeer p ? List.of(Long.toString(p.uid())) : null;
      case "coffer:peergid":
        return rc.identity() instanceof UnixPeer p ? List.of(Long.toString(p.gid())) : null;
      case "coffer:peeruser":
        return rc.identity() instanceof UnixPeer p ? List.of(p.user()) : null;
      case "aws:principalarn":
        return List.of(principals.arnOf(rc.identity()));
      case "aws:currenttime":
        return List.of(rc.now().toString());
      case "aws:epochtime":
        return List.of(Long.toString(rc.now().getEpochSecond()));
      default:
        for (Map.Entry<String, List<String>> e : rc.extra().entrySet()) {
          if (e.getKey().equalsIgnoreCase(key)) {
            return e.getValue();
          }
        }
        return null;
    }
  }

  /**
   * Whether the condition holds for the request.
   *
   * <p>{@code kms:EncryptionContext:<k>} is single-valued in AWS, but a context with keys that
   * differ only by case ({@code tenant} and {@code Tenant}) gives it several values. Without a
   * {@code ForAnyValue:}/{@code ForAllValues:} qualifier the single-valued test is then applied to
   * each value in the direction that never widens access: in a {@code Deny} statement the
   * condition holds when ANY value passes it (so the Deny applies), in an {@code Allow} statement
   * only when EVERY value passes it. AWS leaves this case undefined (it advises against such
   * contexts); see docs/policies.md.
   *
   * @param deny whether the condition belongs to a {@code Deny} statement
   */
  boolean holds(RequestContext rc, Principals principals, boolean deny) {
    List<String> actual = valuesOf(key, rc, principals);
    if (set.isEmpty() && !operator.equals("Null") && actual != null && actual.size() > 1
        && key.toLowerCase(Locale.ROOT).startsWith(CONTEXT_PREFIX)) {
      return deny ? actual.stream().anyMatch(this::matchesAny)
          : actual.stream().allMatch(this::matchesAny);
    }
    if (operator.equals("Null")) {
      boolean wantAbsent = values.contains("true");
      return wantAbsent == (actual == null || actual.isEmpty());
    }
    if (actual == null || actual.isEmpty()) {
      // Absent key: IfExists and ForAllValues are vacuously true, negations hold, others fail.
      return ifExists || set.equals("ForAllValues") || isNegated();
    }
    if (set.equals("ForAllValues")) {
      return actual.stream().allMatch(this::matchesAny);
    }
    if (set.equals("ForAnyValue") || actual.size() > 1) {
      return isNegated() ? actual.stream().allMatch(this::matchesAny)
          : actual.stream().anyMatch(this::matchesAny);
    }
    return matchesAny(actual.get(0));
  }

  private boolean isNegated() {
    return operator.contains("Not");
  }

  /** For negated operators: true when the value matches none of the policy's values. */
  private boolean matchesAny(String actual) {
    boolean any = false;
    for (String expected : values) {
      if (compare(actual, expected)) {
        any = true;
        break;
      }
    }
    return isNegated() ? !any : any;
  }

  private boolean compare(String actual, String expected) {
    String base = operator.replace("Not", "");
    switch (base) {
      case "StringEquals":
      case "Bool":
        return actual.equals(expected);
      case "StringEqualsIgnoreCase":
        return actual.equalsIgnoreCase(expected);
      case "StringLike":
        return Glob.matches(expected, actual);
      default:
        break;
    }
    if (base.startsWith("Date")) {
      Instant a;
      try {
        a = parseDate(actual);
      } catch (KmsException e) {
        return false;
      }
      int c = a.compareTo(parseDate(expected));
      return compareResult(base.substring(4), c);
    }
    if (base.startsWith("Numeric")) {
      BigDecimal a;
      try {
        a = new BigDecimal(actual);
      } catch (NumberFormatException e) {
        return false;
      }
      return compareResult(base.substring(7), a.compareTo(parseNumber(expected, key)));
    }
    throw new IllegalStateException(operator);
  }

  private static boolean compareResult(String rel, int c) {
    return switch (rel) {
      case "Equals" -> c == 0;
      case "LessThan" -> c < 0;
      case "LessThanEquals" -> c <= 0;
      case "GreaterThan" -> c > 0;
      case "GreaterThanEquals" -> c >= 0;
      default -> throw new IllegalStateException(rel);
    };
  }

  private static Instant parseDate(String v) {
    try {
      return OffsetDateTime.parse(v).toInstant();
    } catch (DateTimeParseException e) {
      try {
        return Instant.parse(v);
      } catch (DateTimeParseException e2) {
        try {
          return Instant.ofEpochSecond(Long.parseLong(v));
        } catch (NumberFormatException e3) {
          throw new KmsException(ErrorType.MALFORMED_POLICY,
              "date condition values must be ISO-8601 (2026-12-31T00:00:00Z) or epoch seconds,"
                  + " got " + v);
        }
      }
    }
  }

  private static BigDecimal parseNumber(String v, String key) {
    try {
      return new BigDecimal(v);
    } catch (NumberFormatException e) {
      throw KeyPolicy.malformed("numeric condition on " + key + " needs a number, got " + v);
    }
  }
}
