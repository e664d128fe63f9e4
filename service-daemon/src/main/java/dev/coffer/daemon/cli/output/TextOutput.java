package dev.coffer.daemon.cli.output;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * {@code --output text}, laid out as the AWS CLI's {@code awscli/text.py} does: a dict prints its
 * scalar values on one tab-separated line (keys sorted), prefixed by the upper-cased name of the
 * list or dict it came from; lists of dicts share one column set (every scalar key seen in the
 * list, sorted, empty where missing); nested lists and dicts follow, each on their own lines.
 */
final class TextOutput {
  private TextOutput() {}

  static void format(JsonNode v, StringBuilder out) {
    format(v, out, null, null);
  }

  private static void format(JsonNode item, StringBuilder out, String identifier,
      List<String> scalarKeys) {
    if (item != null && item.isObject()) {
      formatDict(scalarKeys, item, identifier, out);
    } else if (item != null && item.isArray()) {
      formatList(item, identifier, out);
    } else {
      out.append(PyValues.str(item)).append('\n');
    }
  }

  private static boolean container(JsonNode n) {
    return n.isObject() || n.isArray();
  }

  private static void formatList(JsonNode list, String identifier, StringBuilder out) {
    if (list.isEmpty()) {
      return;
    }
    boolean anyDict = false;
    boolean anyList = false;
    for (JsonNode e : list) {
      anyDict |= e.isObject();
      anyList |= e.isArray();
    }
    if (anyDict) {
      TreeSet<String> keys = new TreeSet<>();
      for (JsonNode e : list) {
        if (e.isObject()) {
          e.fields().forEachRemaining(f -> {
            if (!container(f.getValue())) {
              keys.add(f.getKey());
            }
          });
        }
      }
      List<String> all = new ArrayList<>(keys);
      for (JsonNode e : list) {
        format(e, out, identifier, all);
      }
    } else if (anyList) {
      List<JsonNode> scalars = new ArrayList<>();
      List<JsonNode> others = new ArrayList<>();
      list.forEach(e -> (container(e) ? others : scalars).add(e));
      if (!scalars.isEmpty()) {
        scalarList(scalars, identifier, out);
      }
      for (JsonNode o : others) {
        format(o, out, identifier, null);
      }
    } else {
      List<JsonNode> scalars = new ArrayList<>();
      list.forEach(scalars::add);
      scalarList(scalars, identifier, out);
    }
  }

  private static void scalarList(List<JsonNode> elements, String identifier, StringBuilder out) {
    if (identifier != null) {
      for (JsonNode e : elements) {
        out.append(identifier.toUpperCase(java.util.Locale.ROOT)).append('\t')
            .append(PyValues.str(e)).append('\n');
      }
    } else {
      List<String> s = new ArrayList<>();
      elements.forEach(e -> s.add(PyValues.str(e)));
      out.append(String.join("\t", s)).append('\n');
    }
  }

  private static void formatDict(List<String> scalarKeys, JsonNode dict, String identifier,
      StringBuilder out) {
    List<String> scalars = new ArrayList<>();
    TreeMap<String, JsonNode> nonScalars = new TreeMap<>();
    if (scalarKeys == null) {
      TreeMap<String, JsonNode> sorted = new TreeMap<>();
      dict.fields().forEachRemaining(f -> sorted.put(f.getKey(), f.getValue()));
      for (Map.Entry<String, JsonNode> f : sorted.entrySet()) {
        if (container(f.getValue())) {
          nonScalars.put(f.getKey(), f.getValue());
        } else {
          scalars.add(PyValues.str(f.getValue()));
        }
      }
    } else {
      for (String k : scalarKeys) {
        scalars.add(dict.has(k) ? PyValues.str(dict.get(k)) : "");
      }
      for (Iterator<Map.Entry<String, JsonNode>> it = dict.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> f = it.next();
        if (!scalarKeys.contains(f.getKey())) {
          nonScalars.put(f.getKey(), f.getValue());
        }
      }
    }
    if (!scalars.isEmpty()) {
      if (identifier != null) {
        scalars.add(0, identifier.toUpperCase(java.util.Locale.ROOT));
      }
      out.append(String.join("\t", scalars)).append('\n');
    }
    for (Map.Entry<String, JsonNode> e : nonScalars.entrySet()) {
      format(e.getValue(), out, e.getKey(), null);
    }
  }
}
