package dev.coffer.daemon.usage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.daemon.TestDaemon;
import dev.coffer.daemon.audit.AuditLookup;
import dev.coffer.daemon.config.UsageLimits;
import dev.coffer.protocol.Json;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Usage accounting through the real socket: request counts per operation, principal and key,
 * key-months, monthly limits, and that the counts survive a restart.
 */
class UsageAccountingTest {

  private static final String ME = "arn:coffer:iam::000000000000:user/"
      + System.getProperty("user.name");
  private static final String PLAINTEXT = Base64.getEncoder().encodeToString("hi".getBytes());

  private TestDaemon d;

  @AfterEach
  void stop() throws Exception {
    if (d != null) {
      d.close();
    }
  }

  /** GetUsage's rows by month and group value. */
  private Map<String, JsonNode> usage(String groupBy, Object... more) {
    List<Object> args = new ArrayList<>(List.of("GroupBy", groupBy));
    args.addAll(List.of(more));
    ObjectNode out = d.call("GetUsage", args.toArray());
    Map<String, JsonNode> rows = new HashMap<>();
    String field = switch (groupBy) {
      case "KEY" -> "KeyId";
      case "PRINCIPAL" -> "Principal";
      default -> "Operation";
    };
    out.get("Usage").forEach(r -> rows.put(r.get("Month").asText() + " "
        + r.get(field).asText(), r));
    return rows;
  }

  private static void assertCounts(JsonNode row, long succeeded, long refused) {
    assertEquals(succeeded, row.get("Succeeded").asLong(), row.toString());
    assertEquals(refused, row.get("Refused").asLong(), row.toString());
    assertEquals(succeeded + refused, row.get("Requests").asLong(), row.toString());
  }

  @Test
  void scriptedWorkload_countedExactly_perOperationPrincipalAndKey_andAfterRestart()
      throws Exception {
    d = new TestDaemon();
    String key = d.createKey();
    String arn = "arn:aws:kms:local:000000000000:key/" + key;
    for (int i = 0; i < 5; i++) {
      d.call("Encrypt", "KeyId", key, "Plaintext", PLAINTEXT);
    }
    d.call("DisableKey", "KeyId", key);
    d.fails("DisabledException", "Encrypt", "KeyId", key, "Plaintext", PLAINTEXT);
    d.fails("NotFoundException", "DescribeKey", "KeyId", "alias/none");
    d.fails("UnknownOperationException", "NoSuchOperation");
    for (int restart = 0; restart < 2; restart++) {
      Map<String, JsonNode> ops = usage("OPERATION");
      assertCounts(ops.get("2026-01 CreateKey"), 1, 0);
      assertCounts(ops.get("2026-01 Encrypt"), 5, 1);
      assertCounts(ops.get("2026-01 DisableKey"), 1, 0);
      assertCounts(ops.get("2026-01 DescribeKey"), 0, 1);
      assertCounts(ops.get("2026-01 Unknown"), 0, 1);
      // earlier GetUsage calls are counted too (each after its own answer)
      if (restart == 0) {
        assertFalse(ops.containsKey("2026-01 GetUsage"));
      } else {
        assertCounts(ops.get("2026-01 GetUsage"), 3, 0);
      }
      Map<String, JsonNode> keys = usage("KEY");
      assertCounts(keys.get("2026-01 " + arn), 7, 1);
      assertCounts(keys.get("2026-01 none"), 1 + restart * 3, 2);
      Map<String, JsonNode> who = usage("PRINCIPAL");
      assertCounts(who.get("2026-01 " + ME), 9 + restart * 3, 3);
      d.restart();
    }
  }

  @Test
  void keyMonths_fractionOfTheMonthHeldAndNotPendingDeletion() throws Exception {
    d = new TestDaemon(); // the clock stands at 2026-01-01T00:00:00Z
    String key = d.createKey();
    String arn = "arn:aws:kms:local:000000000000:key/" + key;
    d.clock.advance(Duration.ofHours(31 * 12)); // half of January
    assertEquals(0.5, usage("KEY").get("2026-01 " + arn).get("KeyMonths").asDouble(), 1e-6);
    d.call("ScheduleKeyDeletion", "KeyId", key, "PendingWindowInDays", 30);
    d.clock.advance(Duration.ofHours(31 * 6)); // a quarter month pending deletion: not counted
    d.call("CancelKeyDeletion", "KeyId", key);
    d.clock.advance(Duration.ofHours(31 * 6)); // held again for the last quarter
    d.restart();
    Map<String, JsonNode> rows = usage("KEY", "StartTime", "2026-01-01", "EndTime",
        "2026-03-01");
    assertEquals(0.75, rows.get("2026-01 " + arn).get("KeyMonths").asDouble(), 1e-6);
    assertFalse(rows.containsKey("2026-02 " + arn), rows.toString()); // February not begun
    d.clock.advance(Duration.ofDays(14)); // half of February
    rows = usage("KEY", "StartTime", "2026-01-01", "EndTime", "2026-03-01");
    assertEquals(0.5, rows.get("2026-02 " + arn).get("KeyMonths").asDouble(), 1e-6);
    assertEquals(0.75, rows.get("2026-01 " + arn).get("KeyMonths").asDouble(), 1e-6);
  }

  @Test
  void keysFromBeforeUsageAccounting_countFromTheirCreation() throws Exception {
    d = new TestDaemon();
    String key = d.createKey();
    String arn = "arn:aws:kms:local:000000000000:key/" + key;
    d.client.close();
    d.daemon.close();
    try (var c = java.sql.DriverManager.getConnection("jdbc:sqlite:"
        + d.home.resolve("coffer.db"))) {
      // As before the feature: schema 3, none of its tables.
      java.sql.Statement s = c.createStatement();
      dev.coffer.daemon.storage.LegacyHomes.rewindToBeforeFlyway(s, 3);
      for (String t : new String[] {"usage_key_periods", "usage_requests",
          "usage_journal_folded"}) {
        s.executeUpdate("DROP TABLE " + t);
      }
    }
    d.clock.advance(Duration.ofHours(31 * 6));
    d.start();
    assertEquals(0.25, usage("KEY").get("2026-01 " + arn).get("KeyMonths").asDouble(), 1e-6);
  }

  @Test
  void countsArePerCalendarMonth() throws Exception {
    d = new TestDaemon();
    d.call("ListKeys");
    d.clock.advance(Duration.ofDays(31));
    d.call("ListKeys");
    d.call("ListKeys");
    Map<String, JsonNode> ops = usage("OPERATION", "StartTime", 0, "EndTime",
        d.clock.instant().plusSeconds(1).getEpochSecond());
    assertCounts(ops.get("2026-01 ListKeys"), 1, 0);
    assertCounts(ops.get("2026-02 ListKeys"), 2, 0);
    // the default window is this month
    assertFalse(usage("OPERATION").containsKey("2026-01 ListKeys"));
  }

  @Test
  void monthlyLimit_refusesWithLimitExceeded_countedAndAudited_untilTheMonthEnds()
      throws Exception {
    d = new TestDaemon(c -> c.withUsageLimits(new UsageLimits(List.of(
        new UsageLimits.Entry("user/" + System.getProperty("user.name"), 3)))));
    d.call("ListKeys");
    d.call("ListKeys");
    d.call("ListAliases");
    String msg = d.fails("LimitExceededException", "ListKeys").getMessage();
    assertTrue(msg.contains("monthly-request-limits"), msg);
    d.restart(); // the limit holds across restarts: the counts are durable
    d.fails("LimitExceededException", "ListAliases");
    d.clock.advance(Duration.ofDays(31));
    d.call("ListKeys"); // a new month
    d.restart();
    List<ObjectNode> refused = new ArrayList<>();
    new AuditLookup(null, null, null, null, null).run(d.home.resolve("audit"), line -> {
      ObjectNode r = Json.parseObject(line.getBytes(StandardCharsets.UTF_8));
      if ("LimitExceededException".equals(r.path("errorCode").asText())) {
        refused.add(r);
      }
    });
    assertEquals(2, refused.size());
    Map<String, JsonNode> ops = usage("OPERATION", "StartTime", "2026-01-01");
    assertCounts(ops.get("2026-01 ListKeys"), 2, 1);
    assertCounts(ops.get("2026-01 ListAliases"), 1, 1);
    assertCounts(ops.get("2026-02 ListKeys"), 1, 0);
  }

  @Test
  void badParameters_validationException() throws Exception {
    d = new TestDaemon();
    d.fails("ValidationException", "GetUsage", "GroupBy", "MONTH");
    d.fails("ValidationException", "GetUsage", "StartTime", "2026-02-01",
        "EndTime", "2026-01-01");
    d.fails("ValidationException", "GetUsage", "StartTime", "yesterday");
    d.fails("ValidationException", "GetUsage", "Granularity", "DAILY");
    assertEquals("KEY", d.call("GetUsage", "GroupBy", "key").get("GroupBy").asText());
  }

  @Test
  void farRanges_reportEveryCount_andAnswerPromptly() throws Exception {
    d = new TestDaemon(); // the clock stands at 2026-01-01T00:00:00Z
    String key = d.createKey();
    String arn = "arn:aws:kms:local:000000000000:key/" + key;
    d.call("Encrypt", "KeyId", key, "Plaintext", PLAINTEXT);
    d.clock.advance(Duration.ofDays(15));
    // A month past year 9999 once sorted before "2026-01" as text, so nothing was found; and a
    // range of millions of months was walked month by month, holding a daemon thread for hours.
    Map<String, JsonNode> rows = usage("OPERATION", "StartTime", "2025-12-01",
        "EndTime", "+10001-01-01T00:00:00Z");
    assertCounts(rows.get("2026-01 Encrypt"), 1, 0);
    long start = System.nanoTime();
    rows = usage("KEY", "StartTime", -9e15, "EndTime", 9e15);
    assertTrue(System.nanoTime() - start < 10_000_000_000L, "GetUsage took too long");
    assertCounts(rows.get("2026-01 " + arn), 2, 0); // CreateKey, Encrypt
    assertEquals(15.0 / 31, rows.get("2026-01 " + arn).get("KeyMonths").asDouble(), 1e-6);
  }

  @Test
  void monthlyLimit_holdsUnderConcurrentRequests() throws Exception {
    int limit = 5;
    d = new TestDaemon(c -> c.withUsageLimits(new UsageLimits(List.of(
        new UsageLimits.Entry("user/" + System.getProperty("user.name"), limit)))));
    int threads = 16;
    int each = 4;
    java.util.concurrent.atomic.AtomicInteger succeeded =
        new java.util.concurrent.atomic.AtomicInteger();
    java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
    List<Thread> all = new ArrayList<>();
    try (dev.coffer.protocol.DaemonClient many = new dev.coffer.protocol.DaemonClient(
        d.daemon.socket(), threads, Duration.ofSeconds(20))) {
      for (int t = 0; t < threads; t++) {
        Thread th = new Thread(() -> {
          try {
            go.await();
            for (int i = 0; i < each; i++) {
              try {
                many.call("CreateKey", Json.object()); // slow: an fsynced audit record
                succeeded.incrementAndGet();
              } catch (dev.coffer.protocol.KmsException e) {
                assertEquals("LimitExceededException", e.errorType(), e.getMessage());
              }
            }
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        });
        th.start();
        all.add(th);
      }
      go.countDown();
      for (Thread th : all) {
        th.join();
      }
    }
    // Admission was checked before a request ran and counted after it: every request in flight
    // when the count stood at limit - 1 got through.
    assertEquals(limit, succeeded.get());
  }
}
