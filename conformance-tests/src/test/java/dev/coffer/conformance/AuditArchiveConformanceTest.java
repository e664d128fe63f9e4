package dev.coffer.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.conformance.DaemonProcess.CliResult;
import dev.coffer.protocol.DaemonClient;
import dev.coffer.protocol.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Archiving with real processes: a daemon whose workload spans many small log files ({@code
 * audit-max-file-bytes=4096}), {@code coffer audit archive} while it runs, then {@code coffer
 * audit verify} of the live log and of the archive on their own, lookups on both, a {@code kill
 * -9} after it, and each kind of tampering reported by the CLI with its message.
 */
class AuditArchiveConformanceTest {

  private static final Map<String, String> SMALL_FILES = Map.of(
      "audit-max-file-bytes", "4096", "deletion-check-seconds", "1");

  private static void tag(DaemonClient c, String key, String value) {
    ObjectNode in = Json.object().put("KeyId", key);
    in.putArray("Tags").addObject().put("TagKey", "n").put("TagValue", value);
    c.call("TagResource", in);
  }

  private static List<Path> sorted(Path dir, String suffix) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> p.getFileName().toString().endsWith(suffix)).sorted().toList();
    }
  }

  /** A copy of {@code from} at {@code to}, to tamper with while the original stays intact. */
  private static Path copy(Path from, Path to) throws IOException {
    try (Stream<Path> s = Files.walk(from)) {
      for (Path p : s.toList()) {
        Path t = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(t);
        } else {
          Files.copy(p, t);
        }
      }
    }
    return to;
  }

  private static void assertFails(CliResult r, String prefix) {
    assertEquals(1, r.exitCode(), r.stdout() + r.stderr());
    assertTrue(r.stderr().startsWith("FAILED: " + prefix), r.stderr());
  }

  @Test
  void archiveWhileRunning_liveAndArchiveVerifySeparately_tamperingReported() throws Exception {
    Path run = Files.createTempDirectory(Path.of("/tmp"), "cofar");
    Path archive = run.resolve("archive");
    try (DaemonProcess daemon = DaemonProcess.start(SMALL_FILES, run.resolve("s.sock"))) {
      Path audit = daemon.home().resolve("audit");
      CliResult created = daemon.cli("create-key", "--description", "archived");
      assertEquals(0, created.exitCode(), created.stderr());
      String key = Json.parseObject(created.stdout().getBytes(StandardCharsets.UTF_8))
          .at("/KeyMetadata/KeyId").asText();
      try (DaemonClient c = new DaemonClient(daemon.socket(), 1, Duration.ofSeconds(10))) {
        for (int i = 0; i < 40; i++) {
          tag(c, key, "early-" + i);
        }
      }
      int filesBefore = sorted(audit, ".jsonl").size();
      assertTrue(filesBefore >= 6, "want a workload over many files: " + filesBefore);

      CliResult archived = daemon.cli("audit", "archive", "--before", Instant.now().toString(),
          "--to", archive.toString());
      assertEquals(0, archived.exitCode(), archived.stdout() + archived.stderr());
      assertTrue(archived.stdout().startsWith("archived " + (filesBefore - 1) + " log file(s)"),
          archived.stdout());
      assertEquals(1, sorted(audit, ".jsonl").size(), "only the open file stays");

      try (DaemonClient c = new DaemonClient(daemon.socket(), 1, Duration.ofSeconds(10))) {
        for (int i = 0; i < 20; i++) {
          tag(c, key, "late-" + i);
        }
      }
      // The daemon records the archive on its next maintenance pass (every second here).
      String record = "";
      for (long end = System.nanoTime() + Duration.ofSeconds(20).toNanos();
          record.isEmpty() && System.nanoTime() < end; Thread.sleep(200)) {
        record = daemon.cli("audit", "lookup", "--output", "jsonl", "--event-name",
            "AuditLogArchived").stdout();
      }
      assertEquals(1, record.lines().count(), record);
      assertTrue(record.contains("\"destination\":\"" + archive + "\""), record);

      CliResult live = daemon.cli("audit", "verify");
      assertEquals(0, live.exitCode(), live.stdout() + live.stderr());
      assertTrue(live.stdout().contains("starts after signed archive point 1"), live.stdout());
      CliResult arch = daemon.cli("audit", "verify", "--dir", archive.toString());
      assertEquals(0, arch.exitCode(), arch.stdout() + arch.stderr());
      assertTrue(arch.stdout().contains("ends at signed archive point 1"), arch.stdout());

      // Lookup: the live log holds the later records, the archive the earlier ones.
      String liveTags = daemon.cli("audit", "lookup", "--output", "jsonl", "--key-id", key,
          "--event-name", "TagResource").stdout();
      String oldTags = daemon.cli("audit", "lookup", "--output", "jsonl", "--dir",
          archive.toString(), "--key-id", key, "--event-name", "TagResource").stdout();
      for (int i = 0; i < 20; i++) {
        assertTrue(liveTags.contains("\"late-" + i + "\""), "late-" + i);
      }
      for (int i = 0; i < 40; i++) {
        assertTrue(oldTags.contains("\"early-" + i + "\"") || liveTags.contains(
            "\"early-" + i + "\""), "early-" + i + " in neither");
      }
      assertFalse(liveTags.contains("\"early-0\""));

      // Archiving again into a directory holding something else is refused, nothing removed.
      Path other = Files.createDirectories(run.resolve("other"));
      Files.writeString(other.resolve(sorted(audit, ".jsonl").get(0).getFileName().toString()
          .replace("audit-0", "audit-9")), "x");
      Files.copy(sorted(archive, ".jsonl").get(0), other.resolve(sorted(archive, ".jsonl")
          .get(0).getFileName()));
      int liveFiles = sorted(audit, ".jsonl").size();
      CliResult refused = daemon.cli("audit", "archive", "--before", Instant.now().toString(),
          "--to", other.toString());
      assertEquals(1, refused.exitCode(), refused.stdout() + refused.stderr());
      assertTrue(refused.stderr().startsWith("coffer audit archive: the archive directory "),
          refused.stderr());
      assertEquals(liveFiles, sorted(audit, ".jsonl").size());

      // A crash after archiving: the chain continues from the archive point.
      daemon.kill9();
      daemon.restart();
      live = daemon.cli("audit", "verify");
      assertEquals(0, live.exitCode(), live.stdout() + live.stderr());

      // Tampering, each on its own copy.
      Path t = run.resolve("t");
      Path liveCopy = copy(audit, t.resolve("middle/audit"));
      List<Path> logs = sorted(liveCopy, ".jsonl");
      assertTrue(logs.size() >= 3, "files after the archive: " + logs);
      Files.delete(logs.get(1));
      assertFails(daemon.cli("audit", "verify", "--home", t.resolve("middle").toString()),
          "missing log file audit-");

      liveCopy = copy(audit, t.resolve("anchor/audit"));
      for (Path p : sorted(liveCopy.resolve("digests"), "")) {
        if (p.getFileName().toString().startsWith("archive-point-")) {
          Files.delete(p);
        }
      }
      assertFails(daemon.cli("audit", "verify", "--home", t.resolve("anchor").toString()),
          "missing log files: the log starts at");

      Path altered = copy(archive, t.resolve("altered"));
      Path first = sorted(altered, ".jsonl").get(0);
      Files.writeString(first, Files.readString(first).replaceFirst("archived", "innocent"));
      assertFails(daemon.cli("audit", "verify", "--dir", altered.toString()),
          "altered record: " + first.getFileName());

      Path truncated = copy(archive, t.resolve("truncated"));
      Path last = sorted(truncated, ".jsonl").get(sorted(truncated, ".jsonl").size() - 1);
      byte[] b = Files.readAllBytes(last);
      Files.write(last, java.util.Arrays.copyOf(b, b.length - 30));
      assertFails(daemon.cli("audit", "verify", "--dir", truncated.toString()), "truncated: ");

      Path noPoint = copy(archive, t.resolve("nopoint"));
      for (Path p : sorted(noPoint.resolve("digests"), "")) {
        if (p.getFileName().toString().startsWith("archive-point-")) {
          Files.delete(p);
        }
      }
      assertFails(daemon.cli("audit", "verify", "--dir", noPoint.toString()),
          "incomplete archive");
    } finally {
      DaemonProcess.deleteTree(run);
    }
  }

  @Test
  void retention_badValueRefusedAtStart_filesInsideTheRetentionKept() throws Exception {
    Path run = Files.createTempDirectory(Path.of("/tmp"), "cofrt");
    try {
      IOException bad = assertThrows(IOException.class, () -> DaemonProcess.start(
          Map.of("audit-retention-days", "0"), run.resolve("bad.sock")));
      assertTrue(bad.getMessage().contains("invalid value '0' for 'audit-retention-days'"),
          bad.getMessage());

      try (DaemonProcess daemon = DaemonProcess.start(Map.of("audit-retention-days", "1",
          "audit-max-file-bytes", "4096", "deletion-check-seconds", "1"),
          run.resolve("s.sock"))) {
        String key = Json.parseObject(daemon.cli("create-key").stdout()
            .getBytes(StandardCharsets.UTF_8)).at("/KeyMetadata/KeyId").asText();
        try (DaemonClient c = new DaemonClient(daemon.socket(), 1, Duration.ofSeconds(10))) {
          for (int i = 0; i < 20; i++) {
            tag(c, key, "kept-" + i);
          }
        }
        Path audit = daemon.home().resolve("audit");
        List<Path> files = sorted(audit, ".jsonl");
        Thread.sleep(2500); // two maintenance passes: nothing is a day old
        assertEquals(files, sorted(audit, ".jsonl"));
        assertEquals(files.get(0).getFileName().toString().substring(0, 14), "audit-00000001");
        CliResult v = daemon.cli("audit", "verify");
        assertEquals(0, v.exitCode(), v.stdout() + v.stderr());
      }
    } finally {
      DaemonProcess.deleteTree(run);
    }
  }
}
