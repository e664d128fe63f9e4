package dev.coffer.daemon.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The {@code aws kms} option table, {@code kms-cli-options.tsv}: for each operation Coffer
 * implements, its input members as the AWS CLI names them ({@code --key-id}), their model type
 * and whether they are required; which operations the AWS CLI paginates; and which output
 * members are timestamps. Generated from botocore's KMS service model; {@code
 * CliOptionTableTest} regenerates it from the model on the machine and fails on any difference,
 * so an option AWS adds cannot go missing silently.
 */
final class OptionTable {

  /** An input member: {@code type} is the model's, lists as {@code list:<member type>}. */
  record Member(String field, String option, String type, boolean required) {}

  /** {@code resultKey} is the paginated list's member, or null when not paginated. */
  record Operation(String operation, String command, List<Member> members, String resultKey) {}

  static final OptionTable KMS = load();

  private final Map<String, Operation> operations;
  private final Set<String> outputTimestamps;

  private final Map<String, String> outputs;
  private final Map<String, Shape> shapes;

  /** An output shape: a structure's {@code Member=Shape,...}, or a list's or map's item shape. */
  private record Shape(String kind, String detail) {}

  private OptionTable(Map<String, Operation> operations, Set<String> outputTimestamps,
      Map<String, String> outputs, Map<String, Shape> shapes) {
    this.operations = operations;
    this.outputTimestamps = outputTimestamps;
    this.outputs = outputs;
    this.shapes = shapes;
  }

  /**
   * {@code response} as botocore's parser hands it to the AWS CLI's formatters: members of each
   * modelled structure in model order, null members left out. Members the model does not have
   * (Coffer's own) follow in their order; an operation outside the model is returned as is.
   */
  JsonNode inModelOrder(String operation, JsonNode response) {
    String shape = outputs.get(operation);
    return shape == null ? response : order(shape, response);
  }

  private JsonNode order(String shapeName, JsonNode v) {
    Shape shape = shapes.get(shapeName);
    if (shape == null || v == null) {
      return v;
    }
    switch (shape.kind()) {
      case "structure" -> {
        if (!(v instanceof ObjectNode o)) {
          return v;
        }
        ObjectNode r = JsonNodeFactory.instance.objectNode();
        Map<String, String> members = new LinkedHashMap<>();
        for (String m : shape.detail().split(",")) {
          if (!m.isEmpty()) {
            members.put(m.substring(0, m.indexOf('=')), m.substring(m.indexOf('=') + 1));
          }
        }
        members.forEach((name, type) -> {
          JsonNode child = o.get(name);
          if (child != null && !child.isNull()) {
            r.set(name, order(type, child));
          }
        });
        o.fields().forEachRemaining(e -> {
          if (!members.containsKey(e.getKey())) {
            r.set(e.getKey(), e.getValue());
          }
        });
        return r;
      }
      case "list" -> {
        if (!(v instanceof ArrayNode a)) {
          return v;
        }
        ArrayNode r = JsonNodeFactory.instance.arrayNode();
        a.forEach(e -> r.add(order(shape.detail(), e)));
        return r;
      }
      case "map" -> {
        if (!(v instanceof ObjectNode o)) {
          return v;
        }
        ObjectNode r = JsonNodeFactory.instance.objectNode();
        o.fields().forEachRemaining(e -> r.set(e.getKey(), order(shape.detail(), e.getValue())));
        return r;
      }
      default -> {
        return v;
      }
    }
  }

  Operation operation(String name) {
    return operations.get(name);
  }

  /** Member names that are timestamps in some operation's output (CreationDate, ...). */
  Set<String> outputTimestamps() {
    return outputTimestamps;
  }

  private static OptionTable load() {
    try (InputStream in = OptionTable.class.getResourceAsStream("kms-cli-options.tsv")) {
      if (in == null) {
        throw new IOException("kms-cli-options.tsv is missing from the jar");
      }
      return parse(new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static OptionTable parse(BufferedReader r) throws IOException {
    Map<String, String> commands = new LinkedHashMap<>();
    Map<String, List<Member>> members = new LinkedHashMap<>();
    Map<String, String> resultKeys = new LinkedHashMap<>();
    Set<String> timestamps = new TreeSet<>();
    Map<String, String> outputs = new LinkedHashMap<>();
    Map<String, Shape> shapes = new LinkedHashMap<>();
    String current = null;
    for (String line; (line = r.readLine()) != null; ) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      String[] f = line.split("\t");
      switch (f[0]) {
        case "op" -> {
          current = f[1];
          commands.put(f[1], f[2]);
          members.put(f[1], new ArrayList<>());
        }
        case "member" -> members.get(current).add(
            new Member(f[1], f[2], f[3], Boolean.parseBoolean(f[4])));
        case "paginator" -> resultKeys.put(f[1], f[2]);
        case "output-timestamp" -> timestamps.add(f[1]);
        case "output" -> outputs.put(f[1], f[2]);
        case "shape" -> shapes.put(f[1], new Shape(f[2], f.length > 3 ? f[3] : ""));
        default -> throw new IOException("kms-cli-options.tsv: unknown line " + line);
      }
    }
    Map<String, Operation> ops = new LinkedHashMap<>();
    commands.forEach((op, command) -> ops.put(op,
        new Operation(op, command, List.copyOf(members.get(op)), resultKeys.get(op))));
    return new OptionTable(Map.copyOf(ops), Set.copyOf(timestamps), Map.copyOf(outputs),
        Map.copyOf(shapes));
  }
}
