package dev.coffer.daemon.ops;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.coffer.daemon.ops.Constraints.Field;
import dev.coffer.daemon.ops.Constraints.Kind;
import dev.coffer.daemon.ops.Constraints.Rule;
import dev.coffer.protocol.Json;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Compares {@link ApiConstraints} with the botocore KMS service model when the model is on this
 * machine ({@code $COFFER_KMS_MODEL}, or found through {@code python3 -c "import botocore"}):
 * every constrained or required input member of every operation Coffer serves must be in the
 * table with the model's bounds, pattern and enum, so a constraint AWS adds cannot go missing
 * silently. The only exceptions are the deliberate ones below, each documented in {@code
 * docs/operations.md}.
 */
class ConstraintsModelTest {

  /** Members where Coffer is stricter than the model because AWS documents a narrower range. */
  private static final Set<String> STRICTER = Set.of(
      "ScheduleKeyDeletion.PendingWindowInDays", // AWS: 7-30
      "ListAliases.Limit", // AWS: 1-100
      "ListResourceTags.Limit", // AWS: 1-50
      "ListGrants.Limit", // AWS: 1-100
      "ListRetirableGrants.Limit"); // AWS: 1-100

  /** Members where Coffer deliberately differs (custom key stores are PKCS#11 tokens). */
  private static final Set<String> DIFFERENT = Set.of(
      "CreateCustomKeyStore.KeyStorePassword", // a PKCS#11 PIN, 1-256
      "UpdateCustomKeyStore.KeyStorePassword",
      "CreateCustomKeyStore.CustomKeyStoreType"); // adds PKCS11

  @Test
  void tableMatchesTheServiceModel() throws Exception {
    Path model = model();
    Assumptions.assumeTrue(model != null, "the botocore KMS service model is not installed");
    JsonNode root;
    try (InputStream in = open(model)) {
      root = Json.MAPPER.readTree(in);
    }
    JsonNode shapes = root.get("shapes");
    List<String> problems = new ArrayList<>();
    for (Map.Entry<String, Constraints.Operation> e : ApiConstraints.all().entrySet()) {
      String op = e.getKey();
      JsonNode operation = root.get("operations").get(op);
      if (operation == null) {
        problems.add(op + ": not an operation of the model");
        continue;
      }
      JsonNode input = shapes.get(operation.get("input").get("shape").asText());
      List<Field> expected = fields(input, shapes);
      compareFields(op, expected, e.getValue().fields(), problems);
    }
    assertTrue(problems.isEmpty(), "ApiConstraints differs from the service model "
        + model + ":\n  " + String.join("\n  ", problems));
  }

  private static void compareFields(String path, List<Field> model, List<Field> table,
      List<String> problems) {
    Map<String, Field> byName = new java.util.HashMap<>();
    table.forEach(f -> byName.put(f.name(), f));
    Set<String> modelNames = new LinkedHashSet<>();
    for (Field m : model) {
      modelNames.add(m.name());
      String p = path + "." + m.name();
      Field t = byName.get(m.name());
      if (t == null) {
        problems.add(p + ": missing (model: " + describe(m) + ")");
        continue;
      }
      if (t.required() != m.required()) {
        problems.add(p + ": required " + t.required() + ", model " + m.required());
      }
      if (!DIFFERENT.contains(p)) {
        compare(p, m.rule(), t.rule(), problems);
      }
    }
    for (Field t : table) {
      if (!modelNames.contains(t.name())) {
        problems.add(path + "." + t.name() + ": in the table but not constrained in the model");
      }
    }
  }

  private static void compare(String p, Rule m, Rule t, List<String> problems) {
    if (m.kind() != t.kind()) {
      problems.add(p + ": kind " + t.kind() + ", model " + m.kind());
      return;
    }
    if (STRICTER.contains(p)) {
      if (t.min() < m.min() || t.max() > m.max()) {
        problems.add(p + ": " + t.min() + ".." + t.max() + " is not within the model's "
            + m.min() + ".." + m.max());
      }
    } else if (t.min() != m.min() || t.max() != m.max()) {
      problems.add(p + ": " + t.min() + ".." + t.max() + ", model " + m.min() + ".." + m.max());
    }
    String tp = t.pattern() == null ? null : t.pattern().pattern();
    String mp = m.pattern() == null ? null : m.pattern().pattern();
    if (!java.util.Objects.equals(tp, mp)) {
      problems.add(p + ": pattern " + tp + ", model " + mp);
    }
    if (!t.values().equals(m.values())) {
      problems.add(p + ": values " + t.values() + ", model " + m.values());
    }
    if ((m.member() == null) != (t.member() == null)) {
      problems.add(p + "[]: member rule " + (t.member() == null ? "missing" : "not in model"));
    } else if (m.member() != null) {
      compare(p + "[]", m.member(), t.member(), problems);
    }
    if (m.kind() == Kind.STRUCTURE) {
      compareFields(p, m.fields(), t.fields(), problems);
    }
  }

  /** The constrained or required members of a structure shape, as the table would hold them. */
  private static List<Field> fields(JsonNode structure, JsonNode shapes) {
    Set<String> required = new LinkedHashSet<>();
    if (structure.has("required")) {
      structure.get("required").forEach(r -> required.add(r.asText()));
    }
    List<Field> out = new ArrayList<>();
    Iterator<Map.Entry<String, JsonNode>> it = structure.get("members").fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> m = it.next();
      Rule r = rule(shapes.get(m.getValue().get("shape").asText()), shapes);
      boolean req = required.contains(m.getKey());
      if (r != null || req) {
        out.add(new Field(m.getKey(), req, r == null ? Constraints.any() : r));
      }
    }
    return out;
  }

  /** The rule of one shape, or null when the model constrains nothing in it. */
  private static Rule rule(JsonNode s, JsonNode shapes) {
    long min = s.has("min") ? s.get("min").asLong() : 0;
    boolean bounded = s.has("min") || s.has("max");
    switch (s.get("type").asText()) {
      case "string" -> {
        if (s.has("enum")) {
          List<String> values = new ArrayList<>();
          s.get("enum").forEach(v -> values.add(v.asText()));
          return Constraints.oneOf(values.toArray(new String[0]));
        }
        if (!bounded && !s.has("pattern")) {
          return null;
        }
        return Constraints.text(min, max(s), s.has("pattern") ? s.get("pattern").asText() : null);
      }
      case "blob" -> {
        return bounded ? Constraints.bytes(min, max(s)) : null;
      }
      case "integer" -> {
        return bounded ? Constraints.range(s.has("min") ? min : Integer.MIN_VALUE,
            s.has("max") ? s.get("max").asLong() : Integer.MAX_VALUE) : null;
      }
      case "list" -> {
        Rule member = rule(shapes.get(s.get("member").get("shape").asText()), shapes);
        return bounded || member != null ? Constraints.list(min, max(s), member) : null;
      }
      case "structure" -> {
        List<Field> f = fields(s, shapes);
        return f.isEmpty() ? null : Constraints.structure(f.toArray(new Field[0]));
      }
      default -> {
        return null; // maps, booleans, timestamps: no constraints in this model
      }
    }
  }

  private static long max(JsonNode s) {
    return s.has("max") ? s.get("max").asLong() : Constraints.UNBOUNDED;
  }

  private static String describe(Field f) {
    Rule r = f.rule();
    return r.kind() + " " + r.min() + ".." + r.max()
        + (r.pattern() == null ? "" : " " + r.pattern()) + (r.values().isEmpty() ? ""
            : " " + r.values()) + (f.required() ? " required" : "");
  }

  private static InputStream open(Path model) throws IOException {
    InputStream in = Files.newInputStream(model);
    return model.toString().endsWith(".gz") ? new GZIPInputStream(in) : in;
  }

  /** The model file, or null when neither the variable nor botocore names one. */
  private static Path model() throws InterruptedException {
    String env = System.getenv("COFFER_KMS_MODEL");
    if (env != null && Files.isRegularFile(Path.of(env))) {
      return Path.of(env);
    }
    String dir;
    try {
      Process p = new ProcessBuilder("python3", "-c",
          "import botocore,os;print(os.path.dirname(botocore.__file__))")
          .redirectErrorStream(true).start();
      dir = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
      if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
        return null;
      }
    } catch (IOException noPython) {
      return null;
    }
    for (String name : List.of("service-2.json.gz", "service-2.json")) {
      Path f = Path.of(dir, "data", "kms", "2014-11-01", name);
      if (Files.isRegularFile(f)) {
        return f;
      }
    }
    return null;
  }
}
