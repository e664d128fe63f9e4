package dev.coffer.protocol;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.core.Base64Variant;
import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
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
            StreamReadConstraints.builder().maxNestingDepth(32).maxStringLength(1 << 20)
                .maxNameLength(50_000).build());
    // One body, one meaning: a field named twice, or a second value after the first, would
    // leave it to the parser which one counts.
    m.enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY);
    m.enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    return m;
  }

  // parseObject checks what follows the value itself, to tell trailing data from bad JSON.
  private static final ObjectReader ONE_VALUE =
      MAPPER.reader().without(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

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

  /**
   * Parses a body; anything that is not exactly one JSON object (with only whitespace after it,
   * each field named once per object) is a {@code ValidationException}. Bodies from untrusted
   * clients go through {@link #parseRequest} instead, which also checks the text.
   */
  public static ObjectNode parseObject(byte[] body) {
    JsonNode n;
    try (JsonParser p = MAPPER.createParser(body)) {
      n = ONE_VALUE.readTree(p);
      boolean trailing;
      try {
        trailing = p.nextToken() != null;
      } catch (IOException garbage) {
        trailing = true;
      }
      if (trailing) {
        throw new KmsException(ErrorType.VALIDATION, "the message body must be exactly one JSON"
            + " object, with nothing but whitespace after it");
      }
    } catch (MismatchedInputException e) {
      // Jackson's message names the field; say it in protocol terms, quoted so no lone surrogate
      // or control character of the request is echoed raw.
      String m = String.valueOf(e.getOriginalMessage());
      if (m.startsWith("Duplicate field")) {
        throw new KmsException(ErrorType.VALIDATION, "the message body names the field "
            + WellFormedText.quote(duplicateName(m)) + " twice in one object; send each field"
            + " once");
      }
      throw notJson();
    } catch (StreamConstraintsException e) {
      throw new KmsException(ErrorType.VALIDATION, "the message body exceeds a JSON limit (at most"
          + " 32 levels of nesting, field names of 50,000 characters, strings of 1 MiB); send a"
          + " smaller request");
    } catch (IOException e) {
      throw notJson();
    }
    if (n instanceof ObjectNode o) {
      return o;
    }
    throw new KmsException(ErrorType.VALIDATION, "the message body must be one JSON object");
  }

  /**
   * Parses a request body from a client: {@link #parseObject} after
   * {@link WellFormedText#requireStrictUtf8} on the bytes and, when the body has escapes,
   * {@link WellFormedText#requireWellFormed} on the tree. So every string in the result, field
   * names included, round-trips exactly through UTF-8, whatever the field.
   *
   * @throws KmsException {@code ValidationException} naming the fault
   */
  public static ObjectNode parseRequest(byte[] body) {
    boolean escapes = WellFormedText.requireStrictUtf8(body);
    ObjectNode o = parseObject(body);
    if (escapes) {
      WellFormedText.requireWellFormed(o);
    }
    return o;
  }

  /** The field name in Jackson's "Duplicate field 'NAME' for `ObjectNode`: ..." message. */
  private static String duplicateName(String message) {
    int start = message.indexOf('\'') + 1;
    int end = message.lastIndexOf("' for `ObjectNode`");
    return start > 0 && end >= start ? message.substring(start, end) : "?";
  }

  private static KmsException notJson() {
    return new KmsException(ErrorType.VALIDATION, "the message body is not valid JSON");
  }

  /**
   * The bytes of a base64 field, or {@code null} when the field is absent or JSON null.
   *
   * <p>Only the one canonical encoding of the bytes is accepted (RFC 4648 section 4, the standard
   * alphabet as AWS sends it): padded with {@code =} to a multiple of 4 characters, no whitespace
   * or line breaks, and the bits of the last character that carry no data are zero. So exactly one
   * string stands for each byte sequence: {@code encode(decode(s))} equals {@code s}.
   *
   * @throws IllegalArgumentException saying what is not canonical
   */
  public static byte[] bytes(JsonNode v) {
    if (v == null || v.isNull()) {
      return null;
    }
    if (v.isBinary()) {
      return ((com.fasterxml.jackson.databind.node.BinaryNode) v).binaryValue();
    }
    if (!v.isTextual()) {
      throw new IllegalArgumentException("is not a base64 string");
    }
    String s = v.textValue();
    if (s.length() % 4 != 0) {
      throw new IllegalArgumentException("has " + s.length() + " characters, not a multiple of 4"
          + " (pad with '=')");
    }
    byte[] out;
    try {
      // The JDK's decoder is several times faster than Jackson's char-by-char one, and every
      // Encrypt and Decrypt decodes a blob on each side of the socket. It refuses characters
      // outside the alphabet (whitespace included) and misplaced padding.
      out = Base64.getDecoder().decode(s);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("holds a character outside the standard base64 alphabet"
          + " (A-Z a-z 0-9 + /) or misplaced '=' padding", e);
    }
    int pad = s.endsWith("==") ? 2 : s.endsWith("=") ? 1 : 0;
    if (pad > 0) {
      // One '=': the last data character carries 2 unused bits; two: 4 (RFC 4648 section 3.5).
      int last = base64Value(s.charAt(s.length() - 1 - pad));
      if ((last & (pad == 1 ? 0x03 : 0x0F)) != 0) {
        java.util.Arrays.fill(out, (byte) 0);
        throw new IllegalArgumentException("is not the canonical encoding: the unused bits of its"
            + " last character must be zero");
      }
    }
    return out;
  }

  private static int base64Value(char c) {
    if (c >= 'A' && c <= 'Z') {
      return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
      return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
      return c - '0' + 52;
    }
    return c == '+' ? 62 : 63;
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
