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
}
