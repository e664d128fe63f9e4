package dev.coffer.daemon.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coffer.daemon.audit.AuditEvent;
import dev.coffer.daemon.identity.UnixPeer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The rate limit on audit records of refused frames, on a clock the test moves. */
class MalformedFrameAuditTest {

  private Instant now = Instant.parse("2026-11-30T12:00:00Z");
  private final Clock clock = new Clock() {
    @Override
    public ZoneOffset getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  };
  private final List<AuditEvent> written = new ArrayList<>();
  private final UnixPeer mallory = new UnixPeer(1001, 1001, 42, "mallory", Set.of());
  private final UnixPeer eve = new UnixPeer(1002, 1002, 43, "eve", Set.of());

  @Test
  void flood_recordsUpToTheRate_thenOneSummaryPerWindowCountingTheRest() {
    MalformedFrameAudit a = new MalformedFrameAudit(written::add, clock, 3, Duration.ofSeconds(60));
    for (int i = 0; i < 10_000; i++) {
      a.record(i % 2 == 0 ? mallory : eve, 7, "not a Coffer frame (bad magic)",
          new byte[] {1, 2, 3});
    }
    assertEquals(3, written.size());
    AuditEvent first = written.get(0);
    assertEquals("MalformedFrame", first.eventName());
    assertEquals("ValidationException", first.errorCode());
    assertEquals("not a Coffer frame (bad magic); first bytes 0x010203", first.errorMessage());
    a.tick(); // window not over: nothing more
    assertEquals(3, written.size());
    now = now.plusSeconds(61);
    a.tick();
    assertEquals(4, written.size());
    AuditEvent summary = written.get(3);
    assertEquals("MalformedFramesSuppressed", summary.eventName());
    assertEquals(9_997, summary.request().get("suppressedFrames").asLong());
    assertEquals(2, summary.request().get("suppressedByUser").size());
    assertTrue(summary.managementEvent(), "a summary is durable, like other service events");
    // A new window records again.
    a.record(mallory, 0, "x", new byte[0]);
    assertEquals(5, written.size());
    assertEquals("x", written.get(4).errorMessage());
  }

  @Test
  void windowEndedByTheNextFrame_summaryNotLost_andCloseFlushes() {
    MalformedFrameAudit a = new MalformedFrameAudit(written::add, clock, 1, Duration.ofSeconds(10));
    a.record(mallory, 0, "a", new byte[0]);
    a.record(mallory, 0, "b", new byte[0]);
    now = now.plusSeconds(11);
    a.record(mallory, 0, "c", new byte[0]); // ends the window: its summary, then this record
    a.record(mallory, 0, "d", new byte[0]);
    a.close();
    assertEquals(List.of("MalformedFrame", "MalformedFramesSuppressed", "MalformedFrame",
        "MalformedFramesSuppressed"), written.stream().map(AuditEvent::eventName).toList());
    assertEquals(1, written.get(3).request().get("suppressedFrames").asLong());
  }

  @Test
  void headerBytes_cappedAt16_asHex() {
    MalformedFrameAudit a = new MalformedFrameAudit(written::add, clock, 5, Duration.ofSeconds(10));
    a.record(mallory, 0, "r", new byte[100]);
    assertEquals("r; first bytes 0x" + "00".repeat(16), written.get(0).errorMessage());
  }
}
