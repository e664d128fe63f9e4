package dev.coffer.daemon.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.daemon.identity.UnixPeer;
import dev.coffer.protocol.Json;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The allow-list that keeps secrets out of records. */
class AuditRecordsTest {

  private static final UnixPeer BOB = new UnixPeer(1001, 100, 7, "bob", Set.of("users", "bob"));

  private static ObjectNode shape(String op, ObjectNode in, ObjectNode out, boolean mgmt,
      boolean ro) {
    return AuditRecords.record(new AuditEvent(Instant.parse("2026-01-02T03:04:05.678Z"), op, BOB,
        9, in, out, null, null, List.of(), mgmt, ro), "local", "000000000000");
  }

  @Test
  void secretRequestFields_dropped_contextAndIdsKept() {
    ObjectNode in = Json.object();
    in.put("KeyId", "alias/app");
    in.put("Plaintext", "c2VjcmV0");
    in.put("CiphertextBlob", "Y2lwaGVy");
    in.put("EncryptedKeyMaterial", "bWF0");
    in.put("ImportToken", "dG9r");
    in.put("PublicKey", "cHVi");
    in.put("KeyStorePassword", "hunter2");
    in.put("SomethingNew", "x");
    in.putObject("EncryptionContext").put("tenant", "t1");
    in.putArray("GrantTokens").add("tok1").add("tok2");
    in.put("Policy", "{\"Version\":\"2012-10-17\"}");
    ObjectNode r = shape("Encrypt", in, null, false, true);
    String text = r.toString();
    for (String secret : List.of("c2VjcmV0", "Y2lwaGVy", "bWF0", "dG9r", "cHVi", "hunter2",
        "tok1", "SomethingNew", "2012-10-17")) {
      assertFalse(text.contains(secret), secret + " leaked: " + text);
    }
    ObjectNode p = (ObjectNode) r.get("requestParameters");
    assertEquals("alias/app", p.get("KeyId").asText());
    assertEquals("t1", p.at("/EncryptionContext/tenant").asText());
    assertEquals(2, p.get("GrantTokensCount").asInt());
    assertEquals(64, p.get("PolicySha256").asText().length());
    assertEquals("2026-01-02T03:04:05.678Z", r.get("eventTime").asText());
    assertEquals("1.08", r.get("eventVersion").asText());
    assertEquals("kms.coffer", r.get("eventSource").asText());
    assertEquals(9, r.at("/additionalEventData/connectionRequestId").asLong());
  }

  @Test
  void eventTime_isTheFixedMillisecondFormat_acrossSeconds() {
    Instant t = Instant.parse("1999-12-31T23:59:58.000Z");
    for (int i = 0; i < 5000; i++) {
      t = t.plusNanos(987_654_321L * (i % 7));
      assertEquals(AuditRecords.TIME.format(t), AuditRecords.eventTime(t));
    }
    assertEquals("2026-01-02T03:04:05.678Z", shape("Encrypt", Json.object(), null, false, false)
        .get("eventTime").asText());
    assertEquals("2026-01-02T03:04:05.007Z",
        AuditRecords.eventTime(Instant.parse("2026-01-02T03:04:05.007999Z")));
  }

  @Test
  void requestAndEventIds_areDistinctVersion4Uuids() {
    Set<String> seen = new java.util.HashSet<>();
    for (int i = 0; i < 1000; i++) {
      ObjectNode r = shape("Encrypt", Json.object(), null, false, false);
      for (String field : List.of("requestID", "eventID")) {
        java.util.UUID id = java.util.UUID.fromString(r.get(field).asText());
        assertEquals(4, id.version(), field);
        assertEquals(2, id.variant(), field);
        assertTrue(seen.add(id.toString()), "repeated " + field + " " + id);
      }
    }
  }

  @Test
  void responseOfCryptoOrReadOnlyOperation_null() {
    ObjectNode out = Json.object();
    out.put("Plaintext", "c2VjcmV0");
    out.put("KeyId", "k");
    assertTrue(shape("Decrypt", Json.object(), out, false, true).get("responseElements")
        .isNull());
    assertTrue(shape("DescribeKey", Json.object(), out, true, true).get("responseElements")
        .isNull());
  }

  @Test
  void responseOfManagementOperation_allowListedOnly() {
    ObjectNode out = Json.object();
    out.put("KeyId", "arn:k");
    out.put("ImportToken", "dG9r");
    out.put("PublicKey", "cHVi");
    out.put("GrantToken", "Z3Q=");
    out.put("GrantId", "g-1");
    ObjectNode r = shape("CreateGrant", Json.object(), out, true, false);
    ObjectNode re = (ObjectNode) r.get("responseElements");
    Set<String> names = new java.util.HashSet<>();
    re.fieldNames().forEachRemaining(names::add);
    assertEquals(Set.of("KeyId", "GrantId"), names);
  }
}
