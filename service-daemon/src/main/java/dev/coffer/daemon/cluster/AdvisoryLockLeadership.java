package dev.coffer.daemon.cluster;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Leadership by a PostgreSQL session-level advisory lock held on a connection of its own.
 *
 * <p>A daemon thread, every {@link #DEFAULT_CHECK_INTERVAL}: while leader, checks the session
 * that holds the lock is still alive ({@code SELECT 1} on it); otherwise tries {@code
 * pg_try_advisory_lock(LOCK_KEY)}, which never waits. A failed query or a lost connection means
 * "not leader" at once (the lock lives and dies with the session), then a new connection and a
 * new attempt. When a leader's process dies the kernel closes its socket, PostgreSQL ends its
 * session and frees its advisory locks, and a follower takes the lock at its next attempt: so
 * leadership moves within about one check interval (plus the time PostgreSQL needs to notice a
 * dead peer: at once for a killed process, up to the TCP keepalive settings for a host that
 * vanished from the network).
 *
 * <p>{@link #isLeader} is also false once the last successful check is older than three
 * intervals: a check that hangs (a network partition that neither answers nor resets the
 * connection) must not leave a node believing it leads while the database may already have
 * ended its session and let another node take the lock.
 *
 * <p>A leader cut off from the database stops being leader at its next check, but may have
 * begun a maintenance pass before; the due-item work is therefore idempotent (see {@link
 * Leadership}), so an overlap of two runners changes nothing twice.
 */
public final class AdvisoryLockLeadership implements Leadership {

  private static final Logger LOG = Logger.getLogger(AdvisoryLockLeadership.class.getName());

  /** The advisory lock's key: "coffer", ASCII, read as a big-endian number; one per database. */
  public static final long LOCK_KEY = 0x636f66666572L;

  public static final Duration DEFAULT_CHECK_INTERVAL = Duration.ofMillis(500);

  private final Supplier<Connection> connections;
  private final String nodeId;
  private final long intervalMillis;
  private final Thread thread;
  private final Object monitor = new Object();
  private volatile boolean leader;
  /** System.nanoTime() of the last check that confirmed the lock. */
  private volatile long confirmedNanos;
  private volatile boolean closed;
  private Connection connection; // only the thread touches it, and close() after joining it
  private String lastProblem; // the last connection failure logged, so a long outage logs once

  /**
   * Starts trying at once; {@link #isLeader} turns true within one interval if the lock is free.
   *
   * @param connections a new connection to the cluster's PostgreSQL database on each call
   *     ({@code Database.newConnection()}); may throw when the database is unreachable
   * @param nodeId this node's id, for the log
   */
  public AdvisoryLockLeadership(Supplier<Connection> connections, String nodeId,
      Duration checkInterval) {
    this.connections = connections;
    this.nodeId = nodeId;
    this.intervalMillis = Math.max(1, checkInterval.toMillis());
    this.thread = new Thread(this::run, "coffer-leadership");
    thread.setDaemon(true);
    thread.start();
  }

  public AdvisoryLockLeadership(Supplier<Connection> connections, String nodeId) {
    this(connections, nodeId, DEFAULT_CHECK_INTERVAL);
  }

  @Override
  public boolean isLeader() {
    return leader && !closed
        && System.nanoTime() - confirmedNanos < 3 * intervalMillis * 1_000_000L;
  }

  private void run() {
    while (!closed) {
      check();
      synchronized (monitor) {
        if (!closed) {
          try {
            monitor.wait(intervalMillis);
          } catch (InterruptedException e) {
            return;
          }
        }
      }
    }
  }

  /** One round: keep or take the lock; any failure drops leadership and the connection. */
  private void check() {
    try {
      if (connection == null) {
        connection = connections.get();
        connection.setAutoCommit(true);
      }
      if (leader) {
        // The session was alive when the query was sent at the latest: count from then.
        long asked = System.nanoTime();
        try (Statement s = connection.createStatement()) {
          s.setQueryTimeout(queryTimeoutSeconds());
          s.execute("SELECT 1");
        }
        confirmedNanos = asked;
      } else {
        try (PreparedStatement s = connection.prepareStatement("SELECT pg_try_advisory_lock(?)")) {
          s.setQueryTimeout(queryTimeoutSeconds());
          s.setLong(1, LOCK_KEY);
          long asked = System.nanoTime();
          try (ResultSet r = s.executeQuery()) {
            if (r.next() && r.getBoolean(1)) {
              confirmedNanos = asked;
              setLeader(true, null);
            }
          }
        }
      }
      lastProblem = null;
    } catch (SQLException | RuntimeException e) {
      setLeader(false, "lost its database session (" + e.getMessage() + ")");
      dropConnection();
      String problem = String.valueOf(e.getMessage());
      if (!problem.equals(lastProblem)) {
        lastProblem = problem;
        LOG.log(Level.WARNING, "node " + nodeId + ": leadership connection failed; retrying: "
            + problem);
      }
    }
  }

  private int queryTimeoutSeconds() {
    return (int) Math.max(1, intervalMillis * 3 / 1000);
  }

  private void setLeader(boolean now, String why) {
    if (leader == now) {
      return;
    }
    leader = now;
    if (now) {
      LOG.info(() -> "node " + nodeId + " is now the leader: it runs the scheduled work");
    } else {
      LOG.warning(() -> "node " + nodeId + " is no longer the leader: " + why);
    }
  }

  private void dropConnection() {
    Connection c = connection;
    connection = null;
    if (c != null) {
      try {
        c.close();
      } catch (SQLException | RuntimeException ignored) {
        // The session is gone either way; closing is only tidying up.
      }
    }
  }

  /**
   * Stops trying and closes the connection, which ends the session and frees the lock at once
   * (no wait for a follower's timeout).
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    synchronized (monitor) {
      monitor.notifyAll();
    }
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (leader) {
      leader = false;
      LOG.info(() -> "node " + nodeId + " gave up leadership (shutting down)");
    }
    dropConnection();
  }
}
