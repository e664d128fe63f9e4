package dev.coffer.daemon.cli.output;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.burt.jmespath.Expression;
import io.burt.jmespath.JmesPath;
import io.burt.jmespath.jackson.JacksonRuntime;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * What the CLI prints for a response: the AWS CLI's {@code --query} (JMESPath) and {@code
 * --output} formats ({@code json}, {@code text}, {@code table}, {@code yaml}, {@code
 * yaml-stream}), byte for byte as {@code aws} prints the same response.
 */
public final class CliOutput {

  /** The AWS CLI's output formats; {@code yaml} and {@code yaml-stream} are AWS CLI v2's. */
  enum Format {
    JSON, TEXT, TABLE, YAML, YAML_STREAM;

    String cliName() {
      return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    static Format of(String name) {
      for (Format f : values()) {
        if (f.cliName().equals(name)) {
          return f;
        }
      }
      throw new IllegalArgumentException("argument --output: Invalid choice: '" + name
          + "' (choose from " + String.join(", ",
              Arrays.stream(values()).map(f -> "'" + f.cliName() + "'").toList()) + ")");
    }
  }

  private static final JmesPath<JsonNode> JMESPATH = new JacksonRuntime();

  private final Format format;
  private final Expression<JsonNode> query;
  private final boolean iso8601;
  private final Set<String> timestampFields;
  private final int terminalWidth;
  private final boolean color;

  /**
   * @param query JMESPath expression, or null
   * @param iso8601 print timestamps as ISO 8601 ({@code cli_timestamp_format = iso8601}) rather
   *     than as received (epoch seconds, {@code none})
   * @param timestampFields the response members that are timestamps (from the AWS model)
   * @throws IllegalArgumentException for an unknown format or a query that does not compile,
   *     with the AWS CLI's wording
   */
  public CliOutput(String format, String query, boolean iso8601, Set<String> timestampFields,
      int terminalWidth, boolean color) {
    this.format = Format.of(format);
    this.query = query == null ? null : compile(query);
    this.iso8601 = iso8601;
    this.timestampFields = Set.copyOf(timestampFields);
    this.terminalWidth = terminalWidth;
    this.color = color;
  }

  static Expression<JsonNode> compile(String query) {
    try {
      return JMESPATH.compile(query);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("Bad value for --query " + query + ": " + e.getMessage());
    }
  }

  /** Text to print (possibly empty) for {@code response} of AWS operation {@code title}. */
  public String render(String title, JsonNode response) {
    JsonNode v = iso8601 ? isoTimestamps(response.deepCopy(), timestampFields) : response;
    if (query != null) {
      try {
        v = query.search(v);
      } catch (RuntimeException e) { // a function applied to the wrong type, as in JMESPath
        throw new IllegalArgumentException("--query: " + e.getMessage());
      }
    }
    StringBuilder out = new StringBuilder();
    switch (format) {
      case JSON -> {
        // Like the AWS CLI: an empty response (e.g. CreateAlias) prints nothing; null prints null.
        if (!(v.isObject() && v.isEmpty())) {
          out.append(PyValues.json(v)).append('\n');
        }
      }
      case TEXT -> TextOutput.format(v, out);
      case TABLE -> TableOutput.format(title, v, terminalWidth, color, out);
      case YAML -> {
        if (!(v.isObject() && v.isEmpty())) {
          YamlOutput.format(v, out);
        }
      }
      case YAML_STREAM -> {
        ArrayNode pages = JsonNodeFactory.instance.arrayNode();
        pages.add(v);
        YamlOutput.format(pages, out);
      }
    }
    return out.toString();
  }

  /** Output timestamp members (from the model) as Python's datetime.isoformat() in local time. */
  private static JsonNode isoTimestamps(JsonNode n, Set<String> names) {
    if (n instanceof ObjectNode o) {
      for (Iterator<Map.Entry<String, JsonNode>> it = o.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        if (names.contains(e.getKey()) && e.getValue().isNumber()) {
          e.setValue(JsonNodeFactory.instance.textNode(iso(e.getValue().decimalValue())));
        } else {
          isoTimestamps(e.getValue(), names);
        }
      }
    } else if (n instanceof ArrayNode a) {
      a.forEach(e -> isoTimestamps(e, names));
    }
    return n;
  }

  private static final DateTimeFormatter SECONDS =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss");

  /** Epoch seconds as Python's {@code datetime.fromtimestamp(s, tzlocal()).isoformat()}. */
  public static String iso(java.math.BigDecimal epochSeconds) {
    long micros = epochSeconds.movePointRight(6).setScale(0, java.math.RoundingMode.HALF_EVEN)
        .longValueExact();
    Instant t = Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L),
        Math.floorMod(micros, 1_000_000L) * 1000L);
    ZonedDateTime z = t.atZone(ZoneId.systemDefault());
    String offset = z.getOffset().getId();
    String s = z.format(SECONDS);
    if (z.getNano() != 0) {
      s += String.format(".%06d", z.getNano() / 1000);
    }
    return s + ("Z".equals(offset) ? "+00:00" : offset);
  }
}
