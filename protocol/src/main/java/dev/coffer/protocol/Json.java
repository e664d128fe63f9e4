package dev.coffer.protocol;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;

/**
 * The one JSON configuration both sides use for frame bodies.
 *
 * <p>Bodies follow the AWS KMS JSON protocol: PascalCase field names, binary fields as base64
 * strings. A request body is {@code {"Operation": name, "Input": {...}}}; a response body is the
 * operation's output object; an error body is {@code {"__type": name, "message": text}}.
 */
public final class Json {
  private Json() {}

  public static final ObjectMapper MAPPER = createMapper();

  private static ObjectMapper createMapper() {
    ObjectMapper m = new ObjectMapper();
    m.getFactory()
        .setStreamReadConstraints(
            StreamReadConstraints.builder().maxNestingDepth(32).maxStringLength(1 << 20).build());
    m.enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY);
    return m;
  }

  public static ObjectNode object() {
    return JsonNodeFactory.instance.objectNode();
  }

  public static byte[] toBytes(JsonNode node) {
    try {
      return MAPPER.writeValueAsBytes(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialise a JSON tree", e);
    }
  }

  /** Parses a body; anything that is not one JSON object is a {@code ValidationException}. */
  public static ObjectNode parseObject(byte[] body) {
    try {
      JsonNode n = MAPPER.readTree(body);
      if (n instanceof ObjectNode o) {
        return o;
      }
      throw new KmsException(ErrorType.VALIDATION, "the message body must be one JSON object");
    } catch (IOException e) {
      throw new KmsException(ErrorType.VALIDATION, "the message body is not valid JSON");
    }
  }

  public static String pretty(JsonNode node) {
    try {
      return MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialise a JSON tree", e);
    }
  }

  /** Builds a request body. */
  public static byte[] request(String operation, ObjectNode input) {
    ObjectNode body = object();
    body.put("Operation", operation);
    body.set("Input", input == null ? object() : input);
    return toBytes(body);
  }

  /** Builds an error body. */
  public static byte[] error(String errorType, String message) {
    ObjectNode body = object();
    body.put("__type", errorType);
    body.put("message", message);
    return toBytes(body);
  }
}
