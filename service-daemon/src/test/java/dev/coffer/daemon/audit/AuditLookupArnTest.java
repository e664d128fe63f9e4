package dev.coffer.daemon.audit;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.protocol.Json;
import org.junit.jupiter.api.Test;

/** {@code coffer audit lookup --key-id} finds a key's records whichever ARN form they name. */
class AuditLookupArnTest {

  private static final String ID = "8c8fb287-3ee2-486f-83be-a488d92f990d";

  private static ObjectNode recordNaming(String arn) {
    ObjectNode r = Json.object();
    r.putArray("resources").addObject().put("ARN", arn);
    r.putObject("requestParameters");
    return r;
  }

  @Test
  void legacyAndSixPartArns_nameTheSameKey() {
    ObjectNode old = recordNaming("arn:coffer:local:000000000000:key/" + ID);
    ObjectNode current = recordNaming("arn:aws:kms:local:000000000000:key/" + ID);
    for (String query : new String[] {ID, "arn:aws:kms:local:000000000000:key/" + ID,
        "arn:coffer:local:000000000000:key/" + ID}) {
      AuditLookup q = new AuditLookup(query, null, null, null, null);
      assertTrue(q.matches(old), query);
      assertTrue(q.matches(current), query);
    }
    assertFalse(new AuditLookup("arn:aws:kms:local:000000000000:key/"
        + "11111111-2222-3333-4444-555555555555", null, null, null, null).matches(current));
  }
}
