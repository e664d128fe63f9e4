package dev.coffer.daemon.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.daemon.cli.CliOperations.Command;
import dev.coffer.daemon.cli.CliOperations.Param;
import dev.coffer.daemon.cli.CliOperations.Type;
import dev.coffer.protocol.Json;
import java.io.IOException;
import java.util.List;
import picocli.CommandLine.ParseResult;

/** Turns parsed {@code aws kms}-style options into the AWS JSON request. */
final class RequestBuilder {
  private RequestBuilder() {}

  /**
   * The request: {@code base} (from {@code --cli-input-json}, may be empty) with every option
   * given on the command line set over it, as the AWS CLI merges them.
   *
   * @param rawBlobs {@code --cli-binary-format raw-in-base64-out}: a blob option that is not a
   *     {@code fileb://} file is the text itself rather than base64
   * @throws IllegalArgumentException naming the option, for a value that cannot be read
   */
  static ObjectNode build(Command command, ParseResult parsed, boolean rawBlobs, ObjectNode base)
      throws IOException {
    ObjectNode input = base.deepCopy();
    for (Param p : command.params()) {
      if (p.type() == Type.BOOL && parsed.hasMatchedOption(negated(p.option()))) {
        input.put(p.field(), false);
        continue;
      }
      if (!parsed.hasMatchedOption(p.option())) {
        continue;
      }
      switch (p.type()) {
        case STRING -> input.put(p.field(),
            CofferCli.readTextArgument(parsed.matchedOptionValue(p.option(), "")));
        case INT -> {
          String v = parsed.matchedOptionValue(p.option(), "");
          try {
            input.put(p.field(), Integer.parseInt(v.trim()));
          } catch (NumberFormatException e) {
            throw new IllegalArgumentException(p.option() + " takes an integer, got '" + v + "'");
          }
        }
        case BOOL -> input.put(p.field(), true);
        case TIMESTAMP -> {
          String v = parsed.matchedOptionValue(p.option(), "").trim();
          if (v.matches("[0-9]+(\\.[0-9]+)?")) {
            input.put(p.field(), Double.parseDouble(v));
          } else {
            input.put(p.field(), v);
          }
        }
        case BLOB -> input.put(p.field(),
            CofferCli.readBlobArgument(parsed.matchedOptionValue(p.option(), ""), rawBlobs));
        case MAP -> input.set(p.field(),
            map(p, CofferCli.readTextArgument(parsed.matchedOptionValue(p.option(), ""))));
        case LIST -> {
          List<String> values = parsed.matchedOptionValue(p.option(), List.of());
          ArrayNode a = input.putArray(p.field());
          if (values.size() == 1 && values.get(0).trim().startsWith("[")) {
            a.addAll((ArrayNode) json(p, values.get(0)));
          } else {
            values.forEach(a::add);
          }
        }
        case JSON -> input.set(p.field(),
            map(p, CofferCli.readTextArgument(parsed.matchedOptionValue(p.option(), ""))));
        case TAGS -> input.set(p.field(), tags(p, parsed.matchedOptionValue(p.option(), List.of())));
      }
    }
    return input;
  }

  /** The {@code --no-} form of a boolean option, as the AWS CLI names it. */
  static String negated(String option) {
    return "--no-" + option.substring(2);
  }

  /** The names of required members missing from {@code input}, as options. */
  static List<String> missingRequired(Command command, ObjectNode input) {
    return command.params().stream().filter(p -> p.required() && !input.has(p.field()))
        .map(Param::option).toList();
  }

  /**
   * {@code --generate-cli-skeleton input}: every request member with an empty value of its
   * type, as the AWS CLI prints it, to fill in and pass back with {@code --cli-input-json}.
   */
  static ObjectNode skeleton(Command command) {
    ObjectNode o = Json.object();
    for (Param p : command.params()) {
      switch (p.type()) {
        case INT -> o.put(p.field(), 0);
        case BOOL -> o.put(p.field(), true);
        case MAP -> o.putObject(p.field()).put("KeyName", "");
        case LIST -> o.putArray(p.field()).add("");
        case TAGS -> o.putArray(p.field()).addObject();
        case JSON -> o.putObject(p.field());
        case TIMESTAMP -> o.put(p.field(), "1970-01-01T00:00:00");
        default -> o.put(p.field(), "");
      }
    }
    return o;
  }

  /** JSON object, or AWS shorthand {@code k=v,k2=v2}. */
  static ObjectNode map(Param p, String value) {
    if (value.trim().startsWith("{")) {
      JsonNode n = json(p, value);
      if (!(n instanceof ObjectNode o)) {
        throw new IllegalArgumentException(p.option() + " must be a JSON object");
      }
      return o;
    }
    ObjectNode o = Json.object();
    for (String pair : value.split(",")) {
      int eq = pair.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException(p.option() + " takes JSON {\"k\":\"v\"} or"
            + " k=v,k2=v2; '" + pair + "' " + (eq == 0 ? "has an empty key" : "has no '='"));
      }
      String key = pair.substring(0, eq);
      if (o.has(key)) {
        // As the JSON form (and the daemon) refuse a duplicate key: a=1,a=2 would otherwise
        // silently mean a=2.
        throw new IllegalArgumentException(p.option() + " sets '" + key + "' twice; give each"
            + " key once");
      }
      o.put(key, pair.substring(eq + 1));
    }
    return o;
  }

  /** A JSON list, or one or more {@code TagKey=k,TagValue=v} shorthand values. */
  private static ArrayNode tags(Param p, List<String> values) {
    if (values.size() == 1 && values.get(0).trim().startsWith("[")) {
      JsonNode n = json(p, values.get(0));
      if (!(n instanceof ArrayNode a)) {
        throw new IllegalArgumentException(p.option() + " must be a JSON list");
      }
      return a;
    }
    ArrayNode a = Json.MAPPER.createArrayNode();
    for (String v : values) {
      ObjectNode tag = map(p, v);
      if (!p.field().equals("Tags")) {
        a.add(tag); // another list of structures: each value is one K=v,K2=v2 item
        continue;
      }
      if (!tag.has("TagKey") || tag.size() > 2) {
        throw new IllegalArgumentException(p.option() + " entries look like TagKey=k,TagValue=v");
      }
      if (!tag.has("TagValue")) {
        tag.put("TagValue", "");
      }
      a.add(tag);
    }
    return a;
  }

  private static JsonNode json(Param p, String value) {
    try {
      return Json.MAPPER.readTree(value);
    } catch (IOException e) {
      throw new IllegalArgumentException(p.option() + " is not valid JSON: " + e.getMessage());
    }
  }
}
