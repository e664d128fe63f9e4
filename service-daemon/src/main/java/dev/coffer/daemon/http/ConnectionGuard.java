package dev.coffer.daemon.http;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.server.AbstractMetaDataConnection;
import org.eclipse.jetty.util.thread.Scheduler;

/**
 * Keeps slow or idle clients from locking others out of the endpoint (the socket door has the
 * same bounds). Two rules, on the HTTP layer of each connection (the TLS layer below it is
 * covered through it):
 *
 * <ul>
 *   <li><b>Request-read deadline</b> (slowloris: a few bytes every few seconds keep the idle
 *       timeout from firing). Every {@code readPeriod} each connection is sampled; a sample that
 *       finds new bytes but no new request marks it "mid-request", and if the next sample still
 *       finds no new request the connection is closed. So a request that has started arriving
 *       must complete within two periods. A request being handled, however slowly, is not
 *       penalised: no bytes arrive meanwhile. A connection whose <em>first</em> request has not
 *       arrived two periods after it opened is closed too: that covers clients that stay silent
 *       and clients that trickle the TLS handshake (whose bytes never reach the HTTP layer).
 *   <li><b>Idle connections make room at the limit.</b> While {@code maxConnections} are open
 *       (Jetty then stops accepting), every connection's idle timeout drops to
 *       {@code idleAtLimit}, so keep-alive connections nobody uses are closed and waiting
 *       clients get in; below the limit the normal idle timeout comes back.
 * </ul>
 */
final class ConnectionGuard implements Connection.Listener {

  private final Scheduler scheduler;
  private final long readPeriodMillis;
  private final int maxConnections;
  private final long idleMillis;
  private final long idleAtLimitMillis;
  private final Set<Connection> open = ConcurrentHashMap.newKeySet();

  ConnectionGuard(Scheduler scheduler, HttpLimits limits) {
    this.scheduler = scheduler;
    this.readPeriodMillis = limits.requestReadTimeout().toMillis();
    this.maxConnections = limits.maxConnections();
    this.idleMillis = limits.idleTimeout().toMillis();
    this.idleAtLimitMillis = limits.idleTimeoutAtLimit().toMillis();
  }

  @Override
  public void onOpened(Connection connection) {
    if (!(connection instanceof AbstractMetaDataConnection)) {
      return;
    }
    open.add(connection);
    if (open.size() >= maxConnections) {
      open.forEach(c -> c.getEndPoint().setIdleTimeout(idleAtLimitMillis));
    }
    schedule(connection, connection.getBytesIn(), connection.getMessagesIn(), false, 0);
  }

  @Override
  public void onClosed(Connection connection) {
    if (open.remove(connection) && open.size() == maxConnections - 1) {
      open.forEach(c -> c.getEndPoint().setIdleTimeout(idleMillis));
    }
  }

  private void schedule(Connection connection, long bytes, long messages, boolean midRequest,
      int samples) {
    scheduler.schedule(() -> sample(connection, bytes, messages, midRequest, samples + 1),
        readPeriodMillis, TimeUnit.MILLISECONDS);
  }

  private void sample(Connection connection, long bytesBefore, long messagesBefore,
      boolean wasMidRequest, int samples) {
    if (!connection.getEndPoint().isOpen()) {
      return;
    }
    long bytes = connection.getBytesIn();
    long messages = connection.getMessagesIn();
    boolean midRequest = messages == messagesBefore && (bytes > bytesBefore || wasMidRequest);
    boolean noFirstRequest = messages <= 0 && samples >= 2;
    if ((midRequest && wasMidRequest) || noFirstRequest) {
      connection.getEndPoint().close();
      return;
    }
    schedule(connection, bytes, messages, midRequest, samples);
  }
}
