package dev.coffer.protocol;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A small pool of pipelined connections to the daemon, with deadlines and transparent
 * reconnection.
 *
 * <p>A request that could not be written is retried once on a fresh connection (the daemon never
 * saw it); a request whose answer was lost is reported as {@link ErrorType#DAEMON_UNAVAILABLE},
 * never silently repeated, because it may have been applied. A request the daemon reports it did
 * not process (it refused the connection at its limit, or closed an idle one: {@link
 * DaemonConnection.NotProcessedException}) is sent once more after a short pause; if that fails
 * too, the caller gets the daemon's own error, such as {@code ThrottlingException}.
 */
public final class DaemonClient implements Closeable {

  private final Path socket;
  private final Duration timeout;
  private final int maxBodyBytes;
  private final DaemonConnection[] slots;
  private volatile boolean closed;

  public DaemonClient(Path socket, int connections, Duration timeout) {
    this(socket, connections, timeout, Frame.DEFAULT_MAX_BODY_BYTES);
  }

  public DaemonClient(Path socket, int connections, Duration timeout, int maxBodyBytes) {
    if (connections < 1) {
      throw new IllegalArgumentException("need at least one connection");
    }
    this.socket = socket;
    this.timeout = timeout;
    this.maxBodyBytes = maxBodyBytes;
    this.slots = new DaemonConnection[connections];
  }

  /** A client for the socket {@link SocketLocator#forClient()} finds. */
  public static DaemonClient forDefaultSocket() {
    return new DaemonClient(SocketLocator.forClient(), 2, Duration.ofSeconds(30));
  }

  public Path socket() {
    return socket;
  }

  /** Calls one operation and waits for its output. */
  public ObjectNode call(String operation, ObjectNode input) {
    CompletableFuture<ObjectNode> f = callAsync(operation, input);
    try {
      return f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof KmsException k) {
        // Re-create so the stack trace shows the caller, keep the daemon's name and message.
        throw new KmsException(k.errorType(), k.getMessage(), k);
      }
      throw new KmsException(ErrorType.INTERNAL, "unexpected client failure", e.getCause());
    } catch (TimeoutException e) {
      f.cancel(false);
      throw new KmsException(
          ErrorType.DEPENDENCY_TIMEOUT,
          "the Coffer daemon did not answer " + operation + " within " + timeout.toMillis()
              + " ms; the request may still be applied");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new KmsException(ErrorType.INTERNAL, "interrupted while waiting for the daemon", e);
    }
  }

  /** Pause before a request the daemon did not process is sent again, plus up to as much jitter. */
  private static final long RETRY_PAUSE_MILLIS = 100;

  /** Sends one operation; the future fails with a {@link KmsException}. */
  public CompletableFuture<ObjectNode> callAsync(String operation, ObjectNode input) {
    return attempt(operation, input).exceptionallyCompose(e -> {
      Throwable cause = e instanceof CompletionException && e.getCause() != null
          ? e.getCause() : e;
      if (cause instanceof DaemonConnection.NotProcessedException && !closed) {
        long pause = RETRY_PAUSE_MILLIS
            + ThreadLocalRandom.current().nextLong(RETRY_PAUSE_MILLIS);
        return CompletableFuture.supplyAsync(() -> attempt(operation, input),
                CompletableFuture.delayedExecutor(pause, TimeUnit.MILLISECONDS))
            .thenCompose(f -> f);
      }
      return CompletableFuture.failedFuture(cause);
    });
  }

  private CompletableFuture<ObjectNode> attempt(String operation, ObjectNode input) {
    IOException last = null;
    for (int attempt = 0; attempt < 2; attempt++) {
      DaemonConnection c;
      try {
        c = connection();
      } catch (IOException e) {
        last = e;
        continue;
      }
      try {
        return c.send(operation, input);
      } catch (IOException e) {
        last = e;
      }
    }
    return CompletableFuture.failedFuture(
        new KmsException(
            ErrorType.DAEMON_UNAVAILABLE,
            "cannot reach the Coffer daemon at " + socket + " (" + last.getMessage()
                + "); start it with `coffer serve` or set COFFER_SOCKET / -Dcoffer.socket",
            last));
  }

  private DaemonConnection connection() throws IOException {
    if (closed) {
      throw new IOException("client is closed");
    }
    // A thread keeps to one connection, so concurrent callers spread over the pool evenly.
    int i = slots.length == 1 ? 0 : (int) (Thread.currentThread().getId() % slots.length);
    DaemonConnection c = slots[i];
    if (c != null && c.isOpen()) {
      return c;
    }
    synchronized (slots) {
      c = slots[i];
      if (c == null || !c.isOpen()) {
        c = DaemonConnection.open(socket, maxBodyBytes);
        slots[i] = c;
      }
      return c;
    }
  }

  @Override
  public void close() {
    closed = true;
    synchronized (slots) {
      for (int i = 0; i < slots.length; i++) {
        if (slots[i] != null) {
          slots[i].close();
          slots[i] = null;
        }
      }
    }
  }
}
