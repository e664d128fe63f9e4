package dev.coffer.daemon.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;

/**
 * Builds {@code kms-cli-options.tsv} (the CLI's option table) from botocore's KMS service model,
 * exactly as the AWS CLI derives its {@code aws kms} options: one option per input member,
 * named by botocore's {@code xform_name}, booleans also as {@code --no-...}.
 */
final class KmsModelTable {
  private KmsModelTable() {}

  private static final ObjectMapper JSON = new ObjectMapper();

  /** botocore's KMS model directory on this machine, or null when botocore is absent. */
  static Path modelDir() {
    List<Path> candidates = new ArrayList<>();
    try {
      Process p = new ProcessBuilder("python3", "-c",
          "import botocore,os;print(os.path.dirname(botocore.__file__))")
          .redirectErrorStream(false).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      if (p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0 && !out.isEmpty()) {
        candidates.add(Path.of(out));
      }
    } catch (IOException e) {
      // no python3: try the Debian package's place
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    candidates.add(Path.of("/usr/lib/python3/dist-packages/botocore"));
    for (Path c : candidates) {
      Path d = c.resolve("data/kms/2014-11-01");
      if (Files.exists(d.resolve("service-2.json")) || Files.exists(d.resolve("service-2.json.gz"))) {
        return d;
      }
    }
    return null;
  }

  private static JsonNode read(Path dir, String name) throws IOException {
    Path plain = dir.resolve(name);
    if (Files.exists(plain)) {
      return JSON.readTree(plain.toFile());
    }
    try (InputStream in = new GZIPInputStream(Files.newInputStream(dir.resolve(name + ".gz")))) {
      return JSON.readTree(in);
    }
  }

  private static final Pattern SPECIAL = Pattern.compile("[A-Z]{2,}s$");
  private static final Pattern FIRST_CAP = Pattern.compile("(.)([A-Z][a-z]+)");
  private static final Pattern END_CAP = Pattern.compile("([a-z0-9])([A-Z])");

  /** botocore.utils.xform_name(name, '-'). */
  static String xformName(String name) {
    if (name.contains("-")) {
      return name;
    }
    var m = SPECIAL.matcher(name);
    if (m.find()) {
      String matched = m.group();
      name = name.substring(0, name.length() - matched.length()) + "-" + matched.toLowerCase();
    }
    String s1 = FIRST_CAP.matcher(name).replaceAll("$1-$2");
    return END_CAP.matcher(s1).replaceAll("$1-$2").toLowerCase();
  }

  /** The table text for these AWS operations (in this order). */
  static String generate(Path dir, List<String> operations) throws IOException {
    JsonNode model = read(dir, "service-2.json");
    JsonNode shapes = model.get("shapes");
    JsonNode paginators = read(dir, "paginators-1.json").get("pagination");
    StringBuilder b = new StringBuilder();
    b.append("# The aws kms options of each operation Coffer implements, generated from botocore's KMS\n")
        .append("# model (").append(model.get("metadata").get("apiVersion").asText())
        .append(") by KmsModelTable; CliOptionTableTest fails when the model on the machine differs.\n")
        .append("# op\\tOperation\\tcommand / member\\tField\\t--option\\ttype\\trequired / paginator\\tOperation\\tResultKey\n")
        .append("# / output\\tOperation\\tShape / shape\\tName\\tstructure|list|map\\tMember=Shape,... or member shape\n")
        .append("# / output-timestamp\\tField (timestamp members of any output, for cli_timestamp_format)\n");
    TreeSet<String> timestamps = new TreeSet<>();
    java.util.TreeMap<String, String> outputShapes = new java.util.TreeMap<>();
    for (String op : operations) {
      JsonNode operation = model.get("operations").get(op);
      if (operation == null) {
        throw new IllegalArgumentException(op + " is not in the KMS model");
      }
      b.append("op\t").append(op).append('\t').append(xformName(op)).append('\n');
      if (operation.has("input")) {
        JsonNode input = shapes.get(operation.get("input").get("shape").asText());
        TreeSet<String> required = new TreeSet<>();
        if (input.has("required")) {
          input.get("required").forEach(r -> required.add(r.asText()));
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = input.get("members").fields(); it.hasNext(); ) {
          Map.Entry<String, JsonNode> m = it.next();
          JsonNode shape = shapes.get(m.getValue().get("shape").asText());
          String type = shape.get("type").asText();
          if (type.equals("list")) {
            type += ":" + shapes.get(shape.get("member").get("shape").asText()).get("type").asText();
          }
          b.append("member\t").append(m.getKey()).append('\t').append("--")
              .append(xformName(m.getKey())).append('\t').append(type).append('\t')
              .append(required.contains(m.getKey())).append('\n');
        }
      }
      if (operation.has("output")) {
        String out = operation.get("output").get("shape").asText();
        collectTimestamps(shapes, out, timestamps, new TreeSet<>());
        b.append("output\t").append(op).append('\t').append(out).append('\n');
        collectShapes(shapes, out, outputShapes);
      }
      if (paginators.has(op)) {
        b.append("paginator\t").append(op).append('\t')
            .append(paginators.get(op).get("result_key").asText()).append('\n');
      }
    }
    outputShapes.forEach((name, line) -> b.append(line).append('\n'));
    for (String t : timestamps) {
      b.append("output-timestamp\t").append(t).append('\n');
    }
    return b.toString();
  }

  /**
   * The output shapes botocore's parser walks, in model member order: the AWS CLI prints members
   * in this order (and drops null ones), whatever order the response had on the wire.
   */
  private static void collectShapes(JsonNode shapes, String name,
      java.util.Map<String, String> out) {
    if (out.containsKey(name)) {
      return;
    }
    JsonNode shape = shapes.get(name);
    switch (shape.get("type").asText()) {
      case "structure" -> {
        List<String> members = new ArrayList<>();
        shape.get("members").fields().forEachRemaining(
            m -> members.add(m.getKey() + "=" + m.getValue().get("shape").asText()));
        out.put(name, "shape\t" + name + "\tstructure\t" + String.join(",", members));
        shape.get("members").fields().forEachRemaining(
            m -> collectShapes(shapes, m.getValue().get("shape").asText(), out));
      }
      case "list" -> {
        String member = shape.get("member").get("shape").asText();
        out.put(name, "shape\t" + name + "\tlist\t" + member);
        collectShapes(shapes, member, out);
      }
      case "map" -> {
        String value = shape.get("value").get("shape").asText();
        out.put(name, "shape\t" + name + "\tmap\t" + value);
        collectShapes(shapes, value, out);
      }
      default -> { }
    }
  }

  private static void collectTimestamps(JsonNode shapes, String name, TreeSet<String> out,
      TreeSet<String> seen) {
    if (!seen.add(name)) {
      return;
    }
    JsonNode shape = shapes.get(name);
    switch (shape.get("type").asText()) {
      case "structure" -> shape.get("members").fields().forEachRemaining(m -> {
        String child = m.getValue().get("shape").asText();
        if (shapes.get(child).get("type").asText().equals("timestamp")) {
          out.add(m.getKey());
        }
        collectTimestamps(shapes, child, out, seen);
      });
      case "list" -> collectTimestamps(shapes, shape.get("member").get("shape").asText(), out, seen);
      case "map" -> collectTimestamps(shapes, shape.get("value").get("shape").asText(), out, seen);
      default -> { }
    }
  }
}
