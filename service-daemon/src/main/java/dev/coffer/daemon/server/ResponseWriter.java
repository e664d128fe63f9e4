package dev.coffer.daemon.server;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.concurrent.ThreadFactory;

/**
 * The outbound side of one connection: a queue of encoded frames drained by the connection's
 * own writer thread, so a peer that stops reading blocks only that thread, never a shared worker
 * or another connection. The connection's reader writes its own responses directly while
 * nothing is queued (see {@link #answer}); the writer thread starts with the first frame queued.
 *
 * <p>Backpressure falls on the offending connection: the reader calls {@link #awaitRoom()}
 * before it reads each frame, and waits while {@value #MAX_UNANSWERED} requests are unanswered
 * (read but their responses not yet written) or {@value #MAX_QUEUED_BYTES} bytes of responses
 * wait to be written. The peer's own requests then pile up in its socket buffer, and its writes
 * block. A peer that takes nothing for the write timeout is disconnected by the server's
 * watchdog ({@link #stalledSince()}).
 *
 * <p>Ordering rule, relied on by clients: a final frame ({@link #finish}) is written only after
 * the response to every admitted request, and no request is admitted once the connection is
 * finishing. So every request still unanswered when a client reads a final frame was never
 * processed, and may be retried.
 */
final class ResponseWriter {

  /** Requests one connection may have read and not yet had answered. */
  static final int MAX_UNANSWERED = 64;
  /** Response bytes one connection may have waiting before its reader pauses. */
  static final long MAX_QUEUED_BYTES = 1L << 20;

  private record Item(byte[] bytes, boolean answer, boolean last) {}

  private final SocketChannel ch;
  private final OutputStream out;
  private final Thread thread;
  private final ArrayDeque<Item> queue = new ArrayDeque<>(); // guarded by this
  private int unanswered; // guarded by this
  private long queuedBytes; // guarded by this
  private byte[] finalFrame; // guarded by this: waits for unanswered == 0
  private boolean finishing; // guarded by this
  private boolean closed; // guarded by this
  private boolean writing; // guarded by this: one frame is being written, by either thread
  private boolean writerStarted; // guarded by this
  private volatile long writingSinceNanos; // 0 when not inside a write
  private volatile long finishingSinceNanos; // 0 unless finishing
  private volatile long lastActivityNanos = System.nanoTime();

  ResponseWriter(SocketChannel ch, OutputStream out, ThreadFactory threads) {
    this.ch = ch;
    this.out = out;
    this.thread = threads.newThread(this::run);
  }

  /** The writer thread starts with the first frame it has to write. */
  private void startWriter() {
    if (!writerStarted) {
      writerStarted = true;
      thread.start();
    }
  }

  /**
   * Called by the reader before it reads a frame: waits while the peer has too much unanswered.
   *
   * @return false once the connection is finishing or closed: read no more
   */
  synchronized boolean awaitRoom() {
    while (!closed && !finishing
        && (unanswered >= MAX_UNANSWERED || queuedBytes >= MAX_QUEUED_BYTES)) {
      try {
        wait();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
    return !closed && !finishing;
  }

  /**
   * Called by the reader for each request frame, before it is processed.
   *
   * @return false when the connection is finishing: the request must be dropped unprocessed
   */
  synchronized boolean admit() {
    if (closed || finishing) {
      return false;
    }
    unanswered++;
    lastActivityNanos = System.nanoTime();
    return true;
  }

  /**
   * Sends the response to an admitted request. Takes ownership of {@code bytes}.
   *
   * @param inline true only on the connection's own reader thread: when nothing is queued or
   *     being written it writes the response itself (the cryptographic hot path, no thread
   *     hand-off), blocking only its own connection; otherwise, and always for shared workers,
   *     the response is queued for the writer thread and this never blocks
   */
  void answer(byte[] bytes, boolean inline) {
    synchronized (this) {
      if (closed) {
        Arrays.fill(bytes, (byte) 0);
        return;
      }
      if (!inline || writing || !queue.isEmpty()) {
        queue.add(new Item(bytes, true, false));
        queuedBytes += bytes.length;
        startWriter();
        notifyAll();
        return;
      }
      writing = true;
      writingSinceNanos = System.nanoTime();
    }
    try {
      out.write(bytes);
    } catch (IOException e) {
      abort();
    } finally {
      writingSinceNanos = 0;
      Arrays.fill(bytes, (byte) 0);
      lastActivityNanos = System.nanoTime();
      synchronized (this) {
        writing = false;
        unanswered--;
        queueFinalWhenAnswered();
        // Only the writer thread can be waiting here (the reader is this thread), and only for
        // a frame queued meanwhile: waking it after every inline answer cost each request of
        // the hot path a futile wake-up of a second thread.
        if (!queue.isEmpty()) {
          notifyAll();
        }
      }
    }
  }

  /**
   * Ends the connection with {@code bytes} (an error frame) as its last frame, written once
   * every admitted request is answered; no further request is admitted. A second call keeps the
   * first frame. Null ends it without a final frame.
   */
  synchronized void finish(byte[] bytes) {
    if (closed || finishing) {
      if (bytes != null) {
        Arrays.fill(bytes, (byte) 0);
      }
      return;
    }
    finishing = true;
    finishingSinceNanos = System.nanoTime();
    finalFrame = bytes == null ? new byte[0] : bytes;
    queueFinalWhenAnswered();
    notifyAll();
  }

  /**
   * {@link #finish}es the connection with {@code notice} if it is idle: nothing unanswered,
   * nothing queued or being written, and {@code readerIdle} (no partial frame).
   */
  synchronized boolean finishIfIdle(boolean readerIdle, byte[] notice) {
    if (!readerIdle || !isIdle()) {
      return false;
    }
    finish(notice);
    return true;
  }

  /** Nanotime since which this connection has been idle, or {@link ConnectionBudget#BUSY}. */
  synchronized long idleSinceNanos() {
    return isIdle() ? lastActivityNanos : ConnectionBudget.BUSY;
  }

  private boolean isIdle() {
    return !closed && !finishing && unanswered == 0 && queue.isEmpty() && !writing;
  }

  /** Nanotime at which the current write or the finishing began, or 0 when neither. */
  long stalledSince() {
    long w = writingSinceNanos;
    long f = finishingSinceNanos;
    if (w == 0) {
      return f;
    }
    return f == 0 ? w : Math.min(w, f);
  }

  /** Records that a whole frame arrived. */
  void touch() {
    lastActivityNanos = System.nanoTime();
  }

  /** Closes the connection now; queued frames are dropped (zeroed). */
  void abort() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      for (Item i : queue) {
        Arrays.fill(i.bytes(), (byte) 0);
      }
      queue.clear();
      notifyAll();
    }
    try {
      ch.close();
    } catch (IOException ignored) {
      // closing
    }
  }

  /** Waits until the connection is closed (the final frame written, or aborted). */
  synchronized void awaitClosed() {
    while (!closed) {
      try {
        wait();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  private void queueFinalWhenAnswered() {
    if (finalFrame != null && unanswered == 0) {
      queue.add(new Item(finalFrame, false, true));
      finalFrame = null;
      startWriter();
    }
  }

  private void run() {
    try {
      while (true) {
        Item item;
        synchronized (this) {
          while ((queue.isEmpty() || writing) && !closed) {
            wait();
          }
          if (closed) {
            return;
          }
          item = queue.poll();
          writing = true;
          writingSinceNanos = System.nanoTime();
        }
        try {
          if (item.bytes().length > 0) {
            out.write(item.bytes());
          }
        } finally {
          writingSinceNanos = 0;
          Arrays.fill(item.bytes(), (byte) 0);
        }
        lastActivityNanos = System.nanoTime();
        synchronized (this) {
          writing = false;
          if (item.answer()) {
            unanswered--;
            queuedBytes -= item.bytes().length;
            queueFinalWhenAnswered();
          }
          notifyAll();
        }
        if (item.last()) {
          return;
        }
      }
    } catch (IOException | InterruptedException e) {
      // the peer went away, or the connection was aborted
    } finally {
      abort();
    }
  }

  /** A write that must not block: the accept thread's refusal of a connection. */
  static void writeOnceAndClose(SocketChannel ch, byte[] bytes) {
    try (ch) {
      ch.configureBlocking(false);
      ch.write(ByteBuffer.wrap(bytes));
    } catch (IOException ignored) {
      // the client went away, or did not leave room for even this: it learns by the close
    }
  }
}
