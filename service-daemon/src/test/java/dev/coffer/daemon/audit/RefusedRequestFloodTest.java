package dev.coffer.daemon.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.daemon.TestDaemon;
import dev.coffer.protocol.Json;
import dev.coffer.protocol.KmsException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A flood of well-formed failing requests through the real socket (the tester's: Encrypt under
 * a nonexistent 256-character alias with a large encryption context) grows the audit log by a
 * bounded amount, while successful calls keep their own records and refusals are recorded one
 * by one again in the next window. Default budget: 100 refusal records per principal a minute.
 */
class RefusedRequestFloodTest {

  private static final int FLOOD = 1_000;
  private static final int BUDGET = 100; // the default audit-refused-requests-per-window
  private TestDaemon d;

  @BeforeEach
  void start() throws IOException {
    d = new TestDaemon();
  }

  @AfterEach
  void stop() throws IOException {
    d.close();
  }

  private long auditBytes() throws IOException {
    try (Stream<Path> files = Files.walk(d.home.resolve("audit"))) {
      return files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
    }
  }

  private List<ObjectNode> events(String name) throws IOException {
    List<ObjectNode> out = new ArrayList<>();
    new AuditLookup(null, name, null, null, null).run(d.home.resolve("audit"),
        line -> out.add(Json.parseObject(line.getBytes(StandardCharsets.UTF_8))));
    return out;
  }

  private static ObjectNode bigContext() {
    ObjectNode c = Json.object();
    for (int i = 0; i < 60; i++) {
      c.put(String.format("key-%02d", i), "v".repeat(100));
    }
    return c;
  }

  private void refusedEncrypt(ObjectNode context) {
    ObjectNode in = Json.object();
    in.put("KeyId", "alias/" + "a".repeat(250));
    in.put("Plaintext", "AQID");
    in.set("EncryptionContext", context);
    try {
      d.call("Encrypt", in);
      throw new AssertionError("Encrypt under a missing alias succeeded");
    } catch (KmsException expected) {
      assertEquals("NotFoundException", expected.errorType(), expected.getMessage());
    }
  }

  @Test
  void flood_growsAuditByABoundedAmount_successesAndNextWindowStillIndividual()
      throws IOException {
    String key = d.createKey();
    d.restart(); // settle the log, so growth below is the flood's
    long before = auditBytes();
    ObjectNode context = bigContext();
    for (int i = 0; i < FLOOD; i++) {
      refusedEncrypt(context);
    }
    d.fails("NotFoundException", "DescribeKey", "KeyId", "alias/none");
    // The well-behaved part: a success in the same window is recorded on its own.
    d.call("Encrypt", "KeyId", key, "Plaintext", new byte[] {1});
    // The next window: its first refusal ends the flood's window (writing the summaries) and is
    // recorded on its own again.
    d.clock.advance(Duration.ofSeconds(61));
    d.fails("NotFoundException", "DescribeKey", "KeyId", "alias/next-window");
    d.restart(); // flushes batched data events
    long grown = auditBytes() - before;

    List<ObjectNode> enc = events("Encrypt");
    long refused = enc.stream().filter(e -> e.has("errorCode")).count();
    assertEquals(BUDGET, refused, "individual refusal records in the window");
    assertEquals(1, enc.stream().filter(e -> !e.has("errorCode")).count(), "the success");
    for (ObjectNode e : enc) {
      // A refused request keeps at most 2 KiB of its parameters (the context is ~7 KB).
      assertTrue(Json.toBytes(e.get("requestParameters")).length <= 2 * 1024 + 200,
          e.get("requestParameters")::toString);
    }
    List<ObjectNode> summaries = events("RefusedRequestsSummarised");
    assertEquals(2, summaries.size(), summaries::toString); // (Encrypt, NotFound), (DescribeKey, ..)
    long counted = 0;
    for (ObjectNode s : summaries) {
      ObjectNode p = (ObjectNode) s.get("requestParameters");
      assertEquals(System.getProperty("user.name"), p.get("userName").asText());
      assertEquals("NotFoundException", p.get("errorCode").asText());
      assertTrue(p.has("firstTime") && p.has("lastTime"), p::toString);
      counted += p.get("count").asLong();
    }
    assertEquals(FLOOD - BUDGET + 1, counted, "every refusal beyond the budget is counted");
    // 1,001 refusals; about 100 records of at most ~3.5 KiB each, plus the summaries.
    assertTrue(grown < 512 * 1024, "the audit log grew by " + grown + " bytes");
    // The flood's DescribeKey was summarised; the next window's is recorded on its own.
    List<ObjectNode> describe = events("DescribeKey");
    assertEquals(1, describe.size(), describe::toString);
    assertTrue(describe.get(0).toString().contains("alias/next-window"));
  }
}
