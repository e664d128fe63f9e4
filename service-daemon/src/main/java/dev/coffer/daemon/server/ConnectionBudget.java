package dev.coffer.daemon.server;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The daemon's connection budget: at most {@code max} connections in all and {@code perUser}
 * from one peer uid, so one local user cannot take the whole daemon. A new connection over
 * either limit first displaces the longest-idle connection in its way (its own user's when the
 * user's share is what is full), if that one has been idle for at least {@link
 * #MIN_IDLE_TO_DISPLACE_NANOS} (a connection just accepted may have a request that is not read
 * yet); only when there is none is it refused.
 */
final class ConnectionBudget {

  /** How long a connection must have been idle before a new one may displace it: 1 s. */
  static final long MIN_IDLE_TO_DISPLACE_NANOS = 1_000_000_000L;

  /** {@link Slot#idleSinceNanos()} of a connection that is not idle. */
  static final long BUSY = Long.MIN_VALUE;

  /** What the budget needs to know of a connection. */
  interface Slot {
    /** The peer's uid as the kernel reports it, or -1 when unknown. */
    long uid();

    /** Nanotime since which the connection has been idle, or {@link #BUSY}. */
    long idleSinceNanos();

    /** Ends the connection with a notice if it is still idle; true when it did. */
    boolean closeIfIdle(String why);
  }

  private final int max;
  private final int perUser;
  private final Set<Slot> live = new LinkedHashSet<>(); // guarded by this
  private final Map<Long, Integer> perUid = new HashMap<>(); // guarded by this

  ConnectionBudget(int max, int perUser) {
    this.max = max;
    this.perUser = perUser;
  }

  /**
   * Admits {@code s}, displacing an idle connection if need be.
   *
   * @return null when admitted, else why not (for the client's {@code ThrottlingException})
   */
  synchronized String admit(Slot s) {
    if (perUid.getOrDefault(s.uid(), 0) >= perUser) {
      if (!displaceIdle(s.uid())) {
        return "this user already holds its share of " + perUser + " connections to the daemon"
            + " (max-connections-per-user); close some or retry shortly";
      }
    } else if (live.size() >= max) {
      if (!displaceIdle(null)) {
        return "the daemon is at its limit of " + max + " connections (max-connections); retry"
            + " shortly";
      }
    }
    live.add(s);
    perUid.merge(s.uid(), 1, Integer::sum);
    return null;
  }

  /** Gives back the place of a connection that has ended (or was displaced). */
  synchronized void release(Slot s) {
    if (live.remove(s)) {
      perUid.computeIfPresent(s.uid(), (k, n) -> n == 1 ? null : n - 1);
    }
  }

  /** Every live connection, for the watchdog. */
  synchronized List<Slot> snapshot() {
    return new ArrayList<>(live);
  }

  synchronized int size() {
    return live.size();
  }

  /** Closes the longest-idle connection (of {@code uid}, when given) and frees its place. */
  private boolean displaceIdle(Long uid) {
    Slot oldest = null;
    long oldestSince = 0;
    long now = System.nanoTime();
    for (Slot c : live) {
      long since = c.idleSinceNanos();
      if (since != BUSY && now - since >= MIN_IDLE_TO_DISPLACE_NANOS
          && (uid == null || c.uid() == uid)
          && (oldest == null || since - oldestSince < 0)) {
        oldest = c;
        oldestSince = since;
      }
    }
    if (oldest == null || !oldest.closeIfIdle(
        "the daemon needed this idle connection's place for a new one")) {
      return false; // none idle, or it became busy between the two looks
    }
    // Its thread releases it again when it ends; release() ignores the second call.
    release(oldest);
    return true;
  }
}
