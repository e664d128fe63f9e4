package dev.coffer.daemon.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.daemon.cli.CliOperations.Command;
import dev.coffer.daemon.cli.CliOperations.Param;
import dev.coffer.protocol.Json;
import java.io.IOException;
import java.util.List;
import picocli.CommandLine.ParseResult;

/** Turns parsed {@code aws kms}-style options into the AWS JSON request. */
final class RequestBuilder {
  private RequestBuilder() {}

  static ObjectNode build(Command command, ParseResult parsed) throws IOException {
    ObjectNode input = Json.object();
    for (Param p : command.params()) {
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
            CofferCli.readBlobArgument(parsed.matchedOptionValue(p.option(), "")));
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
        case JSON -> {
          JsonNode n = json(p, CofferCli.readTextArgument(parsed.matchedOptionValue(p.option(), "")));
          if (!n.isObject()) {
            throw new IllegalArgumentException(p.option() + " must be a JSON object");
          }
          input.set(p.field(), n);
        }
        case TAGS -> input.set(p.field(), tags(p, parsed.matchedOptionValue(p.option(), List.of())));
      }
    }
    return input;
  }

  /** JSON object, or AWS shorthand {@code k=v,k2=v2}. */
  private static ObjectNode map(Param p, String value) {
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
        throw new IllegalArgumentException(
            p.option() + " takes JSON {\"k\":\"v\"} or k=v,k2=v2; '" + pair + "' has no '='");
      }
      o.put(pair.substring(0, eq), pair.substring(eq + 1));
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
