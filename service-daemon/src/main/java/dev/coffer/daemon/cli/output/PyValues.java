package dev.coffer.daemon.cli.output;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.util.Iterator;
import java.util.Map;

/**
 * JSON values printed as the AWS CLI (a Python program) prints them: {@code str()} of a scalar
 * for {@code text} and {@code table} output, and {@code json.dumps(indent=4,
 * ensure_ascii=False)} for {@code json} output.
 *
 * <p>The point of the exercise is byte-identical output for scripts written against {@code aws
 * kms}: booleans print as {@code True}/{@code False} in text, a missing value as {@code None},
 * and a timestamp such as {@code 1.796035264239E9} on the wire as {@code 1796035264.239}
 * (Python's shortest round-trip {@code repr} of a float).
 */
public final class PyValues {
  private PyValues() {}

  /** Python {@code str(value)} of a scalar JSON node; containers print as compact JSON. */
  static String str(JsonNode v) {
    if (v == null || v.isNull() || v.isMissingNode()) {
      return "None";
    }
    if (v.isTextual()) {
      return v.textValue();
    }
    if (v.isBoolean()) {
      return v.booleanValue() ? "True" : "False";
    }
    if (v.isNumber()) {
      return number(v);
    }
    return v.toString();
  }

  /** A number as Python prints it: integers exactly, floats by {@link #floatRepr}. */
  static String number(JsonNode v) {
    if (v.isIntegralNumber()) {
      return v.bigIntegerValue().toString();
    }
    return floatRepr(v.doubleValue());
  }

  /**
   * Python's {@code repr(float)}: the shortest digits that round-trip, in positional notation
   * for decimal exponents -4..15 (with at least one fractional digit, {@code 1796035264.0}) and
   * scientific notation otherwise ({@code 1e+16}, {@code 1.5e-05}).
   */
  static String floatRepr(double d) {
    if (Double.isNaN(d)) {
      return "NaN";
    }
    if (Double.isInfinite(d)) {
      return d > 0 ? "Infinity" : "-Infinity";
    }
    if (d == 0) {
      return (1 / d < 0) ? "-0.0" : "0.0";
    }
    BigDecimal b = new BigDecimal(Double.toString(d)).stripTrailingZeros();
    String digits = b.unscaledValue().abs().toString();
    int exp10 = digits.length() - 1 - b.scale(); // d.ddd x 10^exp10
    String sign = d < 0 ? "-" : "";
    if (exp10 >= -4 && exp10 < 16) {
      String plain = b.abs().toPlainString();
      return sign + (plain.contains(".") ? plain : plain + ".0");
    }
    String mantissa = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
    String e = String.format("%02d", Math.abs(exp10));
    return sign + mantissa + "e" + (exp10 < 0 ? "-" : "+") + e;
  }

  /** {@code json.dumps(v, indent=4, ensure_ascii=False)}, without the trailing newline. */
  public static String json(JsonNode v) {
    StringBuilder b = new StringBuilder();
    json(v, b, 0);
    return b.toString();
  }

  private static void json(JsonNode v, StringBuilder b, int level) {
    if (v == null || v.isNull() || v.isMissingNode()) {
      b.append("null");
    } else if (v.isTextual()) {
      quote(v.textValue(), b);
    } else if (v.isBoolean()) {
      b.append(v.booleanValue() ? "true" : "false");
    } else if (v.isNumber()) {
      b.append(number(v));
    } else if (v.isArray()) {
      if (v.isEmpty()) {
        b.append("[]");
        return;
      }
      b.append('[');
      String sep = "";
      for (JsonNode e : v) {
        b.append(sep).append('\n').append(" ".repeat(4 * (level + 1)));
        json(e, b, level + 1);
        sep = ",";
      }
      b.append('\n').append(" ".repeat(4 * level)).append(']');
    } else if (v.isObject()) {
      if (v.isEmpty()) {
        b.append("{}");
        return;
      }
      b.append('{');
      String sep = "";
      for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        b.append(sep).append('\n').append(" ".repeat(4 * (level + 1)));
        quote(e.getKey(), b);
        b.append(": ");
        json(e.getValue(), b, level + 1);
        sep = ",";
      }
      b.append('\n').append(" ".repeat(4 * level)).append('}');
    } else {
      quote(v.asText(), b);
    }
  }

  /** Python's JSON string escaping with {@code ensure_ascii=False}: only controls, quote, backslash. */
  private static void quote(String s, StringBuilder b) {
    b.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        case '\b' -> b.append("\\b");
        case '\f' -> b.append("\\f");
        default -> {
          if (c < 0x20) {
            b.append(String.format("\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    b.append('"');
  }
}
