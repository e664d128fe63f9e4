package dev.coffer.daemon.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.protocol.ErrorType;
import dev.coffer.protocol.Json;
import dev.coffer.protocol.KmsException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A parsed key policy in the AWS key policy grammar: {@code Version}, {@code Id}, and
 * {@code Statement}s with {@code Sid}, {@code Effect}, {@code Principal}, {@code Action} or
 * {@code NotAction}, {@code Resource}, and {@code Condition}. Immutable; parsing rejects what it
 * does not understand with {@code MalformedPolicyDocumentException} instead of ignoring it.
 */
public final class KeyPolicy {

  public static final int MAX_BYTES = 32 * 1024;
  static final Set<String> VERSIONS = Set.of("2012-10-17", "2008-10-17");

  /** One statement. {@code principals} null means "*". */
  record Statement(String sid, boolean allow, List<String> principals, List<String> actions,
      boolean notAction, List<String> resources, List<Condition> conditions) {

    boolean appliesTo(String action, String keyArn, Principals p,
        dev.coffer.daemon.identity.Identity who) {
      boolean actionMatches = actions.stream().anyMatch(a -> Glob.matchesIgnoreCase(a, action));
      if (actionMatches == notAction) {
        return false;
      }
      if (resources.stream().noneMatch(r -> r.equals("*") || Glob.matches(r, keyArn)
          || Glob.matches(r, legacyArn(keyArn)))) {
        return false;
      }
      return principals == null || principals.stream().anyMatch(pr -> p.matches(pr, who));
    }
  }

  /**
   * The five-part ARN Coffer wrote before 0.2 for a key ARN {@code arn:<p>:kms:<region>:...}:
   * {@code arn:coffer:<region>:...}. A stored policy's {@code Resource} may name it.
   */
  static String legacyArn(String keyArn) {
    int kms = keyArn.indexOf(":kms:");
    return kms < 0 ? keyArn : "arn:coffer:" + keyArn.substring(kms + 5);
  }

  private final String document;
  private final List<Statement> statements;

  private KeyPolicy(String document, List<Statement> statements) {
    this.document = document;
    this.statements = List.copyOf(statements);
  }

  public String document() {
    return document;
  }

  List<Statement> statements() {
    return statements;
  }

  /** The policy AWS gives a key created without one: the account's administrators, full control. */
  public static String defaultDocument(Principals p) {
    ObjectNode root = Json.object();
    root.put("Version", "2012-10-17");
    root.put("Id", "key-default-1");
    ObjectNode st = root.putArray("Statement").addObject();
    st.put("Sid", "Enable administrators' permissions");
    st.put("Effect", "Allow");
    st.putObject("Principal").put("AWS", p.rootArn());
    st.put("Action", "kms:*");
    st.put("Resource", "*");
    return Json.pretty(root);
  }

  /**
   * Parses a new policy document (PutKeyPolicy, CreateKey): exactly one JSON object, each field
   * once, every string well-formed Unicode (docs/policies.md).
   *
   * @throws KmsException {@code MalformedPolicyDocumentException} naming what is wrong
   */
  public static KeyPolicy parse(String document, Principals principals) {
    return parse(document, principals, true);
  }

  /**
   * Reads a policy stored by an earlier version, which also took text after the object and
   * escapes spelling unpaired surrogates: such a document keeps the meaning it had (a condition
   * on an ill-formed value matches no request now), so the daemon still starts with it.
   */
  public static KeyPolicy load(String document, Principals principals) {
    return parse(document, principals, false);
  }

  private static final com.fasterxml.jackson.databind.ObjectReader STORED =
      Json.MAPPER.reader().without(
          com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  private static KeyPolicy parse(String document, Principals principals, boolean strict) {
    if (document == null || document.isBlank()) {
      throw malformed("the policy is empty");
    }
    if (document.getBytes(StandardCharsets.UTF_8).length > MAX_BYTES) {
      throw new KmsException(ErrorType.LIMIT_EXCEEDED,
          "key policies are limited to 32 KB; this one is larger");
    }
    JsonNode root;
    try {
      root = strict ? Json.MAPPER.readTree(document) : STORED.readTree(document);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      String why = String.valueOf(e.getOriginalMessage());
      throw malformed(why.startsWith("Trailing token")
          ? "the policy must be exactly one JSON object, with nothing after it"
          : "the policy is not valid JSON: " + why);
    }
    if (root == null || !root.isObject()) {
      throw malformed("the policy must be a JSON object");
    }
    if (strict) {
      try {
        // The document arrived as well-formed text, but its own escapes can still spell lone
        // surrogates: a condition on such a value could never match what requests may now send.
        dev.coffer.protocol.WellFormedText.requireWellFormed(root);
      } catch (KmsException e) {
        throw malformed("text in the policy is not well-formed Unicode: " + e.getMessage());
      }
    }
    allowOnly(root, "policy", Set.of("Version", "Id", "Statement"));
    JsonNode version = root.get("Version");
    if (version != null && (!version.isTextual() || !VERSIONS.contains(version.textValue()))) {
      throw malformed("Version must be \"2012-10-17\"");
    }
    JsonNode stmts = root.get("Statement");
    if (stmts == null) {
      throw malformed("the policy has no Statement");
    }
    List<Statement> out = new ArrayList<>();
    if (stmts.isArray()) {
      for (JsonNode s : stmts) {
        out.add(statement(s, principals));
      }
    } else {
      out.add(statement(stmts, principals));
    }
    if (out.isEmpty()) {
      throw malformed("Statement must not be empty");
    }
    return new KeyPolicy(document, out);
  }

  private static Statement statement(JsonNode s, Principals principals) {
    if (!s.isObject()) {
      throw malformed("each Statement must be an object");
    }
    allowOnly(s, "Statement", Set.of("Sid", "Effect", "Principal", "Action", "NotAction",
        "Resource", "Condition"));
    String sid = s.path("Sid").asText("");
    String effect = s.path("Effect").asText("");
    if (!effect.equals("Allow") && !effect.equals("Deny")) {
      throw malformed("Statement " + label(sid) + ": Effect must be Allow or Deny");
    }
    JsonNode p = s.get("Principal");
    List<String> prin;
    if (p == null) {
      throw malformed("Statement " + label(sid) + ": a key policy statement needs a Principal");
    } else if (p.isTextual() && p.textValue().equals("*")) {
      prin = null;
    } else if (p.isObject()) {
      allowOnly(p, "Principal", Set.of("AWS"));
      prin = strings(p.get("AWS"), "Principal.AWS of " + label(sid));
      for (String one : prin) {
        String why = principals.invalidReason(one);
        if (why != null) {
          throw malformed("Statement " + label(sid) + ": " + why);
        }
      }
      if (prin.contains("*")) {
        prin = null;
      }
    } else {
      throw malformed("Statement " + label(sid) + ": Principal must be \"*\" or {\"AWS\": ...}");
    }
    boolean notAction = s.has("NotAction");
    if (notAction == s.has("Action")) {
      throw malformed("Statement " + label(sid) + ": give exactly one of Action and NotAction");
    }
    List<String> actions = strings(s.get(notAction ? "NotAction" : "Action"), "Action of "
        + label(sid));
    for (String a : actions) {
      if (!a.equals("*") && !a.toLowerCase(java.util.Locale.ROOT).startsWith("kms:")) {
        throw malformed("Statement " + label(sid) + ": action " + a + " is not a kms: action");
      }
    }
    List<String> resources = s.has("Resource")
        ? strings(s.get("Resource"), "Resource of " + label(sid)) : List.of("*");
    List<Condition> conditions = new ArrayList<>();
    JsonNode c = s.get("Condition");
    if (c != null) {
      if (!c.isObject()) {
        throw malformed("Statement " + label(sid) + ": Condition must be an object");
      }
      Iterator<Map.Entry<String, JsonNode>> ops = c.fields();
      while (ops.hasNext()) {
        Map.Entry<String, JsonNode> op = ops.next();
        if (!op.getValue().isObject()) {
          throw malformed("Condition " + op.getKey() + " must map condition keys to values");
        }
        Iterator<Map.Entry<String, JsonNode>> keys = op.getValue().fields();
        while (keys.hasNext()) {
          Map.Entry<String, JsonNode> k = keys.next();
          conditions.add(Condition.parse(op.getKey(), k.getKey(),
              strings(k.getValue(), "value of " + k.getKey())));
        }
      }
    }
    return new Statement(sid, effect.equals("Allow"), prin, actions, notAction, resources,
        List.copyOf(conditions));
  }

  private static String label(String sid) {
    return sid.isEmpty() ? "(no Sid)" : "\"" + sid + "\"";
  }

  private static List<String> strings(JsonNode n, String what) {
    List<String> out = new ArrayList<>();
    if (n == null) {
      throw malformed(what + " is missing");
    }
    if (n.isTextual() || n.isBoolean() || n.isNumber()) {
      out.add(n.asText());
    } else if (n.isArray() && n.size() > 0) {
      for (JsonNode e : n) {
        if (!(e.isTextual() || e.isBoolean() || e.isNumber())) {
          throw malformed(what + " must be a string or a list of strings");
        }
        out.add(e.asText());
      }
    } else {
      throw malformed(what + " must be a string or a non-empty list of strings");
    }
    return out;
  }

  private static void allowOnly(JsonNode n, String where, Set<String> allowed) {
    n.fieldNames().forEachRemaining(f -> {
      if (!allowed.contains(f)) {
        throw malformed(where + " has an element Coffer does not support: " + f
            + " (supported: " + String.join(", ", new java.util.TreeSet<>(allowed)) + ")");
      }
    });
  }

  static KmsException malformed(String why) {
    return new KmsException(ErrorType.MALFORMED_POLICY, why);
  }
}
