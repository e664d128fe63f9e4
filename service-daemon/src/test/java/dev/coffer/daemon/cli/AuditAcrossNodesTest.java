package dev.coffer.daemon.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.coffer.daemon.TestDaemon;
import dev.coffer.protocol.Json;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code coffer audit verify} and {@code lookup} over two nodes' logs: two real daemons, each
 * with its own home, signing key and chain (docs/cluster.md, "Audit").
 */
class AuditAcrossNodesTest {

  private TestDaemon a;
  private TestDaemon b;

  record Run(int code, String out, String err) {}

  @BeforeEach
  void start() throws Exception {
    a = new TestDaemon();
    b = new TestDaemon();
    Files.writeString(a.home.resolve("node-id"), "node-aaaa\n");
    Files.writeString(b.home.resolve("node-id"), "node-bbbb\n");
  }

  @AfterEach
  void stop() throws Exception {
    a.close();
    b.close();
  }

  private static Run coffer(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = new CofferCli(new PrintWriter(out, true), new PrintWriter(err, true)).run(args);
    return new Run(code, out.toString(), err.toString());
  }

  /** A on the minute, B a minute later, A again: the merged order interleaves the nodes. */
  private List<String> createInterleaved() {
    a.clock.advance(Duration.ofMinutes(1));
    b.clock.advance(Duration.ofMinutes(2));
    String a1 = a.createKey();
    String b1 = b.createKey();
    a.clock.advance(Duration.ofMinutes(2));
    String a2 = a.createKey();
    return List.of(a1, b1, a2);
  }

  @Test
  void verify_twoGoodLogs_reportsEachNodeAndATotal() {
    createInterleaved();
    Run r = coffer("audit", "verify", "--home", a.home.toString(), "--home", b.home.toString());
    assertEquals(0, r.code(), r.err());
    List<String> lines = r.out().lines().toList();
    assertEquals(3, lines.size(), r.out());
    assertTrue(lines.get(0).startsWith("node-aaaa (" + a.home.resolve("audit") + "): OK: "),
        r.out());
    assertTrue(lines.get(1).startsWith("node-bbbb (" + b.home.resolve("audit") + "): OK: "),
        r.out());
    assertTrue(lines.get(2).startsWith("OK: 2 node(s), 2 log file(s), "), r.out());
  }

  @Test
  void verify_tamperedRecordInOneLog_failsNamingThatNodeAndTheRecord() throws Exception {
    createInterleaved();
    Path file;
    try (var files = Files.list(b.home.resolve("audit"))) {
      file = files.filter(f -> f.getFileName().toString().endsWith(".jsonl")).findFirst()
          .orElseThrow();
    }
    String log = Files.readString(file);
    Files.writeString(file, log.replaceFirst("\"eventName\":\"CreateKey\"",
        "\"eventName\":\"DescribeKey\""));
    Run r = coffer("audit", "verify", "--home", a.home.toString(), "--home", b.home.toString());
    assertEquals(1, r.code(), r.out());
    assertTrue(r.out().startsWith("node-aaaa (" + a.home.resolve("audit") + "): OK: "),
        r.out());
    List<String> errs = r.err().lines().toList();
    assertTrue(errs.get(0).startsWith("node-bbbb (" + b.home.resolve("audit") + "): FAILED: "),
        r.err());
    assertTrue(errs.get(0).contains(file.getFileName().toString()), r.err());
    assertTrue(errs.get(1).startsWith("FAILED: 1 of 2 node(s): node-bbbb ("), r.err());
  }

  @Test
  void verify_pinnedKeys_eachLogMustBeSignedWithOneOfThem() throws Exception {
    createInterleaved();
    Path pinA = Files.createTempFile(Path.of("/tmp"), "pin", ".pem");
    try {
      Files.copy(a.home.resolve("audit/signing-public.pem"), pinA,
          java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      Run both = coffer("audit", "verify", "--home", a.home.toString(), "--home",
          b.home.toString(), "--public-key", pinA.toString(), "--public-key",
          b.home.resolve("audit/signing-public.pem").toString());
      assertEquals(0, both.code(), both.err());
      Run onlyA = coffer("audit", "verify", "--dir", b.home.resolve("audit").toString(),
          "--home", a.home.toString(), "--public-key", pinA.toString());
      assertEquals(1, onlyA.code(), onlyA.out());
      // the order given is kept, and B's key is not pinned: B (--dir, labelled by its path) fails
      assertTrue(onlyA.err().startsWith(b.home.resolve("audit") + ": FAILED: its signing key is"
          + " none of the 1 pinned"), onlyA.err());
      assertTrue(onlyA.out().startsWith("node-aaaa ("), onlyA.out());
    } finally {
      Files.delete(pinA);
    }
  }

  @Test
  void sameLogGivenTwice_isDetected_byDirectoryAndByCopy() throws Exception {
    createInterleaved();
    Run twice = coffer("audit", "verify", "--home", a.home.toString(), "--dir",
        a.home.resolve("audit").toString());
    assertEquals(1, twice.code(), twice.out());
    assertTrue(twice.err().startsWith("FAILED: node-aaaa (") && twice.err().contains(
        "are the same log (the same directory)"), twice.err());
    Path copy = Files.createTempDirectory(Path.of("/tmp"), "cpy");
    try {
      try (var files = Files.list(a.home.resolve("audit"))) {
        for (Path f : files.filter(Files::isRegularFile).toList()) {
          Files.copy(f, copy.resolve(f.getFileName()));
        }
      }
      Run copied = coffer("audit", "lookup", "--home", a.home.toString(), "--dir",
          copy.toString());
      assertEquals(252, copied.code(), copied.out());
      assertTrue(copied.err().contains("are the same log (both start at record hash "),
          copied.err());
    } finally {
      try (var files = Files.list(copy)) {
        for (Path f : files.toList()) {
          Files.delete(f);
        }
      }
      Files.delete(copy);
    }
  }

  @Test
  void lookup_mergesBothNodesInTimeOrder_labelledByNode() {
    List<String> keys = createInterleaved();
    String[] both = {"--home", a.home.toString(), "--home", b.home.toString()};
    Run jsonl = coffer(concat(new String[] {"audit", "lookup", "--event-name", "CreateKey",
        "--output", "jsonl"}, both));
    assertEquals(0, jsonl.code(), jsonl.err());
    List<String> lines = jsonl.out().lines().toList();
    assertEquals(3, lines.size(), jsonl.out());
    List<String> nodes = List.of("node-aaaa", "node-bbbb", "node-aaaa");
    for (int i = 0; i < 3; i++) {
      JsonNode n = Json.parseObject(lines.get(i).getBytes(StandardCharsets.UTF_8));
      assertEquals(nodes.get(i), n.get("node").asText(), jsonl.out());
      assertTrue(n.get("record").get("responseElements").toString().contains(keys.get(i)),
          jsonl.out());
    }
    Run json = coffer(concat(new String[] {"audit", "lookup", "--event-name", "CreateKey",
        "--output", "json"}, both));
    JsonNode doc = Json.parseObject(json.out().getBytes(StandardCharsets.UTF_8));
    assertEquals(3, doc.get("Records").size(), json.out());
    assertEquals("[\"node-aaaa\",\"node-bbbb\",\"node-aaaa\"]", doc.get("RecordNodes").toString());
    assertTrue(doc.get("Records").get(1).has("eventVersion"), json.out());
    Run table = coffer(concat(new String[] {"audit", "lookup", "--event-name", "CreateKey"},
        both));
    List<String> rows = table.out().lines().toList();
    assertTrue(rows.get(0).matches("NODE +TIME +PRINCIPAL +OPERATION +KEY +RESULT"), table.out());
    assertTrue(rows.get(2).startsWith("node-bbbb ") && rows.get(2).contains(keys.get(1)),
        table.out());
    // Filters apply to every node: B's key is found only in B's log.
    Run one = coffer(concat(new String[] {"audit", "lookup", "--key-id", keys.get(1),
        "--output", "jsonl"}, both));
    assertTrue(one.out().lines().allMatch(l -> l.startsWith("{\"node\":\"node-bbbb\"")),
        one.out());
  }

  @Test
  void singleSource_outputUnchanged_andEndTimeAloneWorks() throws Exception {
    createInterleaved();
    Run jsonl = coffer("audit", "lookup", "--home", a.home.toString(), "--output", "jsonl");
    TreeMap<Long, Path> files = new TreeMap<>();
    try (var s = Files.list(a.home.resolve("audit"))) {
      s.filter(f -> f.getFileName().toString().endsWith(".jsonl")).forEach(
          f -> files.put((long) files.size(), f));
    }
    StringBuilder raw = new StringBuilder();
    for (Map.Entry<Long, Path> f : files.entrySet()) {
      raw.append(Files.readString(f.getValue()));
    }
    assertEquals(raw.toString(), jsonl.out());
    Run verify = coffer("audit", "verify", "--home", a.home.toString());
    assertTrue(verify.out().startsWith("OK: 1 log file(s), "), verify.out());
    Run before = coffer("audit", "lookup", "--home", a.home.toString(), "--end-time",
        "2026-01-01T00:02:00Z", "--event-name", "CreateKey", "--output", "jsonl");
    assertEquals(0, before.code(), before.err());
    assertEquals(1, before.out().lines().count(), before.out());
    Run bad = coffer("audit", "lookup", "--home", a.home.toString(), "--end-time", "tomorrow");
    assertEquals(252, bad.code());
    assertTrue(bad.err().startsWith("coffer audit lookup: --end-time 'tomorrow' is not a time;"),
        bad.err());
    Run backwards = coffer("audit", "lookup", "--home", a.home.toString(), "--start-time",
        "2026-01-02", "--end-time", "2026-01-01");
    assertEquals(252, backwards.code());
    assertTrue(backwards.err().contains("is not after --start-time"), backwards.err());
  }

  private static String[] concat(String[] x, String[] y) {
    String[] all = java.util.Arrays.copyOf(x, x.length + y.length);
    System.arraycopy(y, 0, all, x.length, y.length);
    return all;
  }
}
