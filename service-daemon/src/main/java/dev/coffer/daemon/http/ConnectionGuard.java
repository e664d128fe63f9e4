package dev.coffer.daemon.http;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.AbstractMetaDataConnection;
import org.eclipse.jetty.util.component.AbstractLifeCycle;
import org.eclipse.jetty.util.thread.Scheduler;

/**
 * Keeps slow, idle or numerous clients from locking others out of the endpoint (the socket door
 * has the same bounds). Threads are not the issue (bodies are read without holding one, {@link
 * RequestBodyReader}, and Jetty parses heads the same way); connections are. Three rules, on the
 * HTTP layer of each connection (the TLS layer below it is covered through it):
 *
 * <ul>
 *   <li><b>Request-read deadline</b> (slowloris: a few bytes every few seconds keep the idle
 *       timeout from firing). A whole request, head and body, must arrive within {@code
 *       requestReadTimeout} of its first byte; a new connection must deliver its first whole
 *       request within that time of opening (which covers clients that stay silent and clients
 *       that trickle the TLS handshake, whose bytes never reach the HTTP layer). Otherwise the
 *       connection is closed. A request being handled, however slowly, is not timed, nor is a
 *       kept-alive connection between requests (the idle timeout covers it).
 *   <li><b>Connections per source address.</b> A connection from an address that already has
 *       {@code maxConnectionsPerSource} open is closed as it opens, so one host cannot take the
 *       whole connection limit.
 *   <li><b>Idle connections make room at the limit.</b> While {@code maxConnections} are open
 *       (Jetty then stops accepting), every connection's idle timeout drops to
 *       {@code idleAtLimit}, so keep-alive connections nobody uses are closed and waiting
 *       clients get in; below the limit the normal idle timeout comes back.
 * </ul>
 *
 * <p>The endpoint's handler reports each request's progress ({@link #requestStarted}, {@link
 * #requestRead}, {@link #responded}); a sweep every tenth of the deadline (at most every second)
 * closes the connections past it.
 */
final class ConnectionGuard extends AbstractLifeCycle implements Connection.Listener {

  private static final Logger LOG = Logger.getLogger(ConnectionGuard.class.getName());

  /** Where a connection is in its request cycle. */
  private enum Phase {
    /** Opened, first request not yet arrived: timed from opening. */
    OPENED,
    /** Between requests on a kept-alive connection: not timed until bytes arrive. */
    IDLE,
    /** A request is arriving: timed from its first byte. */
    READING,
    /** The request is complete and being answered: not timed. */
    HANDLING
  }

  private static final class Watch {
    final InetAddress source;
    /** Whose share the connection counts against ({@link #shareOf}). */
    final InetAddress share;
    volatile Phase phase = Phase.OPENED;
    volatile long sinceNanos = System.nanoTime();
    volatile long bytesMark;

    Watch(InetAddress source) {
      this.source = source;
      this.share = source == null ? null : shareOf(source);
    }
  }

  private final Scheduler scheduler;
  private final Executor executor;
  private final long deadlineNanos;
  private final long tickMillis;
  private final int maxConnections;
  private final int maxPerSource;
  private final long idleMillis;
  private final long idleAtLimitMillis;
  private final Map<Connection, Watch> open = new ConcurrentHashMap<>();
  /** Open connections per source address; an entry lives while its address has one. */
  private final Map<InetAddress, AtomicInteger> perSource = new ConcurrentHashMap<>();
  private final ThrottledLog closures = new ThrottledLog(LOG, Level.INFO, 60);
  private volatile Scheduler.Task sweep;
  private volatile boolean stopped;

  /**
   * @param scheduler runs the sweep
   * @param executor closes the connections past their deadline (closing one runs its failure
   *     callbacks, which must not hold up the sweep)
   */
  ConnectionGuard(Scheduler scheduler, Executor executor, HttpLimits limits) {
    this.scheduler = scheduler;
    this.executor = executor;
    this.deadlineNanos = limits.requestReadTimeout().toNanos();
    this.tickMillis = Math.max(20, Math.min(1_000, limits.requestReadTimeout().toMillis() / 10));
    this.maxConnections = limits.maxConnections();
    this.maxPerSource = limits.maxConnectionsPerSource();
    this.idleMillis = limits.idleTimeout().toMillis();
    this.idleAtLimitMillis = limits.idleTimeoutAtLimit().toMillis();
  }

  @Override
  protected void doStart() {
    stopped = false;
    scheduleSweep();
  }

  @Override
  protected void doStop() {
    stopped = true;
    Scheduler.Task t = sweep;
    if (t != null) {
      t.cancel();
    }
  }

  @Override
  public void onOpened(Connection connection) {
    if (!(connection instanceof AbstractMetaDataConnection)) {
      return;
    }
    InetAddress source = addressOf(connection.getEndPoint().getRemoteSocketAddress());
    Watch watch = new Watch(source);
    open.put(connection, watch);
    if (source != null && perSource.computeIfAbsent(watch.share, s -> new AtomicInteger())
        .incrementAndGet() > maxPerSource) {
      closures.note("closed a connection from " + source.getHostAddress() + ": it already has "
          + maxPerSource + " open (https-max-connections-per-source)");
      closeNetwork(connection);
      return;
    }
    if (open.size() >= maxConnections) {
      open.keySet().forEach(c -> c.getEndPoint().setIdleTimeout(idleAtLimitMillis));
    }
  }

  @Override
  public void onClosed(Connection connection) {
    Watch watch = open.remove(connection);
    if (watch == null) {
      return;
    }
    if (watch.share != null) {
      perSource.computeIfPresent(watch.share,
          (s, n) -> n.decrementAndGet() <= 0 ? null : n);
    }
    if (open.size() == maxConnections - 1) {
      open.keySet().forEach(c -> c.getEndPoint().setIdleTimeout(idleMillis));
    }
  }

  /** The head of a request has arrived on {@code connection}; its body may follow. */
  void requestStarted(Connection connection) {
    Watch w = open.get(connection);
    if (w != null && (w.phase == Phase.IDLE || w.phase == Phase.HANDLING)) {
      // Pipelined after the previous answer, or its bytes arrived between two sweeps.
      w.sinceNanos = System.nanoTime();
      w.phase = Phase.READING;
    } else if (w != null && w.phase == Phase.OPENED) {
      w.phase = Phase.READING; // still timed from the connection's opening
    }
  }

  /** The whole request has arrived on {@code connection}: answering it is not timed. */
  void requestRead(Connection connection) {
    Watch w = open.get(connection);
    if (w != null) {
      w.phase = Phase.HANDLING;
    }
  }

  /** The answer was sent on {@code connection}; it is idle until the next request's bytes. */
  void responded(Connection connection) {
    Watch w = open.get(connection);
    if (w != null) {
      w.bytesMark = networkBytesIn(connection);
      w.phase = Phase.IDLE;
    }
  }

  private void scheduleSweep() {
    sweep = scheduler.schedule(this::sweep, tickMillis, TimeUnit.MILLISECONDS);
  }

  private void sweep() {
    try {
      long now = System.nanoTime();
      open.forEach((connection, w) -> {
        switch (w.phase) {
          case IDLE -> {
            if (networkBytesIn(connection) > w.bytesMark) {
              w.sinceNanos = now;
              w.phase = Phase.READING;
            }
          }
          case OPENED, READING -> {
            if (now - w.sinceNanos > deadlineNanos && connection.getEndPoint().isOpen()) {
              closures.note("closed a connection from " + (w.source == null ? "?"
                  : w.source.getHostAddress()) + " that did not send a whole request within "
                  + TimeUnit.NANOSECONDS.toMillis(deadlineNanos) + " ms"
                  + " (https-request-read-timeout-seconds)");
              executor.execute(() -> closeNetwork(connection));
            }
          }
          case HANDLING -> { }
        }
      });
    } finally {
      if (!stopped) {
        scheduleSweep();
      }
    }
  }

  /**
   * Closes the TCP connection under {@code connection}, not only its TLS layer: closing the TLS
   * layer first tries to send a close alert, which a client that does not read can hold up.
   */
  private static void closeNetwork(Connection connection) {
    EndPoint endPoint = connection.getEndPoint();
    while (endPoint instanceof EndPoint.Wrapper wrapper) {
      endPoint = wrapper.unwrap();
    }
    endPoint.close();
  }

  /**
   * Bytes received on the TCP connection under {@code connection}: for TLS, before decryption.
   * The HTTP layer's own count grows only once a whole TLS record has decrypted, so a client
   * dripping the bytes of a record that never completes would look idle to it, while each byte
   * keeps the idle timeout from firing.
   */
  private static long networkBytesIn(Connection connection) {
    EndPoint endPoint = connection.getEndPoint();
    while (endPoint instanceof EndPoint.Wrapper wrapper) {
      endPoint = wrapper.unwrap();
    }
    Connection network = endPoint.getConnection();
    return network == null ? connection.getBytesIn() : network.getBytesIn();
  }

  /**
   * The source whose connections are counted together: an IPv4 address, or the /64 of an IPv6
   * address (what one host or site usually holds: a host with privacy addresses, or an
   * attacker with a /64, would otherwise get a share per address). The same rule as the audit
   * of failed authentications ({@link FailedAuthenticationAudit#sourceOf}).
   */
  static InetAddress shareOf(InetAddress address) {
    byte[] a = address.getAddress();
    if (a.length != 16) {
      return address;
    }
    java.util.Arrays.fill(a, 8, 16, (byte) 0);
    try {
      return InetAddress.getByAddress(a);
    } catch (java.net.UnknownHostException e) {
      throw new IllegalStateException("16 bytes are always an IPv6 address", e);
    }
  }

  private static InetAddress addressOf(SocketAddress address) {
    return address instanceof InetSocketAddress a ? a.getAddress() : null;
  }
}
