package dev.coffer.protocol;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.core.Base64Variant;
import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.JsonGeneratorDelegate;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.Base64;

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
    ObjectMapper m = new ObjectMapper(new FastBase64JsonFactory());
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

  /**
   * The bytes of a base64 field (standard alphabet, as AWS sends them), or {@code null} when
   * the field is absent or JSON null.
   *
   * @throws IllegalArgumentException if the value is not base64
   */
  public static byte[] bytes(JsonNode v) {
    if (v == null || v.isNull()) {
      return null;
    }
    if (v.isTextual()) {
      // The JDK's decoder is several times faster than Jackson's char-by-char one, and every
      // Encrypt and Decrypt decodes a blob on each side of the socket.
      try {
        return Base64.getDecoder().decode(v.textValue());
      } catch (IllegalArgumentException strict) {
        // Jackson's variant also skips whitespace: keep accepting what it accepted before.
      }
    }
    if (v.isTextual() || v.isBinary()) {
      try {
        return v.binaryValue();
      } catch (IOException | IllegalArgumentException e) {
        throw new IllegalArgumentException("not base64-encoded binary", e);
      }
    }
    throw new IllegalArgumentException("not base64-encoded binary");
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

  /**
   * Writes binary values with the JDK's base64 encoder as one pre-escaped UTF-8 string, the same
   * text Jackson's default variant writes (standard alphabet, padded, no line feeds), at a
   * fraction of the cost.
   */
  private static final class FastBase64JsonFactory extends JsonFactory {
    private static final long serialVersionUID = 1L;

    @Override
    public JsonGenerator createGenerator(OutputStream out, JsonEncoding enc) throws IOException {
      return new FastBase64Generator(super.createGenerator(out, enc));
    }

    @Override
    public JsonGenerator createGenerator(OutputStream out) throws IOException {
      return new FastBase64Generator(super.createGenerator(out));
    }
  }

  private static final class FastBase64Generator extends JsonGeneratorDelegate {
    FastBase64Generator(JsonGenerator d) {
      super(d, false);
    }

    /**
     * Timestamps are epoch seconds with milliseconds ({@code 1796035264.239}); Jackson would
     * write {@code 1.796035264239E9}, which is valid JSON but unreadable in audit records and
     * logs. Plain decimal digits parse to the same double.
     */
    @Override
    public void writeNumber(double v) throws IOException {
      if (Double.isFinite(v) && v != 0 && Math.abs(v) >= 1e-3 && Math.abs(v) < 1e16) {
        delegate.writeNumber(new java.math.BigDecimal(Double.toString(v)).toPlainString());
      } else {
        super.writeNumber(v);
      }
    }

    @Override
    public void writeBinary(Base64Variant variant, byte[] data, int offset, int len)
        throws IOException {
      if (!variant.usesPadding() || variant.getMaxLineLength() < Integer.MAX_VALUE
          || variant.getPaddingChar() != '=' || variant.decodeBase64Char('+') != 62
          || variant.decodeBase64Char('/') != 63) {
        super.writeBinary(variant, data, offset, len);
        return;
      }
      boolean whole = offset == 0 && len == data.length;
      byte[] slice = whole ? data : Arrays.copyOfRange(data, offset, offset + len);
      // Binary fields may be plaintext or data keys: zero the copies this method makes.
      byte[] text = Base64.getEncoder().encode(slice);
      try {
        delegate.writeRawUTF8String(text, 0, text.length);
      } finally {
        Arrays.fill(text, (byte) 0);
        if (!whole) {
          Arrays.fill(slice, (byte) 0);
        }
      }
    }
  }
}
