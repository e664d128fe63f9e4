package dev.coffer.daemon.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.daemon.audit.AuditEvent;
import dev.coffer.daemon.audit.AuditSink;
import dev.coffer.daemon.identity.UnixPeer;
import dev.coffer.protocol.Json;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Audits frames the daemon refused before they became requests, with a bound on what a flood
 * of garbage can write: at most {@code perWindow} {@code MalformedFrame} records per window;
 * beyond that frames are only counted per peer user, and one {@code MalformedFramesSuppressed}
 * service event per window (written when the window ends, or at shutdown) gives the counts. So
 * a sustained flood costs at most {@code perWindow + 1} records per window, whatever its rate.
 */
final class MalformedFrameAudit {

  private static final Logger LOG = Logger.getLogger(MalformedFrameAudit.class.getName());
  /** Distinct peer users counted in one summary; more are folded into one "other" entry. */
  private static final int MAX_PEERS_PER_SUMMARY = 256;

  private record Tally(String user, long count) {}

  private final AuditSink sink;
  private final Clock clock;
  private final int perWindow;
  private final Duration window;
  private Instant windowStart; // guarded by this
  private int written; // guarded by this
  private long suppressed; // guarded by this
  private final Map<Long, Tally> byUid = new LinkedHashMap<>(); // guarded by this

  MalformedFrameAudit(AuditSink sink, Clock clock, int perWindow, Duration window) {
    this.sink = sink;
    this.clock = clock;
    this.perWindow = perWindow;
    this.window = window;
    this.windowStart = clock.instant();
  }

  /**
   * Records one refused frame from {@code peer}; {@code reason} is the daemon's own text and
   * {@code head} up to the first 16 bytes that arrived (written as hex, never as text).
   */
  void record(UnixPeer peer, long requestId, String reason, byte[] head) {
    Instant now = clock.instant();
    AuditEvent event = null;
    AuditEvent ended;
    synchronized (this) {
      ended = roll(now);
      if (written < perWindow) {
        written++;
        String hex = java.util.HexFormat.of().formatHex(head, 0, Math.min(head.length, 16));
        event = AuditEvent.malformedFrame(now, peer, requestId,
            reason + (hex.isEmpty() ? "" : "; first bytes 0x" + hex));
      } else {
        suppressed++;
        long uid = byUid.size() < MAX_PEERS_PER_SUMMARY || byUid.containsKey(peer.uid())
            ? peer.uid() : Long.MIN_VALUE;
        String user = uid == Long.MIN_VALUE ? "other" : peer.user();
        byUid.merge(uid, new Tally(user, 1), (a, b) -> new Tally(a.user(), a.count() + 1));
      }
    }
    if (ended != null) {
      write(ended);
    }
    if (event != null) {
      write(event);
    }
  }

  /** Writes the summary of a window that has ended; the server's watchdog calls it. */
  void tick() {
    AuditEvent summary;
    synchronized (this) {
      summary = roll(clock.instant());
    }
    if (summary != null) {
      write(summary);
    }
  }

  /** Writes the summary of the current window, if anything was suppressed (shutdown). */
  void close() {
    AuditEvent summary;
    synchronized (this) {
      summary = summary(clock.instant());
    }
    if (summary != null) {
      write(summary);
    }
  }

  /** Starts a new window if the current one has ended; returns the ended window's summary. */
  private AuditEvent roll(Instant now) {
    if (now.isBefore(windowStart.plus(window))) {
      return null;
    }
    AuditEvent s = summary(now);
    windowStart = now;
    written = 0;
    return s;
  }

  private AuditEvent summary(Instant now) {
    if (suppressed == 0) {
      return null;
    }
    ObjectNode details = Json.object();
    details.put("windowStart", windowStart.toString());
    details.put("windowSeconds", window.toSeconds());
    details.put("recordedInWindow", written);
    details.put("suppressedFrames", suppressed);
    ArrayNode peers = details.putArray("suppressedByUser");
    byUid.forEach((uid, t) -> {
      ObjectNode p = peers.addObject();
      if (uid != Long.MIN_VALUE) {
        p.put("uid", uid);
      }
      p.put("userName", t.user());
      p.put("count", t.count());
    });
    suppressed = 0;
    byUid.clear();
    return AuditEvent.serviceEvent(now, "MalformedFramesSuppressed", List.of(), details);
  }

  private void write(AuditEvent e) {
    try {
      sink.record(e);
    } catch (RuntimeException failed) {
      // Nothing was changed by a refused frame, so there is no result to withhold.
      LOG.log(Level.WARNING, "could not audit a refused frame", failed);
    }
  }
}
