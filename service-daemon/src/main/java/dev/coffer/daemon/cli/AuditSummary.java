package dev.coffer.daemon.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.coffer.daemon.cli.output.TableOutput;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code coffer audit lookup}'s default output: one line per record with the time, the
 * principal, the operation, the key and the result (OK or the AWS error code), in columns
 * padded to the widest value, so an operator can read who did what to which key at a glance.
 */
final class AuditSummary {
  private AuditSummary() {}

  private static final List<String> HEADERS =
      List.of("TIME", "PRINCIPAL", "OPERATION", "KEY", "RESULT");

  static String table(Iterable<JsonNode> records) {
    return table(records, null);
  }

  /**
   * As {@link #table(Iterable)}, with a first column NODE naming the node of each record (the
   * same index in {@code nodes}) when {@code nodes} is not null: lookup over several nodes.
   */
  static String table(Iterable<JsonNode> records, List<String> nodes) {
    List<List<String>> rows = new ArrayList<>();
    rows.add(HEADERS);
    for (JsonNode r : records) {
      rows.add(List.of(r.path("eventTime").asText(), principal(r.path("userIdentity")),
          r.path("eventName").asText(), key(r), r.hasNonNull("errorCode")
              ? r.get("errorCode").asText() : "OK"));
    }
    if (nodes != null) {
      for (int i = 0; i < rows.size(); i++) {
        List<String> row = new ArrayList<>();
        row.add(i == 0 ? "NODE" : nodes.get(i - 1));
        row.addAll(rows.get(i));
        rows.set(i, row);
      }
    }
    int[] widths = new int[rows.get(0).size()];
    for (List<String> row : rows) {
      for (int i = 0; i < row.size(); i++) {
        widths[i] = Math.max(widths[i], TableOutput.length(row.get(i)));
      }
    }
    StringBuilder b = new StringBuilder();
    for (List<String> row : rows) {
      StringBuilder line = new StringBuilder();
      for (int i = 0; i < row.size(); i++) {
        line.append(row.get(i));
        if (i < row.size() - 1) {
          line.append(" ".repeat(widths[i] - TableOutput.length(row.get(i)) + 2));
        }
      }
      b.append(line).append('\n');
    }
    return b.toString();
  }

  private static String principal(JsonNode id) {
    if (id.hasNonNull("userName")) {
      return id.get("userName").asText();
    }
    return id.path("arn").asText("-");
  }

  /** The key the record is about: its resource ARN's key id, else the request's key id. */
  private static String key(JsonNode r) {
    JsonNode resources = r.path("resources");
    if (resources.isArray() && !resources.isEmpty()) {
      String arn = resources.get(0).path("ARN").asText();
      int slash = arn.lastIndexOf("key/");
      return slash >= 0 ? arn.substring(slash + 4) : arn;
    }
    JsonNode p = r.path("requestParameters");
    for (String f : List.of("keyId", "targetKeyId", "destinationKeyId", "aliasName")) {
      if (p.hasNonNull(f)) {
        return p.get(f).asText();
      }
    }
    return "-";
  }
}
