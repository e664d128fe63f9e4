package dev.coffer.daemon.cluster;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * Tells every node of a cluster which rows another node changed, so each reloads them into its
 * in-memory view (see docs/cluster.md, Consistency).
 *
 * <p>Sending: {@link #pgNotify()} runs {@code SELECT pg_notify('coffer_changes', '<topic>:<id>')}
 * inside the transaction that makes the change; PostgreSQL delivers the notification when that
 * transaction commits and never for one rolled back. Receiving: {@link #start} opens its own
 * connection, {@code LISTEN coffer_changes}, and hands each payload to the {@link Reloaders} on a
 * daemon thread. A lost connection (a database restart, a network break) is reopened, and since
 * announcements sent meanwhile are lost, everything is reloaded then. A node also hears its own
 * announcements; reloading what it has just written re-reads the same rows.
 *
 * <p>SQLite has no feed: one node, whose own writes update its view.
 */
public final class ChangeFeed implements AutoCloseable {

  /** The PostgreSQL notification channel. */
  public static final String CHANNEL = "coffer_changes";

  /** How long one wait for notifications lasts before the loop checks it should stop. */
  static final int POLL_MILLIS = 250;

  /**
   * A listening connection that has heard nothing for this long is asked a question: a
   * partition that neither answers nor resets the connection would otherwise leave the node
   * believing its view current (milliseconds).
   */
  static final long HEARTBEAT_MILLIS = 1_000;

  /** How long the heartbeat's question may take before the connection counts as lost (s). */
  static final int HEARTBEAT_TIMEOUT_SECONDS = 2;
  /** Pause between attempts to reopen a lost connection. */
  static final long RECONNECT_MILLIS = 200;

  private static final Logger LOG = Logger.getLogger(ChangeFeed.class.getName());

  /** What changed: the first part of a payload {@code <topic>:<id>}. */
  public enum Topic {
    KEY("key"),
    ALIAS("alias"),
    POLICY("policy"),
    GRANT("grant"),
    ACCESS_KEY("access-key"),
    KEY_STORE("key-store"),
    MANAGED("managed");

    private final String wire;

    Topic(String wire) {
      this.wire = wire;
    }

    /** The topic's name in payloads. */
    public String wire() {
      return wire;
    }

    /** The topic named {@code wire}, or null for one this node does not know. */
    static Topic of(String wire) {
      for (Topic t : values()) {
        if (t.wire.equals(wire)) {
          return t;
        }
      }
      return null;
    }
  }

  /** The payload announcing {@code id} of {@code topic}. */
  public static String payload(Topic topic, String id) {
    return topic.wire() + ":" + id;
  }

  /**
   * The announcer for PostgreSQL: {@code pg_notify} in the changing transaction, delivered at its
   * commit.
   */
  public static Announcer pgNotify() {
    return (tx, topic, id) -> notify(tx.connection(), topic, id);
  }

  /** Runs {@code pg_notify} for one change on {@code conn}, inside its current transaction. */
  public static void notify(Connection conn, Topic topic, String id) throws SQLException {
    try (PreparedStatement p = conn.prepareStatement("SELECT pg_notify(?, ?)")) {
      p.setString(1, CHANNEL);
      p.setString(2, payload(topic, id));
      p.executeQuery().close();
    }
  }

  private final Supplier<Connection> connections;
  private final Reloaders reloaders;
  private final Thread thread;
  private volatile boolean closed;
  private volatile Connection current;

  private ChangeFeed(Supplier<Connection> connections, Reloaders reloaders) {
    this.connections = connections;
    this.reloaders = reloaders;
    this.thread = new Thread(this::run, "coffer-change-feed");
    thread.setDaemon(true);
  }

  /**
   * Starts listening: the one call that joins a node to the feed. Returns once the first
   * connection listens (so a change committed after this returns is not missed), or throws if
   * it cannot be opened.
   *
   * @param connections opens a new connection to the cluster's PostgreSQL database (e.g.
   *     {@code Database.newConnection()}); the feed owns and closes what it returns
   * @param reloaders what to reload per announcement, and everything after a reconnect
   */
  public static ChangeFeed start(Supplier<Connection> connections, Reloaders reloaders)
      throws SQLException {
    ChangeFeed feed = new ChangeFeed(connections, reloaders);
    feed.current = feed.listen();
    feed.thread.start();
    return feed;
  }

  private Connection listen() throws SQLException {
    Connection c = connections.get();
    try {
      c.setAutoCommit(true);
      try (Statement s = c.createStatement()) {
        s.execute("LISTEN " + CHANNEL);
      }
      return c;
    } catch (SQLException | RuntimeException e) {
      closeQuietly(c);
      throw e;
    }
  }

  private void run() {
    boolean stale = false; // a reload failed: its item is as old as before the announcement
    long heard = System.nanoTime(); // when the server last answered on this connection
    while (!closed) {
      Connection c = current;
      try {
        if (c == null) {
          c = listen();
          current = c;
          // Announcements sent while no connection listened are lost: reload everything.
          reloaders.reloadAll();
          stale = false;
        } else if (stale) {
          // Which item failed matters less than the bound: reload everything now, and until
          // that succeeds (a failure here takes the reconnecting path, which retries it).
          LOG.info("change feed: reloading everything after a failed reload");
          reloaders.reloadAll();
          stale = false;
        }
        PGNotification[] got = c.unwrap(PGConnection.class).getNotifications(POLL_MILLIS);
        if (got != null && got.length > 0) {
          heard = System.nanoTime();
          for (PGNotification n : got) {
            stale |= !deliver(n.getParameter());
          }
        } else if (System.nanoTime() - heard > HEARTBEAT_MILLIS * 1_000_000L) {
          heartbeat(c);
          heard = System.nanoTime();
        }
      } catch (SQLException | RuntimeException e) {
        if (closed) {
          break;
        }
        LOG.log(Level.WARNING, "change feed connection lost; reconnecting: " + e.getMessage());
        closeQuietly(c);
        current = null;
        sleep(RECONNECT_MILLIS);
      }
    }
    closeQuietly(current);
  }

  /**
   * Asks the server a trivial question on the listening connection; throws when it does not
   * answer in time, which the caller handles as a lost connection (logged, reopened, everything
   * reloaded).
   */
  private static void heartbeat(Connection c) throws SQLException {
    // A socket timeout, not a query timeout: cancelling a query needs a second connection,
    // which a partition blocks as well.
    int before = c.getNetworkTimeout();
    c.setNetworkTimeout(Runnable::run, HEARTBEAT_TIMEOUT_SECONDS * 1000);
    try (Statement s = c.createStatement()) {
      s.execute("SELECT 1");
    } finally {
      c.setNetworkTimeout(Runnable::run, before);
    }
  }

  /** Reloads what {@code payload} names; false if that failed (the item is stale). */
  private boolean deliver(String payload) {
    int colon = payload.indexOf(':');
    Topic topic = colon < 0 ? null : Topic.of(payload.substring(0, colon));
    if (topic == null) {
      LOG.warning("change feed: ignoring an announcement of an unknown topic: " + payload);
      return true;
    }
    try {
      reloaders.reload(topic, payload.substring(colon + 1));
      return true;
    } catch (RuntimeException e) {
      // Left alone, the item would stay stale until its next change (a key disabled on another
      // node still enabled here): the caller reloads everything.
      LOG.log(Level.WARNING, "change feed: reloading " + payload + " failed; reloading"
          + " everything", e);
      return false;
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void closeQuietly(Connection c) {
    if (c != null) {
      try {
        c.close();
      } catch (SQLException ignored) {
        // gone already
      }
    }
  }

  /** Stops listening and closes the connection. */
  @Override
  public void close() {
    closed = true;
    thread.interrupt();
    try {
      thread.join(2_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
