package dev.coffer.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.conformance.DaemonProcess.CliResult;
import dev.coffer.protocol.DaemonClient;
import dev.coffer.protocol.Json;
import dev.coffer.protocol.KmsException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Usage accounting with real processes: a scripted workload (concurrent clients and the CLI,
 * successes and refusals) is counted exactly by {@code coffer get-usage}, in every output
 * format, after {@code kill -9} of the daemon right after the last answer; and a monthly limit
 * from {@code coffer.properties} refuses with {@code LimitExceededException}.
 */
class UsageConformanceTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String ME = "arn:coffer:iam::000000000000:user/"
      + System.getProperty("user.name");

  private static JsonNode ok(DaemonProcess d, String... args) throws Exception {
    CliResult r = d.cli(args);
    assertEquals(0, r.exitCode(), () -> String.join(" ", args) + ": " + r.stderr());
    return r.stdout().isBlank() ? JSON.createObjectNode() : JSON.readTree(r.stdout());
  }

  /** get-usage's rows by group value (one month: the daemon's clock is the real one). */
  private static Map<String, JsonNode> usage(DaemonProcess d, String groupBy, String field)
      throws Exception {
    Map<String, JsonNode> rows = new HashMap<>();
    for (JsonNode r : ok(d, "get-usage", "--group-by", groupBy).get("Usage")) {
      rows.put(r.get(field).asText(), r);
    }
    return rows;
  }

  private static void assertCounts(JsonNode row, long succeeded, long refused) {
    assertTrue(row != null, "no row");
    assertEquals(succeeded, row.get("Succeeded").asLong(), row.toString());
    assertEquals(refused, row.get("Refused").asLong(), row.toString());
  }

  @Test
  void scriptedWorkload_countedExactly_afterKill9() throws Exception {
    try (DaemonProcess d = DaemonProcess.start()) {
      String keyId = ok(d, "create-key").get("KeyMetadata").get("KeyId").asText();
      String arn = "arn:aws:kms:local:000000000000:key/" + keyId;
      Path in = d.home().resolve("in.txt");
      Files.writeString(in, "counted");
      ok(d, "encrypt", "--key-id", keyId, "--plaintext", "fileb://" + in);

      AtomicInteger encrypted = new AtomicInteger();
      List<byte[]> blobs = java.util.Collections.synchronizedList(new ArrayList<>());
      List<Thread> clients = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        Thread th = new Thread(() -> {
          try (DaemonClient c = new DaemonClient(d.socket(), 1, Duration.ofSeconds(20))) {
            for (int i = 0; i < 25; i++) {
              ObjectNode e = Json.object().put("KeyId", keyId)
                  .put("Plaintext", ("n" + i).getBytes(StandardCharsets.UTF_8));
              blobs.add(c.call("Encrypt", e).get("CiphertextBlob").binaryValue());
              encrypted.incrementAndGet();
            }
          } catch (Exception e) {
            throw new RuntimeException(e);
          }
        });
        th.start();
        clients.add(th);
      }
      for (Thread th : clients) {
        th.join(60_000);
      }
      assertEquals(100, encrypted.get());
      int refusals = 0;
      try (DaemonClient c = new DaemonClient(d.socket(), 1, Duration.ofSeconds(20))) {
        for (int i = 0; i < 20; i++) {
          c.call("Decrypt", Json.object().put("CiphertextBlob", blobs.get(i)));
        }
        for (int i = 0; i < 5; i++) {
          byte[] bad = blobs.get(i).clone();
          bad[bad.length - 1] ^= 1; // the header still names the key; the tag fails
          try {
            c.call("Decrypt", Json.object().put("CiphertextBlob", bad));
          } catch (KmsException e) {
            assertEquals("InvalidCiphertextException", e.errorType());
            refusals++;
          }
        }
        for (int i = 0; i < 3; i++) {
          try {
            c.call("DescribeKey", Json.object().put("KeyId", "alias/missing"));
          } catch (KmsException e) {
            assertEquals("NotFoundException", e.errorType());
            refusals++;
          }
        }
        for (int i = 0; i < 10; i++) {
          c.call("GenerateDataKey", Json.object().put("KeyId", keyId).put("KeySpec", "AES_256"));
        }
      }
      assertEquals(8, refusals);

      d.kill9(); // right after the last answer: no shutdown, no flush
      d.launch();

      Map<String, JsonNode> ops = usage(d, "operation", "Operation");
      assertCounts(ops.get("CreateKey"), 1, 0);
      assertCounts(ops.get("Encrypt"), 101, 0);
      assertCounts(ops.get("Decrypt"), 20, 5);
      assertCounts(ops.get("DescribeKey"), 0, 3);
      assertCounts(ops.get("GenerateDataKey"), 10, 0);
      assertEquals(5, ops.size(), ops.toString()); // nothing else, not even this get-usage

      Map<String, JsonNode> keys = usage(d, "key", "KeyId");
      assertCounts(keys.get(arn), 132, 5);
      assertCounts(keys.get("none"), 1, 3); // the first get-usage, the missing alias
      assertTrue(keys.get(arn).get("KeyMonths").asDouble() > 0, keys.toString());

      Map<String, JsonNode> who = usage(d, "principal", "Principal");
      assertCounts(who.get(ME), 134, 8);

      // The other output formats answer from the same counters.
      CliResult table = d.cli("get-usage", "--group-by", "operation", "--output", "table");
      assertEquals(0, table.exitCode(), table.stderr());
      assertTrue(table.stdout().contains("GenerateDataKey"), table.stdout());
      CliResult text = d.cli("get-usage", "--group-by", "operation", "--output", "text");
      assertEquals(0, text.exitCode(), text.stderr());
      assertTrue(text.stdout().lines().anyMatch(l -> l.contains("Encrypt")
          && l.contains("101")), text.stdout());
      CliResult yaml = d.cli("get-usage", "--group-by", "operation", "--output", "yaml");
      assertEquals(0, yaml.exitCode(), yaml.stderr());
      assertTrue(yaml.stdout().contains("Operation: Decrypt"), yaml.stdout());
    }
  }

  @Test
  void monthlyLimitInConfig_refusesWithLimitExceeded_andCountsTheRefusal() throws Exception {
    Path dir = Files.createTempDirectory(Path.of("/tmp"), "cofu");
    Path socket = dir.resolve("s");
    try (DaemonProcess d = DaemonProcess.start(Map.of("monthly-request-limits",
        "user/" + System.getProperty("user.name") + ":3"), socket)) {
      ok(d, "generate-random", "--number-of-bytes", "8");
      ok(d, "generate-random", "--number-of-bytes", "8");
      ok(d, "generate-random", "--number-of-bytes", "8");
      CliResult over = d.cli("generate-random", "--number-of-bytes", "8");
      assertEquals(254, over.exitCode(), over.stderr());
      assertTrue(over.stderr().contains("LimitExceededException"), over.stderr());
      d.kill9();
      d.launch();
      CliResult still = d.cli("get-usage");
      assertTrue(still.stderr().contains("LimitExceededException"), still.stderr());
    } finally {
      DaemonProcess.deleteTree(dir);
    }
  }
}
