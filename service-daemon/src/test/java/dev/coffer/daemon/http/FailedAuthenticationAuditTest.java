package dev.coffer.daemon.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.coffer.daemon.TestDaemon;
import dev.coffer.daemon.audit.AuditEvent;
import dev.coffer.daemon.audit.AuditSink;
import dev.coffer.daemon.identity.RequestOrigin;
import dev.coffer.daemon.ops.RequestPipeline;
import dev.coffer.protocol.ErrorType;
import dev.coffer.protocol.KmsException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** A flood of bad signatures writes a bounded number of audit records, and says how many. */
class FailedAuthenticationAuditTest {

  @Test
  void atMostPerWindowRecords_thenOneSummaryWithTheCount() {
    List<AuditEvent> written = new CopyOnWriteArrayList<>();
    AuditSink sink = written::add;
    TestDaemon.MovableClock clock = new TestDaemon.MovableClock();
    FailedAuthenticationAudit audit = new FailedAuthenticationAudit(
        new RequestPipeline(null, sink, clock), sink, clock, 100, Duration.ofMinutes(1));
    RequestOrigin origin = new RequestOrigin("192.0.2.7", "curl", "TLSv1.3",
        "TLS_AES_256_GCM_SHA384", "kms.example");
    KmsException refusal = new KmsException(ErrorType.INVALID_SIGNATURE, "does not match");

    for (int i = 0; i < 250; i++) {
      audit.record("Decrypt", "AKIAEXAMPLEEXAMPLE12", origin, refusal);
    }
    assertEquals(100, written.size());
    AuditEvent first = written.get(0);
    assertEquals("Decrypt", first.eventName());
    assertEquals(ErrorType.INVALID_SIGNATURE, first.errorCode());
    assertEquals("AKIAEXAMPLEEXAMPLE12", first.request().get("AccessKeyId").asText());
    assertEquals(origin, first.origin());

    clock.advance(Duration.ofSeconds(61));
    audit.record("Decrypt", null, origin, refusal);
    assertEquals(102, written.size());
    AuditEvent summary = written.get(100);
    assertEquals("AuthenticationFailuresSuppressed", summary.eventName());
    assertEquals(150, summary.request().get("suppressed").asLong());
    assertEquals("Decrypt", written.get(101).eventName());
  }

  @Test
  void oneSourceSpendsOnlyItsOwnBudget() {
    List<AuditEvent> written = new CopyOnWriteArrayList<>();
    AuditSink sink = written::add;
    TestDaemon.MovableClock clock = new TestDaemon.MovableClock();
    FailedAuthenticationAudit audit = new FailedAuthenticationAudit(
        new RequestPipeline(null, sink, clock), sink, clock, 100, Duration.ofMinutes(1));
    KmsException refusal = new KmsException(ErrorType.INVALID_SIGNATURE, "does not match");
    RequestOrigin flooder = new RequestOrigin("198.51.100.9", null, null, null, null);
    RequestOrigin other = new RequestOrigin("192.0.2.7", null, null, null, null);
    // Every address of one IPv6 /64 is one source.
    RequestOrigin v6a = new RequestOrigin("2001:db8:1:2::a", null, null, null, null);
    RequestOrigin v6b = new RequestOrigin("2001:db8:1:2:ffff::b", null, null, null, null);

    for (int i = 0; i < 500; i++) {
      audit.record("Decrypt", null, flooder, refusal);
      audit.record("Decrypt", null, i % 2 == 0 ? v6a : v6b, refusal);
    }
    for (int i = 0; i < 5; i++) {
      audit.record("Encrypt", null, other, refusal);
    }
    assertEquals(205, written.size());
    assertEquals(5, written.stream().filter(e -> e.origin() == other).count(),
        "the other source's refusals are each recorded");

    clock.advance(Duration.ofSeconds(61));
    audit.record("Decrypt", null, other, refusal);
    AuditEvent summary = written.get(205);
    assertEquals("AuthenticationFailuresSuppressed", summary.eventName());
    assertEquals(800, summary.request().get("suppressed").asLong());
    assertEquals(2, summary.request().get("sources").asLong());
  }

  @Test
  void manySourcesTogetherWriteABoundedNumberOfRecords() {
    List<AuditEvent> written = new CopyOnWriteArrayList<>();
    AuditSink sink = written::add;
    TestDaemon.MovableClock clock = new TestDaemon.MovableClock();
    FailedAuthenticationAudit audit = new FailedAuthenticationAudit(
        new RequestPipeline(null, sink, clock), sink, clock, 2, Duration.ofMinutes(1));
    KmsException refusal = new KmsException(ErrorType.INVALID_SIGNATURE, "does not match");
    int sources = FailedAuthenticationAudit.MAX_SOURCES + 100;
    for (int i = 0; i < sources * 3; i++) {
      int n = i % sources;
      audit.record("Decrypt", null, new RequestOrigin("10." + (n >> 16 & 255) + "."
          + (n >> 8 & 255) + "." + (n & 255), null, null, null, null), refusal);
    }
    assertEquals(2L * FailedAuthenticationAudit.MAX_SOURCES, written.size());
  }
}
