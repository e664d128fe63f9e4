package dev.coffer.daemon.cli.output;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code --output yaml}, as AWS CLI v2 prints it: a safe YAML dump in block style (keys sorted,
 * sequences inside mappings not indented, empty collections as {@code []}/{@code {}}, two-space
 * indent, plain scalars folded at spaces past column 80, strings a YAML reader would take for
 * another type quoted). The layout rules are those of PyYAML's emitter, from which the
 * {@code ruamel.yaml} emitter the AWS CLI uses derives; strings are resolved with YAML 1.1's
 * implicit types, so {@code yes}/{@code on} are quoted too (harmless and still valid YAML).
 */
final class YamlOutput {
  private static final int BEST_WIDTH = 80;

  private final StringBuilder out;
  private int column;
  private boolean whitespace = true;
  private boolean indention = true;
  private boolean openEnded;

  private YamlOutput(StringBuilder out) {
    this.out = out;
  }

  static void format(JsonNode v, StringBuilder out) {
    YamlOutput y = new YamlOutput(out);
    y.root(v);
  }

  private void root(JsonNode v) {
    if (isCollection(v) && !v.isEmpty()) {
      if (v.isObject()) {
        mapping(v, 0);
      } else {
        sequence(v, 0);
      }
    } else {
      node(v, 0, true, false);
    }
    lineBreak();
    if (openEnded) {
      out.append("...");
      lineBreak();
    }
  }

  private static boolean isCollection(JsonNode v) {
    return v != null && v.isContainerNode();
  }

  /** A block mapping's entries at {@code indent} (the first may follow a sequence's dash). */
  private void mapping(JsonNode map, int indent) {
    TreeMap<String, JsonNode> sorted = new TreeMap<>();
    map.fields().forEachRemaining(e -> sorted.put(e.getKey(), e.getValue()));
    for (Map.Entry<String, JsonNode> e : sorted.entrySet()) {
      writeIndent(indent);
      scalar(e.getKey(), indent, true, false);
      writeIndicator(":", false);
      JsonNode v = e.getValue();
      if (isCollection(v) && !v.isEmpty()) {
        if (v.isObject()) {
          mapping(v, indent + 2);
        } else {
          sequence(v, indent); // indentless inside a mapping
        }
      } else {
        node(v, indent + 2, false, false);
      }
    }
  }

  private void sequence(JsonNode seq, int indent) {
    for (JsonNode item : seq) {
      writeIndent(indent);
      writeIndicator("-", true);
      if (isCollection(item) && !item.isEmpty()) {
        if (item.isObject()) {
          mapping(item, indent + 2);
        } else {
          sequence(item, indent + 2);
        }
      } else {
        node(item, indent + 2, false, false);
      }
    }
  }

  /** A scalar or an empty collection, {@code indent} being the indent of continuation lines. */
  private void node(JsonNode v, int indent, boolean root, boolean key) {
    if (v == null || v.isNull() || v.isMissingNode()) {
      plainValue("null", indent, root, key);
    } else if (v.isArray()) {
      writeIndicator("[", true);
      writeIndicator("]", false);
    } else if (v.isObject()) {
      writeIndicator("{", true);
      writeIndicator("}", false);
    } else if (v.isBoolean()) {
      plainValue(v.booleanValue() ? "true" : "false", indent, root, key);
    } else if (v.isIntegralNumber()) {
      plainValue(v.bigIntegerValue().toString(), indent, root, key);
    } else if (v.isNumber()) {
      plainValue(floatText(v.doubleValue()), indent, root, key);
    } else {
      if (root) {
        rootString(v.asText());
      } else {
        scalar(v.asText(), indent, key, false);
      }
    }
  }

  private void rootString(String s) {
    scalar(s, 2, false, true); // a root scalar's continuation lines indent by 2
  }

  private void plainValue(String text, int indent, boolean root, boolean key) {
    writePlain(text, indent, !key, root);
  }

  /** PyYAML's represent_float. */
  private static String floatText(double d) {
    if (Double.isNaN(d)) {
      return ".nan";
    }
    if (Double.isInfinite(d)) {
      return d > 0 ? ".inf" : "-.inf";
    }
    String r = PyValues.floatRepr(d).toLowerCase(java.util.Locale.ROOT);
    if (!r.contains(".") && r.contains("e")) {
      r = r.replaceFirst("e", ".0e");
    }
    return r;
  }

  /** A string, in the style PyYAML's emitter chooses (plain, single- or double-quoted). */
  private void scalar(String s, int indent, boolean simpleKey, boolean root) {
    YamlScalars.Analysis a = YamlScalars.analyze(s);
    boolean implicit = !YamlScalars.readsAsAnotherType(s);
    boolean plainOk = !(simpleKey && (a.empty || a.multiline)) && a.allowBlockPlain;
    if (implicit && plainOk) {
      writePlain(s, indent, !simpleKey, root);
    } else if (a.allowSingleQuoted && !(simpleKey && a.multiline)) {
      writeSingleQuoted(s, indent, !simpleKey);
    } else {
      writeDoubleQuoted(s, indent, !simpleKey);
    }
  }

  // ---- the writer: PyYAML Emitter's write_* methods ----

  /** Python's {@code text[start:end]}: empty when start is past end. */
  private static String slice(String text, int start, int end) {
    return start >= end ? "" : text.substring(start, end);
  }

  private void write(String data) {
    out.append(data);
    column += data.length();
  }

  private void lineBreak() {
    out.append('\n');
    column = 0;
    whitespace = true;
    indention = true;
  }

  private void writeIndent(int indent) {
    if (!indention || column > indent || (column == indent && !whitespace)) {
      lineBreak();
    }
    if (column < indent) {
      whitespace = true;
      write(" ".repeat(indent - column));
    }
  }

  private void writeIndicator(String indicator, boolean needWhitespace) {
    write(whitespace || !needWhitespace ? indicator : " " + indicator);
    whitespace = false;
    indention = indention && indicator.equals("-");
    openEnded = false;
  }

  private void writePlain(String text, int indent, boolean split, boolean root) {
    if (root) {
      openEnded = true;
    }
    if (text.isEmpty()) {
      return;
    }
    if (!whitespace) {
      write(" ");
    }
    whitespace = false;
    indention = false;
    boolean spaces = false;
    int start = 0;
    for (int end = 0; end <= text.length(); end++) {
      Character ch = end < text.length() ? text.charAt(end) : null;
      if (spaces) {
        if (ch == null || ch != ' ') {
          if (start + 1 == end && column > BEST_WIDTH && split) {
            writeIndent(indent);
            whitespace = false;
            indention = false;
          } else {
            write(slice(text, start, end));
          }
          start = end;
        }
      } else if (ch == null || ch == ' ') {
        write(slice(text, start, end));
        start = end;
      }
      if (ch != null) {
        spaces = ch == ' ';
      }
    }
  }

  private void writeSingleQuoted(String text, int indent, boolean split) {
    writeIndicator("'", true);
    boolean spaces = false;
    boolean breaks = false;
    int start = 0;
    for (int end = 0; end <= text.length(); end++) {
      Character ch = end < text.length() ? text.charAt(end) : null;
      if (spaces) {
        if (ch == null || ch != ' ') {
          if (start + 1 == end && column > BEST_WIDTH && split && start != 0
              && end != text.length()) {
            writeIndent(indent);
          } else {
            write(slice(text, start, end));
          }
          start = end;
        }
      } else if (breaks) {
        if (ch == null || !YamlScalars.lineBreakChar(ch)) {
          if (text.charAt(start) == '\n') {
            lineBreak();
          }
          for (char br : slice(text, start, end).toCharArray()) {
            if (br == '\n') {
              lineBreak();
            } else {
              out.append(br);
              column = 0;
              whitespace = true;
              indention = true;
            }
          }
          writeIndent(indent);
          start = end;
        }
      } else if (ch == null || ch == ' ' || YamlScalars.lineBreakChar(ch) || ch == '\'') {
        if (start < end) {
          write(slice(text, start, end));
          start = end;
        }
      }
      if (ch != null && ch == '\'') {
        write("''");
        start = end + 1;
      }
      if (ch != null) {
        spaces = ch == ' ';
        breaks = YamlScalars.lineBreakChar(ch);
      }
    }
    writeIndicator("'", false);
  }

  private static final Map<Character, Character> ESCAPES = Map.ofEntries(
      Map.entry('\0', '0'), Map.entry('\u0007', 'a'), Map.entry('\b', 'b'),
      Map.entry('\t', 't'), Map.entry('\n', 'n'), Map.entry('\u000B', 'v'),
      Map.entry('\f', 'f'), Map.entry('\r', 'r'), Map.entry('\u001B', 'e'),
      Map.entry('"', '"'), Map.entry('\\', '\\'), Map.entry('\u0085', 'N'),
      Map.entry('\u00A0', '_'), Map.entry('\u2028', 'L'), Map.entry('\u2029', 'P'));

  private void writeDoubleQuoted(String text, int indent, boolean split) {
    writeIndicator("\"", true);
    int start = 0;
    for (int end = 0; end <= text.length(); end++) {
      Character ch = end < text.length() ? text.charAt(end) : null;
      if (ch == null || "\"\\\u0085\u2028\u2029\uFEFF".indexOf(ch) >= 0
          || !((ch >= 0x20 && ch <= 0x7E) || (ch >= '\u00A0' && ch <= '\uD7FF')
              || (ch >= '\uE000' && ch <= '\uFFFD') || Character.isSurrogate(ch))) {
        if (start < end) {
          write(slice(text, start, end));
          start = end;
        }
        if (ch != null) {
          Character e = ESCAPES.get(ch);
          String data = e != null ? "\\" + e
              : ch <= 0xFF ? String.format("\\x%02X", (int) ch) : String.format("\\u%04X", (int) ch);
          write(data);
          start = end + 1;
        }
      }
      if (end > 0 && end < text.length() - 1 && (ch == ' ' || start >= end)
          && column + (end - start) > BEST_WIDTH && split) {
        String data = slice(text, start, end) + "\\";
        if (start < end) {
          start = end;
        }
        write(data);
        writeIndent(indent);
        whitespace = false;
        indention = false;
        if (text.charAt(start) == ' ') {
          write("\\");
        }
      }
    }
    writeIndicator("\"", false);
  }

}
