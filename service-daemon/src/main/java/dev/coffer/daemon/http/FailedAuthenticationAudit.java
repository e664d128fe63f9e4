package dev.coffer.daemon.http;

import dev.coffer.daemon.audit.AuditEvent;
import dev.coffer.daemon.audit.AuditSink;
import dev.coffer.daemon.identity.RequestOrigin;
import dev.coffer.daemon.ops.RequestPipeline;
import dev.coffer.protocol.KmsException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Audits requests refused by SigV4 verification, with a bound on what a flood of bad
 * signatures can write: at most {@code perWindow} records per window; beyond that they are only
 * counted, and one {@code AuthenticationFailuresSuppressed} service event gives the count when
 * the window ends. The same rule as the socket's malformed frames ({@code MalformedFrameAudit}).
 */
final class FailedAuthenticationAudit {

  private static final Logger LOG = Logger.getLogger(FailedAuthenticationAudit.class.getName());

  private final RequestPipeline pipeline;
  private final AuditSink sink;
  private final Clock clock;
  private final int perWindow;
  private final Duration window;
  private Instant windowStart; // guarded by this
  private int written; // guarded by this
  private long suppressed; // guarded by this

  /**
   * @param pipeline records each refusal ({@link RequestPipeline#authenticationFailed})
   * @param sink takes the per-window summaries
   */
  FailedAuthenticationAudit(RequestPipeline pipeline, AuditSink sink, Clock clock, int perWindow,
      Duration window) {
    this.pipeline = pipeline;
    this.sink = sink;
    this.clock = clock;
    this.perWindow = perWindow;
    this.window = window;
    this.windowStart = clock.instant();
  }

  /** Records one refusal, or counts it when this window's records are used up. */
  void record(String operation, String accessKeyId, RequestOrigin origin,
      KmsException refusal) {
    Instant now = clock.instant();
    AuditEvent summary = null;
    boolean write;
    synchronized (this) {
      if (!now.isBefore(windowStart.plus(window))) {
        if (suppressed > 0) {
          var details = dev.coffer.protocol.Json.object();
          details.put("suppressed", suppressed);
          details.put("windowStart", windowStart.toString());
          details.put("windowSeconds", window.toSeconds());
          summary = AuditEvent.serviceEvent(now, "AuthenticationFailuresSuppressed", List.of(),
              details);
        }
        windowStart = now;
        written = 0;
        suppressed = 0;
      }
      write = written < perWindow;
      if (write) {
        written++;
      } else {
        suppressed++;
      }
    }
    try {
      if (summary != null) {
        sink.record(summary);
      }
      if (write) {
        pipeline.authenticationFailed(operation, accessKeyId, origin, refusal);
      }
    } catch (RuntimeException e) {
      LOG.log(Level.SEVERE, "audit of a failed authentication could not be written", e);
    }
  }
}
