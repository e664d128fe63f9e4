package dev.coffer.daemon.http;

import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A log for events any client can cause at will (dropped connections, aborted bodies): one line
 * per period at most, without a stack trace, so that the log's size is not the client's choice.
 * Events in between are counted, and the next line says how many there were.
 */
final class ThrottledLog {

  private final Logger logger;
  private final Level level;
  private final long periodNanos;
  private long nextNanos = System.nanoTime(); // guarded by this
  private long suppressed; // guarded by this

  /**
   * @param periodSeconds at most one line per this many seconds
   */
  ThrottledLog(Logger logger, Level level, long periodSeconds) {
    this.logger = logger;
    this.level = level;
    this.periodNanos = TimeUnit.SECONDS.toNanos(periodSeconds);
  }

  /** Logs {@code line} (one line, no secrets), or counts it if a line was logged recently. */
  void note(String line) {
    long now = System.nanoTime();
    long before;
    synchronized (this) {
      if (now - nextNanos < 0) {
        suppressed++;
        return;
      }
      before = suppressed;
      suppressed = 0;
      nextNanos = now + periodNanos;
    }
    if (logger.isLoggable(level)) {
      logger.log(level, before == 0 ? line : line + " (and " + before + " more such events"
          + " since the last line; at most one line per " + TimeUnit.NANOSECONDS.toSeconds(
              periodNanos) + " s)");
    }
  }
}
