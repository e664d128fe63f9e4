package dev.coffer.daemon.audit;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.daemon.identity.Identity;
import dev.coffer.daemon.identity.UnixPeer;
import dev.coffer.protocol.Json;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Bounds what a flood of refused requests can write to the audit log, per principal.
 *
 * <p>A refused request (one answered with an error that changed nothing) gets its own record
 * while its principal (the Unix peer by uid, an access-key user by ARN) has written fewer than {@code perWindow} such records in
 * the current window. Beyond that, refusals are only counted, per (principal, operation, error
 * code), and when the window ends (or at shutdown) one {@code RefusedRequestsSummarised} service
 * event per such triple gives the count and the times of the first and last. Requests that
 * succeed, and refused requests that committed part of a change, are never summarised: every
 * change keeps its own record. So one principal's sustained flood costs at most {@code
 * perWindow} individual records plus one summary per distinct (operation, error code) per
 * window (at most {@link #MAX_SUMMARIES} summaries per window in all), whatever its rate, and it
 * spends only its own budget: other principals' refusals are still recorded one by one.
 */
public final class RefusedRequestAudit {

  private static final Logger LOG = Logger.getLogger(RefusedRequestAudit.class.getName());

  /** Distinct (principal, operation, error code) triples summarised per window; more fold. */
  static final int MAX_SUMMARIES = 1024;
  /** Principals whose budget is tracked per window; refusals of others are summarised. */
  private static final int MAX_PRINCIPALS = 65_536;
  /** What a summary shows of the (untrusted) operation name. */
  private static final int MAX_OPERATION_CHARS = AuditRecords.MAX_EVENT_NAME;

  /** The summary that stands for every triple beyond {@link #MAX_SUMMARIES} - 1. */
  private static final String OTHER = "other";

  private record Triple(String principal, String operation, String errorCode) {}

  private static final class Tally {
    final ObjectNode who;
    long count;
    final Instant first;
    Instant last;

    Tally(ObjectNode who, Instant at) {
      this.who = who;
      this.first = at;
      this.last = at;
    }
  }

  private final AuditSink sink;
  private final Clock clock;
  private final int perWindow;
  private final Duration window;
  private Instant windowStart; // guarded by this
  private final Map<String, Integer> written = new HashMap<>(); // guarded by this
  private final Map<Triple, Tally> tallies = new LinkedHashMap<>(); // guarded by this

  /**
   * @param perWindow individual records of refusals each principal may write per window (0:
   *     every refusal is summarised)
   * @param window the length of a window
   */
  public RefusedRequestAudit(AuditSink sink, Clock clock, int perWindow, Duration window) {
    this.sink = sink;
    this.clock = clock;
    this.perWindow = perWindow;
    this.window = window;
    this.windowStart = clock.instant();
  }

  /**
   * Decides whether the refusal {@code event} (its {@code errorCode} set) gets its own record.
   *
   * @return true: the caller writes {@code event} as usual; false: it was counted for its
   *     window's summary and must not be written
   */
  public boolean admit(AuditEvent event) {
    Instant now = clock.instant();
    List<AuditEvent> ended;
    boolean individually;
    synchronized (this) {
      ended = roll(now);
      String principal = principalOf(event);
      Integer n = written.get(principal);
      individually = n == null ? perWindow > 0 && written.size() < MAX_PRINCIPALS : n < perWindow;
      if (individually) {
        written.merge(principal, 1, Integer::sum);
      } else {
        count(principal, event.identity(), event.eventName(), event.errorCode(), now);
      }
    }
    write(ended);
    return individually;
  }

  /**
   * Whose budget a refusal spends: the Unix user by uid, an access-key user by its IAM ARN; the
   * two forms never collide, so one kind of caller cannot spend the other's budget.
   */
  private static String principalOf(AuditEvent event) {
    Identity id = event.identity();
    if (id instanceof UnixPeer p) {
      return "uid:" + p.uid() + " (" + p.user() + ")";
    }
    return id == null ? "unauthenticated" : id.describe();
  }

  /** Who a summary is about: {@code uid} and {@code userName}, or an IAM user's ARN and name. */
  private static ObjectNode who(Identity identity) {
    ObjectNode o = Json.object();
    if (identity instanceof UnixPeer p) {
      o.put("uid", p.uid());
      o.put("userName", p.user());
    } else if (identity instanceof dev.coffer.daemon.identity.IamUser u) {
      o.put("arn", u.arn());
      o.put("userName", u.userName());
    } else {
      o.put("userName", identity == null ? OTHER : identity.describe());
    }
    return o;
  }

  private void count(String principal, Identity identity, String operation, String errorCode,
      Instant now) {
    Triple t = new Triple(principal, AuditRecords.cut(operation, MAX_OPERATION_CHARS),
        errorCode);
    Tally tally = tallies.get(t);
    if (tally == null) {
      if (tallies.size() >= MAX_SUMMARIES - 1) {
        // The last summary of a window stands for every triple beyond the others.
        t = new Triple(OTHER, "*", "*");
        tally = tallies.get(t);
      }
      if (tally == null) {
        tally = new Tally(OTHER.equals(t.principal()) ? who(null) : who(identity), now);
        tallies.put(t, tally);
      }
    }
    tally.count++;
    tally.last = now;
  }

  /** Writes the summaries of a window that has ended; the server's watchdog calls it. */
  public void tick() {
    List<AuditEvent> ended;
    synchronized (this) {
      ended = roll(clock.instant());
    }
    write(ended);
  }

  /** Writes the summaries of the current window (shutdown). */
  public void close() {
    List<AuditEvent> summaries;
    synchronized (this) {
      summaries = summaries(clock.instant());
    }
    write(summaries);
  }

  /** Starts a new window if the current one has ended; returns the ended window's summaries. */
  private List<AuditEvent> roll(Instant now) {
    if (now.isBefore(windowStart.plus(window))) {
      return List.of();
    }
    List<AuditEvent> s = summaries(now);
    windowStart = now;
    written.clear();
    return s;
  }

  private List<AuditEvent> summaries(Instant now) {
    if (tallies.isEmpty()) {
      return List.of();
    }
    List<AuditEvent> out = new ArrayList<>(tallies.size());
    tallies.forEach((t, tally) -> {
      ObjectNode d = Json.object();
      d.setAll(tally.who);
      d.put("operation", t.operation());
      d.put("errorCode", t.errorCode());
      d.put("count", tally.count);
      d.put("firstTime", tally.first.toString());
      d.put("lastTime", tally.last.toString());
      d.put("windowStart", windowStart.toString());
      d.put("windowSeconds", window.toSeconds());
      d.put("recordedIndividuallyPerWindow", perWindow);
      out.add(AuditEvent.serviceEvent(now, "RefusedRequestsSummarised", List.of(), d));
    });
    tallies.clear();
    return out;
  }

  private void write(List<AuditEvent> events) {
    for (AuditEvent e : events) {
      try {
        sink.record(e);
      } catch (RuntimeException failed) {
        // Refused requests changed nothing, so there is no result to withhold.
        LOG.log(Level.WARNING, "could not write a summary of refused requests", failed);
      }
    }
  }
}
