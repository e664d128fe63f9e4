package dev.coffer.esdk;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * One stream read or write at a time on a pooled background thread, so that copying a batch in
 * or out overlaps the AES-GCM work on the caller's thread: sealing and the two stream copies
 * then take about as long as the sealing alone (two cores), instead of their sum.
 *
 * <p>The caller starts at most one task, then {@link #await}s it before it touches what the
 * task touches (the stream, the buffer, the signature) again; {@link #close} waits for a task
 * still running, so nothing reads or writes the caller's streams after the caller returns.
 * Threads are daemons, shared by every message in this JVM and kept 60 s after their last use
 * (the keep-alive of {@link Executors#newCachedThreadPool}).
 */
final class BackgroundIo implements AutoCloseable {

  /** A read or write; returns the bytes read, or anything for a write. */
  @FunctionalInterface
  interface Task {
    int run() throws IOException;
  }

  private static final ExecutorService POOL = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "coffer-message-io");
    t.setDaemon(true);
    return t;
  });

  private Future<Integer> pending;

  /** Starts {@code task}; the previous one must have been awaited. */
  void start(Task task) {
    if (pending != null) {
      throw new IllegalStateException("the previous background I/O was not awaited");
    }
    Callable<Integer> call = task::run;
    pending = POOL.submit(call);
  }

  boolean running() {
    return pending != null;
  }

  /**
   * Waits for the task started last; returns its result, or 0 when none was started.
   *
   * @throws IOException the task's own
   */
  int await() throws IOException {
    if (pending == null) {
      return 0;
    }
    Future<Integer> f = pending;
    pending = null;
    try {
      return f.get();
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof IOException io) {
        throw io;
      }
      if (cause instanceof RuntimeException re) {
        throw re;
      }
      if (cause instanceof Error err) {
        throw err;
      }
      throw new IOException(cause);
    } catch (InterruptedException e) {
      // The task still runs: wait it out so it cannot touch the streams after we return.
      awaitQuietly(f);
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while waiting for background I/O");
    }
  }

  /** Waits for a task still running, ignoring its outcome (the caller is already failing). */
  @Override
  public void close() {
    if (pending != null) {
      awaitQuietly(pending);
      pending = null;
    }
  }

  private static void awaitQuietly(Future<Integer> f) {
    boolean interrupted = false;
    while (true) {
      try {
        f.get();
        break;
      } catch (InterruptedException e) {
        interrupted = true;
      } catch (ExecutionException e) {
        break;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }
}
