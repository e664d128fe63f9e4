package dev.coffer.daemon.cli.output;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * {@code --output table}, laid out as the AWS CLI's {@code awscli/formatter.py} (TableFormatter)
 * and {@code awscli/table.py} (MultiTable) do: one titled section per dict or list of dicts,
 * scalar keys as sorted column headers, nested values as indented sub-sections, columns scaled to
 * the widest section, and, when that is wider than the terminal (80 columns when output is not a
 * terminal), single-row sections turned into key/value rows.
 */
public final class TableOutput {

  private static final int[] WIDE = loadWideRanges();

  private final List<Section> sections = new ArrayList<>();
  private Section current;
  private final int terminalWidth;
  private final boolean color;

  private TableOutput(int terminalWidth, boolean color) {
    this.terminalWidth = terminalWidth;
    this.color = color;
  }

  /**
   * Renders {@code v} under the title {@code title} (the AWS operation name, as the AWS CLI
   * uses); prints nothing for an empty or null value.
   */
  static void format(String title, JsonNode v, int terminalWidth, boolean color,
      StringBuilder out) {
    TableOutput t = new TableOutput(terminalWidth, color);
    if (t.build(title, v, 0)) {
      t.render(out);
    }
  }

  // ---- building: formatter.py TableFormatter ----

  private static boolean falsy(JsonNode v) {
    return v == null || v.isNull() || v.isMissingNode() || (v.isContainerNode() && v.isEmpty())
        || (v.isTextual() && v.textValue().isEmpty()) || (v.isBoolean() && !v.booleanValue())
        || (v.isNumber() && v.doubleValue() == 0);
  }

  private static boolean scalar(JsonNode v) {
    return !v.isContainerNode();
  }

  private boolean build(String title, JsonNode v, int indent) {
    if (falsy(v)) {
      return false;
    }
    if (title != null) {
      newSection(title, indent);
    }
    if (v.isArray()) {
      if (v.get(0).isObject()) {
        subTableFromList(v, indent, title);
      } else {
        for (JsonNode item : v) {
          if (scalar(item)) {
            current.addRow(List.of(PyValues.str(item)));
          } else if (allScalar(item)) {
            List<String> row = new ArrayList<>();
            item.forEach(e -> row.add(PyValues.str(e)));
            current.addRow(row);
          } else {
            build(null, item, 0);
          }
        }
      }
    }
    if (v.isObject()) {
      subTableFromDict(v, indent);
    }
    return true;
  }

  private static boolean allScalar(JsonNode container) {
    // Python's all() over a dict iterates its keys, which are strings: always scalar.
    if (container.isObject()) {
      return true;
    }
    for (JsonNode e : container) {
      if (!scalar(e)) {
        return false;
      }
    }
    return true;
  }

  private void subTableFromDict(JsonNode dict, int indent) {
    List<String> headers = new ArrayList<>();
    List<String> more = new ArrayList<>();
    group(dict, headers, more);
    if (headers.size() == 1) {
      current.addRow(List.of(headers.get(0), PyValues.str(dict.get(headers.get(0)))));
    } else if (!headers.isEmpty()) {
      current.addHeader(headers);
      List<String> row = new ArrayList<>();
      headers.forEach(h -> row.add(PyValues.str(dict.get(h))));
      current.addRow(row);
    }
    for (String k : more) {
      build(k, dict.get(k), indent + 1);
    }
  }

  private void subTableFromList(JsonNode list, int indent, String title) {
    TreeSet<String> h = new TreeSet<>();
    TreeSet<String> m = new TreeSet<>();
    for (JsonNode item : list) {
      List<String> ch = new ArrayList<>();
      List<String> cm = new ArrayList<>();
      group(item, ch, cm);
      h.addAll(ch);
      m.addAll(cm);
    }
    List<String> headers = new ArrayList<>(h);
    current.addHeader(headers);
    boolean first = true;
    for (JsonNode element : list) {
      if (!first && !m.isEmpty()) {
        newSection(title, indent);
        current.addHeader(headers);
      }
      first = false;
      List<String> row = new ArrayList<>();
      headers.forEach(k -> row.add(element.has(k) ? PyValues.str(element.get(k)) : ""));
      current.addRow(row);
      for (String k : m) {
        if (element.has(k)) {
          build(k, element.get(k), indent + 1);
        }
      }
    }
  }

  private static void group(JsonNode dict, List<String> headers, List<String> more) {
    if (!dict.isObject()) {
      return;
    }
    dict.fields().forEachRemaining(f -> (scalar(f.getValue()) ? headers : more).add(f.getKey()));
    headers.sort(null);
    more.sort(null);
  }

  private void newSection(String title, int indent) {
    current = new Section();
    current.title = title == null ? "" : title;
    current.indent = indent;
    sections.add(current);
  }

  // ---- rendering: table.py MultiTable ----

  private void render(StringBuilder out) {
    int max = maxWidth();
    if (max > terminalWidth) {
      for (int i = 0; i < sections.size(); i++) {
        Section s = sections.get(i);
        if (s.rows.size() == 1 && !s.headers.isEmpty()) {
          Section v = new Section();
          v.title = s.title;
          v.indent = s.indent;
          for (int c = 0; c < s.headers.size() && c < s.rows.get(0).size(); c++) {
            v.addRow(List.of(s.headers.get(c), s.rows.get(0).get(c)));
          }
          sections.set(i, v);
        }
      }
      max = maxWidth();
    }
    out.append("-".repeat(max)).append('\n');
    for (Section s : sections) {
      renderSection(s, max, out);
    }
  }

  private int maxWidth() {
    int max = 0;
    for (Section s : sections) {
      max = Math.max(max, s.totalWidth(4, s.indent));
    }
    return max;
  }

  private String indentChar() {
    return color ? "\u001b[2m\u001b[33m|\u001b[0m" : "|";
  }

  private void line(StringBuilder out, int indent, String text) {
    String bar = indentChar().repeat(indent);
    out.append(bar).append(text).append(bar).append('\n');
  }

  private void renderSection(Section s, int maxWidth, StringBuilder out) {
    int width = maxWidth - s.indent * 2;
    if (!s.title.isEmpty()) {
      line(out, s.indent, center(s.title, width, "|", "|", length(s.title)));
      if (s.headers.isEmpty() && s.rows.isEmpty()) {
        line(out, s.indent, "+" + "-".repeat(width - 2) + "+");
      }
    }
    if (!s.headers.isEmpty()) {
      int[] widths = s.columnWidths(4, width);
      StringBuilder b = new StringBuilder();
      for (int i = 0; i < widths.length && i < s.headers.size(); i++) {
        String h = s.headers.get(i);
        b.append(center(h, widths[i], i == 0 ? "|" : "", "|", length(h)));
      }
      line(out, s.indent, lineBreak(widths));
      line(out, s.indent, b.toString());
    }
    if (!s.rows.isEmpty()) {
      int[] widths = s.columnWidths(4, width);
      if (widths.length == 0) {
        return;
      }
      line(out, s.indent, lineBreak(widths));
      for (List<String> row : s.rows) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < widths.length && i < row.size(); i++) {
          String e = row.get(i);
          String styled = color ? "\u001b[1m\u001b[34m" + e + "\u001b[0m" : e;
          b.append(alignLeft(styled, widths[i], i == 0 ? "|" : "", "|", length(e)));
        }
        line(out, s.indent, b.toString());
      }
      line(out, s.indent, lineBreak(widths));
    }
  }

  private static String lineBreak(int[] widths) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < widths.length; i++) {
      b.append(i == 0 ? "+" + "-".repeat(Math.max(0, widths[i] - 2)) + "+"
          : "-".repeat(Math.max(0, widths[i] - 1)) + "+");
    }
    return b.toString();
  }

  private static String center(String text, int length, String left, String right, int textLen) {
    // Python's // floors; so does Math.floorDiv.
    int start = Math.floorDiv(length, 2) - Math.floorDiv(textLen, 2) - 1;
    int soFar = length(left) + start + textLen;
    int rightSpaces = length - length(right) - soFar;
    return left + " ".repeat(Math.max(0, start)) + text + " ".repeat(Math.max(0, rightSpaces))
        + right;
  }

  private static String alignLeft(String text, int length, String left, String right,
      int textLen) {
    int computed = textLen + 2 + length(left) + length(right);
    int padding = length - computed >= 0 ? 2 : 0;
    int soFar = left.length() + padding + textLen;
    return left + " ".repeat(padding) + text
        + " ".repeat(Math.max(0, length - soFar - right.length())) + right;
  }

  /** {@code awscli.table.get_text_length}: East Asian wide, full-width and ambiguous count 2. */
  public static int length(String s) {
    int n = 0;
    for (int i = 0; i < s.length(); ) {
      int cp = s.codePointAt(i);
      n += wide(cp) ? 2 : 1;
      i += Character.charCount(cp);
    }
    return n;
  }

  private static boolean wide(int cp) {
    if (cp < 0xA1) {
      return false;
    }
    int lo = 0;
    int hi = WIDE.length / 2 - 1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      if (cp < WIDE[2 * mid]) {
        hi = mid - 1;
      } else if (cp > WIDE[2 * mid + 1]) {
        lo = mid + 1;
      } else {
        return true;
      }
    }
    return false;
  }

  private static int[] loadWideRanges() {
    try (InputStream in = TableOutput.class.getResourceAsStream("east-asian-wide.txt");
         BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII))) {
      List<Integer> v = new ArrayList<>();
      for (String l; (l = r.readLine()) != null; ) {
        if (l.isBlank() || l.startsWith("#")) {
          continue;
        }
        String[] p = l.split("-");
        v.add(Integer.parseInt(p[0], 16));
        v.add(Integer.parseInt(p[1], 16));
      }
      return v.stream().mapToInt(Integer::intValue).toArray();
    } catch (IOException | NullPointerException e) {
      throw new UncheckedIOException(new IOException("east-asian-wide.txt is missing from the jar", e));
    }
  }

  /** table.py's Section: a title, optional headers, rows, and per-column maximum widths. */
  private static final class Section {
    String title = "";
    List<String> headers = List.of();
    final List<List<String>> rows = new ArrayList<>();
    int indent;
    List<Integer> maxWidths = new ArrayList<>();

    void addHeader(List<String> h) {
      updateWidths(h);
      headers = h;
    }

    void addRow(List<String> row) {
      rows.add(row);
      updateWidths(row);
    }

    private void updateWidths(List<String> row) {
      if (maxWidths.isEmpty()) {
        row.forEach(e -> maxWidths.add(length(e)));
      } else {
        for (int i = 0; i < row.size() && i < maxWidths.size(); i++) {
          maxWidths.set(i, Math.max(maxWidths.get(i), length(row.get(i))));
        }
      }
    }

    int[] columnWidths(int padding, int maxWidth) {
      int[] unscaled = maxWidths.stream().mapToInt(w -> w + padding).toArray();
      if (unscaled.length == 0) {
        return unscaled;
      }
      double sum = 0;
      for (int w : unscaled) {
        sum += w;
      }
      double factor = maxWidth / sum;
      int[] scaled = new int[unscaled.length];
      int total = 0;
      for (int i = 0; i < unscaled.length; i++) {
        scaled[i] = (int) Math.rint(factor * unscaled[i]); // Python round(): half to even
        total += scaled[i];
      }
      int off = total - maxWidth;
      while (off != 0) {
        if (off > 0) {
          for (int i = 0; i < scaled.length && off != 0; i++) {
            scaled[i]--;
            off--;
          }
        } else {
          for (int i = scaled.length - 1; i >= 0 && off != 0; i--) {
            scaled[i]++;
            off++;
          }
        }
      }
      return scaled;
    }

    int totalWidth(int padding, int outerPadding) {
      int total = 0;
      for (int w : maxWidths) {
        total += w + padding;
      }
      total += 2 + 2 * outerPadding;
      return Math.max(length(title) + 2 + 2 * outerPadding, total);
    }
  }
}
