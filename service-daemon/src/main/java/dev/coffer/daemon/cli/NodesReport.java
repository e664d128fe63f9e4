package dev.coffer.daemon.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.daemon.audit.AuditLookup;
import dev.coffer.daemon.audit.AuditSource;
import dev.coffer.daemon.audit.AuditVerifier;
import dev.coffer.daemon.cli.output.CliOutput;
import dev.coffer.protocol.Json;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code coffer audit verify} and {@code lookup} over several nodes' logs (docs/cluster.md,
 * "Audit"). Each node of a cluster signs its own chain with its own key, so each log is verified
 * on its own and reported per node; lookup merges the nodes' records by time and labels each
 * with its node, leaving the CloudTrail record itself as written.
 */
final class NodesReport {
  private NodesReport() {}

  /**
   * Verifies each source, prints one line per node ({@code <node>: OK: ...} to {@code out},
   * {@code <node>: FAILED: ...} to {@code err}) and a total; returns whether all verified.
   *
   * @param pinned the pinned public keys; each log must be signed with one of them (chosen by
   *     the fingerprint of the key beside it); empty: each log's own key
   */
  static boolean verify(List<AuditSource> sources, List<Path> pinned, PrintWriter out,
      PrintWriter err) throws IOException {
    List<PublicKey> keys = new ArrayList<>();
    for (Path p : pinned) {
      keys.add(AuditVerifier.readKey(p));
    }
    List<String> failed = new ArrayList<>();
    long files = 0;
    long records = 0;
    long digests = 0;
    long unsigned = 0;
    for (AuditSource s : sources) {
      AuditVerifier.Result r;
      PublicKey key = keys.isEmpty() ? null : pinnedKeyOf(s, keys);
      if (!keys.isEmpty() && key == null) {
        r = new AuditVerifier.Result("its signing key is none of the " + keys.size()
            + " pinned --public-key key(s)", 0, 0, 0, 0, "?", null);
      } else {
        r = s.archive() ? AuditVerifier.verifyArchive(s.dir(), key)
            : AuditVerifier.verify(s.dir(), key);
      }
      (r.ok() ? out : err).println(s.describe() + ": " + r.summary());
      if (r.ok()) {
        files += r.logFiles();
        records += r.records();
        digests += r.digests();
        unsigned += r.unsignedRecords();
      } else {
        failed.add(s.node() + " (" + r.problem() + ")");
      }
    }
    if (failed.isEmpty()) {
      out.println("OK: " + sources.size() + " node(s), " + files + " log file(s), " + records
          + " record(s), " + digests + " signed digest(s) verified" + (unsigned > 0 ? "; "
          + unsigned + " newest record(s) chained but not yet covered by a digest" : ""));
      return true;
    }
    err.println("FAILED: " + failed.size() + " of " + sources.size() + " node(s): "
        + String.join("; ", failed));
    return false;
  }

  /** The pinned key with the fingerprint of the public key beside the log, or null. */
  private static PublicKey pinnedKeyOf(AuditSource s, List<PublicKey> keys) throws IOException {
    Path pem = s.dir().resolve("signing-public.pem");
    if (!Files.exists(pem)) {
      return keys.size() == 1 ? keys.get(0) : null; // one pinned key: the verifier decides
    }
    String fp = AuditVerifier.fingerprint(AuditVerifier.readKey(pem));
    for (PublicKey k : keys) {
      if (AuditVerifier.fingerprint(k).equals(fp)) {
        return k;
      }
    }
    return null;
  }

  /**
   * Prints the merged records: {@code --output jsonl} one {@code {"node": ..., "record": ...}}
   * line per record (the record's bytes as written); the default table with a NODE column;
   * else {@code {"Records": [...], "RecordNodes": [...]}}: the CloudTrail records unchanged and,
   * at the same index, the node each came from.
   */
  static int lookup(AuditLookup q, List<AuditSource> sources, GlobalOptions globals,
      PrintWriter out, PrintWriter err) throws IOException {
    String format = globals.value("--output");
    if ("jsonl".equals(format)) {
      q.run(sources, (s, line) -> out.println("{\"node\":" + Json.MAPPER.valueToTree(s.node())
          + ",\"record\":" + line + "}"));
      out.flush();
      return 0;
    }
    CliOutput output;
    try {
      output = AuditCommands.structuredOutput(globals);
    } catch (IllegalArgumentException e) {
      err.println("coffer audit lookup: " + e.getMessage() + "; or 'jsonl' for raw lines");
      return CofferCli.EXIT_USAGE;
    }
    ArrayNode records = Json.MAPPER.createArrayNode();
    ArrayNode nodes = Json.MAPPER.createArrayNode();
    q.run(sources, (s, line) -> {
      records.add(Json.parseObject(line.getBytes(StandardCharsets.UTF_8)));
      nodes.add(s.node());
    });
    if (output != null) {
      ObjectNode all = Json.object();
      all.set("Records", records);
      all.set("RecordNodes", nodes);
      out.print(output.render("LookupEvents", all));
    } else {
      List<String> labels = new ArrayList<>();
      for (JsonNode n : nodes) {
        labels.add(n.asText());
      }
      out.print(AuditSummary.table(records, labels));
    }
    out.flush();
    return 0;
  }
}
