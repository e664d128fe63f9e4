package dev.coffer.daemon.audit;

import dev.coffer.protocol.Json;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * One node's audit log given to {@code coffer audit verify} or {@code lookup}: a live log
 * ({@code --home DIR}, files in {@code DIR/audit}) or an archive directory ({@code --dir DIR}).
 * In a cluster each node keeps its own chain with its own signing key (docs/cluster.md, "Audit"),
 * so every source is checked and searched on its own and labelled by the node it came from.
 *
 * @param node the node id from {@code $COFFER_HOME/node-id} (one line), else the directory path
 * @param dir the directory holding the log files
 * @param archive true for an archive directory ({@code --dir})
 */
public record AuditSource(String node, Path dir, boolean archive) {

  /** The file naming a node, one line, written by the daemon on its first start. */
  public static final String NODE_ID_FILE = "node-id";

  /** The live log of the daemon whose home is {@code home}, labelled by its node id. */
  public static AuditSource ofHome(Path home) throws IOException {
    String node = home.toString();
    Path id = home.resolve(NODE_ID_FILE);
    if (Files.isRegularFile(id)) {
      String line = Files.readAllLines(id, StandardCharsets.UTF_8).stream().findFirst()
          .orElse("").strip();
      if (!line.isEmpty()) {
        node = line;
      }
    }
    return new AuditSource(node, home.resolve("audit"), false);
  }

  /** An archive directory, labelled by its path (an archive does not name its node). */
  public static AuditSource ofDir(Path dir) {
    return new AuditSource(dir.toString(), dir, true);
  }

  /**
   * The hash of the first record of the oldest file: where this copy of a chain starts. Every
   * record's hash covers its random event id, so two logs share it only when they are the same
   * log (or copies of it) given twice. Null when there is no record.
   */
  public String chainStart() throws IOException {
    Map.Entry<Long, Path> first = AuditFiles.logFiles(dir).firstEntry();
    if (first == null) {
      return null;
    }
    try (BufferedReader r = Files.newBufferedReader(first.getValue(), StandardCharsets.UTF_8)) {
      String line = r.readLine();
      if (line == null) {
        return null;
      }
      try {
        String hash = Json.parseObject(line.getBytes(StandardCharsets.UTF_8)).path("hash")
            .asText("");
        return hash.isEmpty() ? null : hash;
      } catch (RuntimeException notJson) {
        return null; // the verifier reports the damaged line
      }
    } catch (java.nio.file.NoSuchFileException archived) {
      return null;
    }
  }

  /**
   * The first pair of sources that are the same log given twice (the same directory, or two
   * copies that start at the same record), as a sentence naming both, or null if there is none.
   */
  public static String sameLogGivenTwice(List<AuditSource> sources) throws IOException {
    String[] starts = new String[sources.size()];
    for (int i = 0; i < sources.size(); i++) {
      starts[i] = sources.get(i).chainStart();
    }
    for (int i = 0; i < sources.size(); i++) {
      for (int j = i + 1; j < sources.size(); j++) {
        AuditSource a = sources.get(i);
        AuditSource b = sources.get(j);
        boolean sameDir = Files.exists(a.dir()) && Files.exists(b.dir())
            && Files.isSameFile(a.dir(), b.dir());
        if (sameDir || (starts[i] != null && starts[i].equals(starts[j]))) {
          return a.describe() + " and " + b.describe() + " are the same log ("
              + (sameDir ? "the same directory" : "both start at record hash " + starts[i])
              + "); give each node's log once";
        }
      }
    }
    return null;
  }

  /** The node id, and the directory when the id is not the path itself. */
  public String describe() {
    return node.equals(dir.toString()) ? node : node + " (" + dir + ")";
  }
}
