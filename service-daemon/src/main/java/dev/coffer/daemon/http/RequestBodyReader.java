package dev.coffer.daemon.http;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.function.Consumer;
import org.eclipse.jetty.io.Content;

/**
 * Reads one request body without holding a thread while the client is slow: it takes what
 * Jetty has already received ({@link Content.Source#read}) and, when nothing is left, asks to be
 * called back when more arrives ({@link Content.Source#demand}) and returns. A client that
 * trickles its body therefore costs a few bytes of buffer and no worker thread; the time it may
 * take is bounded by {@link ConnectionGuard}.
 *
 * <p>Exactly one of the three outcomes is called, once, on the thread that read the last bytes
 * (a worker thread that may block, as Jetty runs demand callbacks that are not declared
 * non-blocking): the complete body, the body over its limit, or a read failure (the client
 * closed the connection, or the guard closed it at its deadline).
 *
 * <p>The body may hold plaintext or data keys: the accumulation buffer is zeroed whenever it is
 * replaced or abandoned, and the complete body handed on is the caller's to zero.
 */
final class RequestBodyReader implements Runnable {

  /** What becomes of the body. */
  interface Outcome {
    /** The whole body, exactly as long as it is; the callee zeroes it. */
    void complete(byte[] body);

    /** The body passed {@code maxBytes}; the rest is not read. */
    void tooLarge();

    /** Reading failed (connection closed, reset or timed out); no answer can be sent. */
    void failed(Throwable failure);
  }

  private final Content.Source source;
  private final int maxBytes;
  private final Outcome outcome;
  private byte[] buffer;
  private int length;

  /**
   * @param declaredLength the {@code Content-Length}, or -1 when unknown (chunked); at most
   *     {@code maxBytes}, which the caller checks first
   * @param maxBytes the largest body accepted
   */
  RequestBodyReader(Content.Source source, long declaredLength, int maxBytes, Outcome outcome) {
    this.source = source;
    this.maxBytes = maxBytes;
    this.outcome = outcome;
    this.buffer = new byte[(int) Math.min(maxBytes, declaredLength >= 0 ? declaredLength : 1024)];
  }

  /** Reads what has arrived; completes or asks to be run again when more comes. */
  @Override
  public void run() {
    while (true) {
      Content.Chunk chunk = source.read();
      if (chunk == null) {
        source.demand(this);
        return;
      }
      if (Content.Chunk.isFailure(chunk)) {
        Throwable failure = chunk.getFailure();
        if (!chunk.isLast()) {
          // A transient failure (an idle timeout): give up on this body for good.
          source.fail(failure);
        }
        abandon();
        outcome.failed(failure);
        return;
      }
      boolean last = chunk.isLast();
      boolean fits;
      try {
        fits = append(chunk.getByteBuffer());
      } finally {
        chunk.release();
      }
      if (!fits) {
        abandon();
        outcome.tooLarge();
        return;
      }
      if (last) {
        byte[] body = Arrays.copyOf(buffer, length);
        abandon();
        outcome.complete(body);
        return;
      }
    }
  }

  /** Copies {@code data} in; false when the body would pass {@code maxBytes}. */
  private boolean append(ByteBuffer data) {
    int n = data.remaining();
    if (n > maxBytes - length) {
      return false;
    }
    if (length + n > buffer.length) {
      byte[] bigger = Arrays.copyOf(buffer, Math.min(maxBytes,
          Math.max(length + n, buffer.length * 2)));
      Arrays.fill(buffer, (byte) 0);
      buffer = bigger;
    }
    data.get(buffer, length, n);
    length += n;
    return true;
  }

  private void abandon() {
    Arrays.fill(buffer, (byte) 0);
    length = 0;
  }
}
