package dev.coffer.daemon.http;

import dev.coffer.daemon.audit.AuditEvent;
import dev.coffer.daemon.audit.AuditSink;
import dev.coffer.daemon.identity.RequestOrigin;
import dev.coffer.daemon.ops.RequestPipeline;
import dev.coffer.protocol.KmsException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Audits requests refused by SigV4 verification, with a bound on what a flood of bad
 * signatures can write, per source: each source address gets at most {@code perWindow} records
 * per window, so one source cannot spend the others' budget (before authentication the address
 * is all that tells clients apart). Beyond that its refusals are only counted, and one {@code
 * AuthenticationFailuresSuppressed} service event gives the count when the window ends. At most
 * {@link #MAX_SOURCES} sources get records per window; refusals from further ones are counted
 * the same way, so many addresses cannot write without bound either. An IPv6 source is its /64
 * (what one host or site usually holds). The same rule as the socket's malformed frames ({@code
 * MalformedFrameAudit}).
 */
final class FailedAuthenticationAudit {

  private static final Logger LOG = Logger.getLogger(FailedAuthenticationAudit.class.getName());

  private final RequestPipeline pipeline;
  private final AuditSink sink;
  private final Clock clock;
  private final int perWindow;
  private final Duration window;
  /** Sources whose records are counted per window; refusals from others are only counted. */
  static final int MAX_SOURCES = 1024;

  private Instant windowStart; // guarded by this
  /** Records written this window, per source. */
  private final Map<String, Integer> written = new HashMap<>(); // guarded by this
  private long suppressed; // guarded by this
  /** Sources whose refusals were counted this window, up to {@link #MAX_SOURCES}. */
  private final Set<String> suppressedSources = new HashSet<>(); // guarded by this

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

  /** Records one refusal, or counts it when its source's records this window are used up. */
  void record(String operation, String accessKeyId, RequestOrigin origin,
      KmsException refusal) {
    Instant now = clock.instant();
    String source = sourceOf(origin);
    AuditEvent summary = null;
    boolean write;
    synchronized (this) {
      if (!now.isBefore(windowStart.plus(window))) {
        if (suppressed > 0) {
          var details = dev.coffer.protocol.Json.object();
          details.put("suppressed", suppressed);
          details.put("sources", suppressedSources.size());
          details.put("windowStart", windowStart.toString());
          details.put("windowSeconds", window.toSeconds());
          details.put("recordedIndividuallyPerSourcePerWindow", perWindow);
          summary = AuditEvent.serviceEvent(now, "AuthenticationFailuresSuppressed", List.of(),
              details);
        }
        windowStart = now;
        written.clear();
        suppressed = 0;
        suppressedSources.clear();
      }
      Integer n = written.get(source);
      write = n == null ? written.size() < MAX_SOURCES && perWindow > 0 : n < perWindow;
      if (write) {
        written.merge(source, 1, Integer::sum);
      } else {
        suppressed++;
        if (suppressedSources.size() < MAX_SOURCES) {
          suppressedSources.add(source);
        }
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

  /** Whose budget a refusal spends: the IPv4 address, or the /64 of an IPv6 address. */
  static String sourceOf(RequestOrigin origin) {
    String ip = origin == null ? null : origin.sourceIp();
    if (ip == null || ip.isEmpty()) {
      return "unknown";
    }
    if (ip.indexOf(':') < 0) {
      return ip;
    }
    try {
      // A literal (the transport's own text), so no name lookup happens.
      byte[] a = InetAddress.getByName(ip.startsWith("[") ? ip.substring(1, ip.length() - 1)
          : ip).getAddress();
      if (a.length != 16) {
        return ip;
      }
      StringBuilder b = new StringBuilder();
      for (int i = 0; i < 8; i += 2) {
        b.append(Integer.toHexString(((a[i] & 0xff) << 8) | (a[i + 1] & 0xff))).append(':');
      }
      return b.append(":/64").toString();
    } catch (UnknownHostException e) {
      return ip;
    }
  }
}
