package dev.coffer.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.conformance.DaemonProcess.CliResult;
import dev.coffer.protocol.DaemonClient;
import dev.coffer.protocol.Json;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Several clients make management calls (CreateKey, CreateAlias, DisableKey,
 * ScheduleKeyDeletion) while the daemon process is killed with SIGKILL, five times. Afterwards
 * every acknowledged change is there, every change that is there (acknowledged or not) has its
 * audit record, no record is written twice, and {@code coffer audit verify} passes.
 */
class AuditCrashTest {

  private static final int CLIENTS = 4;
  private static final int ROUNDS = 5;

  @Test
  void repeatedKill9_everyAppliedManagementChangeAudited_verifyPasses() throws Exception {
    try (DaemonProcess daemon = DaemonProcess.start()) {
      Map<String, String> keys = new ConcurrentHashMap<>(); // key id -> states allowed, a|b
      Map<String, String> aliases = new ConcurrentHashMap<>(); // alias -> key id
      AtomicInteger acknowledged = new AtomicInteger();
      for (int round = 0; round < ROUNDS; round++) {
        AtomicBoolean stop = new AtomicBoolean();
        List<Thread> clients = new ArrayList<>();
        for (int w = 0; w < CLIENTS; w++) {
          String prefix = "alias/crash-r" + round + "-c" + w + "-";
          Thread t = new Thread(() -> work(daemon, prefix, stop, keys, aliases, acknowledged));
          t.start();
          clients.add(t);
        }
        Thread.sleep(1200 + round * 250L);
        daemon.kill9();
        stop.set(true);
        for (Thread t : clients) {
          t.join(30_000);
        }
        daemon.launch();
      }
      assertTrue(acknowledged.get() > 40, "too few calls to mean anything: " + acknowledged);

      try (DaemonClient c = new DaemonClient(daemon.socket(), 1, Duration.ofSeconds(20))) {
        // Every acknowledged change is there.
        for (Map.Entry<String, String> k : keys.entrySet()) {
          String state = describe(c, k.getKey());
          assertTrue(List.of(k.getValue().split("\\|")).contains(state),
              "key " + k.getKey() + " is " + state + ", expected " + k.getValue());
        }
        for (Map.Entry<String, String> a : aliases.entrySet()) {
          assertEquals(a.getValue(), c.call("DescribeKey", Json.object().put("KeyId", a.getKey()))
              .get("KeyMetadata").get("KeyId").asText(), a.getKey());
        }

        // Every change that is there, acknowledged or not, is in the audit log.
        Map<String, List<ObjectNode>> log = auditRecords(daemon.home().resolve("audit"));
        Set<String> eventIds = new HashSet<>();
        log.values().forEach(rs -> rs.forEach(r ->
            assertTrue(eventIds.add(r.get("eventID").asText()), "recorded twice: " + r)));
        for (JsonNode k : page(c, "ListKeys", "Keys", 1000)) {
          String id = k.get("KeyId").asText();
          assertAudited(log, "CreateKey", id, null);
          String state = describe(c, id);
          if (state.equals("Disabled")) {
            assertAudited(log, "DisableKey", id, null);
          } else if (state.equals("PendingDeletion")) {
            assertAudited(log, "ScheduleKeyDeletion", id, null);
          }
        }
        for (JsonNode a : page(c, "ListAliases", "Aliases", 100)) {
          String name = a.get("AliasName").asText();
          if (name.startsWith("alias/crash-")) {
            assertAudited(log, "CreateAlias", null, name);
          }
        }
      }
      CliResult verify = daemon.cli("audit", "verify", "--home", daemon.home().toString());
      assertEquals(0, verify.exitCode(), verify.stdout() + verify.stderr());
      assertTrue(verify.stdout().startsWith("OK: "), verify.stdout());
    }
  }

  /** One client's stream of management calls until the daemon dies under it. */
  private static void work(DaemonProcess daemon, String prefix, AtomicBoolean stop,
      Map<String, String> keys, Map<String, String> aliases, AtomicInteger acknowledged) {
    try (DaemonClient c = new DaemonClient(daemon.socket(), 1, Duration.ofSeconds(20))) {
      for (int i = 0; !stop.get(); i++) {
        String id = c.call("CreateKey", Json.object().put("Description", prefix + i))
            .get("KeyMetadata").get("KeyId").asText();
        keys.put(id, "Enabled");
        acknowledged.incrementAndGet();
        String alias = prefix + i;
        c.call("CreateAlias", Json.object().put("AliasName", alias).put("TargetKeyId", id));
        aliases.put(alias, id);
        acknowledged.incrementAndGet();
        if (i % 2 == 0) {
          // Until the daemon answers, either outcome is legitimate after a crash.
          keys.put(id, "Enabled|Disabled");
          c.call("DisableKey", Json.object().put("KeyId", id));
          keys.put(id, "Disabled");
          acknowledged.incrementAndGet();
        }
        if (i % 3 == 0) {
          String before = keys.get(id);
          keys.put(id, before + "|PendingDeletion");
          c.call("ScheduleKeyDeletion", Json.object().put("KeyId", id)
              .put("PendingWindowInDays", 7));
          keys.put(id, "PendingDeletion");
          acknowledged.incrementAndGet();
        }
      }
    } catch (RuntimeException diedUnderTheCall) {
      // the daemon was killed under this request: its outcome is unknown
    }
  }

  private static String describe(DaemonClient c, String keyId) {
    return c.call("DescribeKey", Json.object().put("KeyId", keyId)).get("KeyMetadata")
        .get("KeyState").asText();
  }

  private static List<JsonNode> page(DaemonClient c, String op, String field, int limit) {
    List<JsonNode> out = new ArrayList<>();
    String marker = null;
    do {
      ObjectNode in = Json.object().put("Limit", limit);
      if (marker != null) {
        in.put("Marker", marker);
      }
      ObjectNode page = c.call(op, in);
      page.get(field).forEach(out::add);
      marker = page.path("Truncated").asBoolean() ? page.get("NextMarker").asText() : null;
    } while (marker != null);
    return out;
  }

  /** Every record in the log files, by event name. */
  private static Map<String, List<ObjectNode>> auditRecords(Path dir) throws Exception {
    Map<String, List<ObjectNode>> out = new HashMap<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".jsonl"))::iterator) {
        for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
          if (line.isEmpty()) {
            continue;
          }
          ObjectNode r = Json.parseObject(line.getBytes(StandardCharsets.UTF_8));
          out.computeIfAbsent(r.get("eventName").asText(), n -> new ArrayList<>()).add(r);
        }
      }
    }
    return out;
  }

  /** A successful record of {@code event} naming the key (in its resources) or the alias. */
  private static void assertAudited(Map<String, List<ObjectNode>> log, String event,
      String keyId, String aliasName) {
    for (ObjectNode r : log.getOrDefault(event, List.of())) {
      if (r.has("errorCode")) {
        continue;
      }
      if (keyId != null) {
        for (JsonNode res : r.path("resources")) {
          if (res.path("ARN").asText().endsWith("key/" + keyId)) {
            return;
          }
        }
      } else if (aliasName.equals(r.path("requestParameters").path("AliasName").asText())) {
        return;
      }
    }
    throw new AssertionError(event + " of " + (keyId != null ? keyId : aliasName)
        + " was applied but has no audit record");
  }
}
