package dev.coffer.daemon.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.daemon.TestDaemon;
import dev.coffer.daemon.keys.AliasRecord;
import dev.coffer.daemon.identity.UnixPeer;
import dev.coffer.daemon.storage.Database;
import dev.coffer.daemon.storage.OutboxRecord;
import dev.coffer.protocol.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Outbox rows a crash left behind, in a real database file, reach the audit log at the next
 * start exactly once: a change whose record never reached the log gets its provisional record,
 * and a row whose record did reach the log is not written again.
 */
class AuditOutboxTest {

  private TestDaemon d;

  @BeforeEach
  void start() throws IOException {
    d = new TestDaemon();
  }

  @AfterEach
  void stop() throws IOException {
    d.close();
  }

  private List<ObjectNode> records(String eventId) throws IOException {
    List<ObjectNode> out = new ArrayList<>();
    new AuditLookup(null, null, null, null, null).run(d.home.resolve("audit"), line -> {
      ObjectNode r = Json.parseObject(line.getBytes(StandardCharsets.UTF_8));
      if (r.get("eventID").asText().equals(eventId)) {
        out.add(r);
      }
    });
    return out;
  }

  @Test
  void rowsLeftByACrash_shippedExactlyOnceAtStartUp() throws Exception {
    String key = d.createKey();
    String region = d.daemon.config().region();
    String account = d.daemon.config().account();
    List<ObjectNode> createKey = new ArrayList<>();
    new AuditLookup(null, "CreateKey", null, null, null).run(d.home.resolve("audit"),
        line -> createKey.add(Json.parseObject(line.getBytes(StandardCharsets.UTF_8))));
    String alreadyLogged = createKey.get(0).get("eventID").asText();
    d.client.close();
    d.daemon.close();

    // What a kill -9 right after a commit leaves: the change and its provisional record in the
    // outbox, with nothing in the log; and a row whose record reached the log just before.
    String lost = UUID.randomUUID().toString();
    Instant now = d.clock.instant();
    UnixPeer alice = new UnixPeer(1000, 1000, 4242, "alice", Set.of("alice"));
    AuditEvent provisional = new AuditEvent(now, "CreateAlias", alice, 7, Json.object()
        .put("AliasName", "alias/lost").put("TargetKeyId", key), null, null, null, List.of(),
        true, false, lost, true);
    try (Database db = Database.open(d.home.resolve("coffer.db"))) {
      db.inScope(changes -> List.of(new OutboxRecord(lost, now,
          AuditRecords.toJson(provisional, region, account))), () -> db.inTransaction(tx -> {
            tx.insertAlias(new AliasRecord("alias/lost", UUID.fromString(key), now, now));
            return null;
          }));
      db.inScope(changes -> List.of(new OutboxRecord(alreadyLogged, now,
          AuditRecords.toJson(provisional, region, account))), () -> db.inTransaction(tx -> null));
      assertEquals(2, db.outbox().size());
    }

    d.start();
    assertEquals(key, d.call("DescribeKey", "KeyId", "alias/lost").get("KeyMetadata")
        .get("KeyId").asText());
    List<ObjectNode> shipped = records(lost);
    assertEquals(1, shipped.size());
    assertEquals("CreateAlias", shipped.get(0).get("eventName").asText());
    assertTrue(shipped.get(0).get("additionalEventData").get("recordedAtCommit").asBoolean());
    assertEquals("alice", shipped.get(0).get("userIdentity").get("userName").asText());
    assertEquals(1, records(alreadyLogged).size(), "a record already in the log was written again");

    d.restart();
    assertEquals(1, records(lost).size());
    assertEquals(1, records(alreadyLogged).size());
    AuditVerifier.Result ok = AuditVerifier.verify(d.home.resolve("audit"), null);
    assertTrue(ok.ok(), ok.summary());
    d.client.close();
    d.daemon.close();
    try (Database db = Database.open(d.home.resolve("coffer.db"))) {
      assertEquals(List.of(), db.outbox(), "shipped rows are deleted");
    }
    d.start();
  }
}
