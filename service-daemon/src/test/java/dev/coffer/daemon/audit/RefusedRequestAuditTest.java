package dev.coffer.daemon.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coffer.daemon.TestDaemon.MovableClock;
import dev.coffer.daemon.identity.UnixPeer;
import dev.coffer.protocol.Json;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The budget is per principal: one user's flood spends only its own budget, so another user's
 * refusals are still recorded one by one. (Two peer uids cannot share one test process's
 * socket; RefusedRequestFloodTest covers the socket path.)
 */
class RefusedRequestAuditTest {

  private final MovableClock clock = new MovableClock();
  private final List<AuditEvent> written = new ArrayList<>();
  private final RefusedRequestAudit budget =
      new RefusedRequestAudit(written::add, clock, 3, Duration.ofSeconds(60));

  private static AuditEvent refused(long uid, String op) {
    return new AuditEvent(java.time.Instant.EPOCH, op, new UnixPeer(uid, uid, 1, "u" + uid, Set.of()),
        1, Json.object(), null, "NotFoundException", "no such key", List.of(), false, true);
  }

  @Test
  void floodOfOneUser_leavesAnotherUsersBudget_andSummarisesPerOperationAndError() {
    for (int i = 0; i < 50; i++) {
      boolean admitted = budget.admit(refused(1000, i % 2 == 0 ? "Encrypt" : "Decrypt"));
      assertEquals(i < 3, admitted, "refusal " + i);
    }
    assertTrue(budget.admit(refused(1001, "Encrypt")), "another user keeps its budget");
    assertTrue(written.isEmpty(), "summaries wait for the window's end");
    clock.advance(Duration.ofSeconds(60));
    budget.tick();
    assertEquals(2, written.size(), written::toString); // (1000, Encrypt), (1000, Decrypt)
    long total = 0;
    for (AuditEvent e : written) {
      assertEquals("RefusedRequestsSummarised", e.eventName());
      assertEquals(1000, e.request().get("uid").asLong());
      total += e.request().get("count").asLong();
    }
    assertEquals(47, total);
    assertTrue(budget.admit(refused(1000, "Encrypt")), "a new window, a new budget");
    budget.close();
    assertEquals(2, written.size());
  }

  @Test
  void distinctOperationNames_foldBeyondTheSummaryCap() {
    RefusedRequestAudit none = new RefusedRequestAudit(written::add, clock, 0,
        Duration.ofSeconds(60));
    for (int i = 0; i < RefusedRequestAudit.MAX_SUMMARIES + 500; i++) {
      assertFalse(none.admit(refused(7, "Op" + i)));
    }
    none.close();
    assertEquals(RefusedRequestAudit.MAX_SUMMARIES, written.size());
  }
}
