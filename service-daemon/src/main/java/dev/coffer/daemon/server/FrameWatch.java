package dev.coffer.daemon.server;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/**
 * The reading side of a connection, watched: when the current frame's first byte arrived (for
 * the read deadline) and its first 16 bytes (the header, for auditing a frame that is refused).
 * One reader thread reads; the watchdog only looks at {@link #frameStartedNanos()}.
 */
final class FrameWatch extends InputStream {

  private final InputStream in;
  private final byte[] one = new byte[1];
  private final byte[] head = new byte[16]; // guarded by this (the watchdog reads it)
  private int headLength; // guarded by this
  private volatile long frameStartedNanos; // 0 between frames

  FrameWatch(InputStream in) {
    this.in = in;
  }

  /** Nanotime at which the frame being read began, or 0 between frames. */
  long frameStartedNanos() {
    return frameStartedNanos;
  }

  /** Marks the end of a frame: the next byte starts a new one. */
  synchronized void frameDone() {
    frameStartedNanos = 0;
    headLength = 0;
  }

  /** A copy of up to the first 16 bytes of the current frame. */
  synchronized byte[] head() {
    return Arrays.copyOf(head, headLength);
  }

  @Override
  public int read() throws IOException {
    int n = read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    int n = in.read(b, off, len);
    if (n > 0) {
      if (frameStartedNanos == 0) {
        long now = System.nanoTime();
        frameStartedNanos = now == 0 ? 1 : now;
      }
      synchronized (this) {
        int keep = Math.min(n, head.length - headLength);
        System.arraycopy(b, off, head, headLength, keep);
        headLength += keep;
      }
    }
    return n;
  }
}
