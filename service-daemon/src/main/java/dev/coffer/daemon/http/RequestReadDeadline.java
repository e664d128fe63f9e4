package dev.coffer.daemon.http;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.server.AbstractMetaDataConnection;
import org.eclipse.jetty.util.thread.Scheduler;

/**
 * Drops HTTP connections on which a request keeps arriving without ever completing (slowloris:
 * a few bytes every few seconds keep the idle timeout from firing and hold a connection slot).
 *
 * <p>Every {@code period} each HTTP connection is sampled. A sample that finds new bytes but no
 * new request marks the connection as "mid-request"; if the next sample still finds no new
 * request, the client has spent at least a whole period sending part of one request, and the
 * connection is closed. So a request that has started arriving must complete within two
 * periods. Silent connections are left to the idle timeout; a request being handled (however
 * slowly) is not penalised, since no bytes arrive meanwhile.
 */
final class RequestReadDeadline implements Connection.Listener {

  private final Scheduler scheduler;
  private final long periodMillis;

  RequestReadDeadline(Scheduler scheduler, Duration period) {
    this.scheduler = scheduler;
    this.periodMillis = period.toMillis();
  }

  @Override
  public void onOpened(Connection connection) {
    // Only the HTTP layer counts requests; the TLS layer below it is covered through it.
    if (connection instanceof AbstractMetaDataConnection) {
      schedule(connection, connection.getBytesIn(), connection.getMessagesIn(), false);
    }
  }

  private void schedule(Connection connection, long bytes, long messages, boolean midRequest) {
    scheduler.schedule(() -> sample(connection, bytes, messages, midRequest), periodMillis,
        TimeUnit.MILLISECONDS);
  }

  private void sample(Connection connection, long bytesBefore, long messagesBefore,
      boolean wasMidRequest) {
    if (!connection.getEndPoint().isOpen()) {
      return;
    }
    long bytes = connection.getBytesIn();
    long messages = connection.getMessagesIn();
    boolean midRequest = messages == messagesBefore && (bytes > bytesBefore || wasMidRequest);
    if (midRequest && wasMidRequest) {
      connection.getEndPoint().close();
      return;
    }
    schedule(connection, bytes, messages, midRequest);
  }
}
