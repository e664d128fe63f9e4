package dev.coffer.daemon.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.daemon.TestDaemon;
import dev.coffer.daemon.config.AuditSettings;
import dev.coffer.protocol.Json;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * {@code audit-retention-days} in a real daemon on a real socket, with a clock the test moves:
 * the maintenance pass deletes only the closed files sealed longer ago than the retention,
 * never the open one, records it once, and the log still verifies and serves lookups.
 */
class AuditRetentionDaemonTest {

  private static void tag(TestDaemon d, String key, int i) {
    ObjectNode in = Json.object().put("KeyId", key);
    in.putArray("Tags").addObject().put("TagKey", "n").put("TagValue", "v" + i);
    d.call("TagResource", in);
  }

  private static List<ObjectNode> lookup(Path dir, String eventName) throws Exception {
    List<ObjectNode> out = new ArrayList<>();
    new AuditLookup(null, eventName, null, null, null).run(dir,
        l -> out.add(Json.parseObject(l.getBytes(StandardCharsets.UTF_8))));
    return out;
  }

  @Test
  void retention_deletesOnlyClosedFilesPastIt_openFileKept_verifiesAcrossRestart()
      throws Exception {
    try (TestDaemon d = new TestDaemon(c -> c.withAudit(
        new AuditSettings(Duration.ofDays(30), 4096)))) {
      Path dir = d.home.resolve("audit");
      String key = d.createKey();
      for (int i = 0; i < 30; i++) {
        tag(d, key, i);
      }
      int old = AuditFiles.logFiles(dir).size();
      assertTrue(old >= 4, "want several files, got " + old);
      d.daemon.runMaintenance();
      assertEquals(old, AuditFiles.logFiles(dir).size(), "nothing is 30 days old yet");

      d.clock.advance(Duration.ofDays(31));
      for (int i = 30; i < 40; i++) {
        tag(d, key, i); // rotates too: these files were sealed now, inside the retention
      }
      TreeMap<Long, Path> before = AuditFiles.logFiles(dir);
      d.daemon.runMaintenance();
      TreeMap<Long, Path> after = AuditFiles.logFiles(dir);
      // The files sealed before the clock moved went; the later ones and the open one stay.
      assertEquals(before.tailMap((long) old, true).keySet(), after.keySet());
      AuditVerifier.Result v = AuditVerifier.verify(dir, null);
      assertTrue(v.ok(), v.summary());
      assertTrue(v.summary().contains("starts after signed archive point 1"), v.summary());

      // The daemon still answers, and its lookup still finds what remains.
      tag(d, key, 99);
      List<ObjectNode> tags = lookup(dir, "TagResource");
      assertTrue(tags.stream().anyMatch(r -> r.toString().contains("\"v99\"")));
      assertTrue(tags.stream().noneMatch(r -> r.toString().contains("\"v0\"")));

      d.restart();
      d.daemon.runMaintenance();
      v = AuditVerifier.verify(dir, null);
      assertTrue(v.ok(), v.summary());
      List<ObjectNode> expired = lookup(dir, "AuditLogExpired");
      assertEquals(1, expired.size(), "recorded exactly once, across passes and a restart");
      assertEquals("audit-retention-days=30",
          expired.get(0).at("/requestParameters/by/reason").asText());
    }
  }
}
