package dev.coffer.daemon.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Holds what the daemon logs while it starts. A start that fails is reported in one line by
 * {@link StartFailure}; the records logged on the way (an audit log retrying a write on a full
 * disk, say, with its stack trace) are consequences of the same cause and would bury that line,
 * so they are dropped. A start that succeeds publishes them, in order, to the usual handlers.
 */
final class StartupLog implements AutoCloseable {
  private final Logger root = Logger.getLogger("");
  private final Handler[] handlers;
  private final List<LogRecord> held = new ArrayList<>();
  private final Handler holder = new Handler() {
    @Override
    public void publish(LogRecord r) {
      synchronized (held) {
        held.add(r);
      }
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
  };
  private boolean started;

  /** From now until {@link #close}, log records are held. */
  StartupLog() {
    handlers = root.getHandlers();
    for (Handler h : handlers) {
      root.removeHandler(h);
    }
    root.addHandler(holder);
  }

  /** The daemon started: {@link #close} publishes what was held. */
  void started() {
    started = true;
  }

  /** Restores the handlers; publishes the held records if the daemon started. */
  @Override
  public void close() {
    root.removeHandler(holder);
    for (Handler h : handlers) {
      root.addHandler(h);
    }
    synchronized (held) {
      if (started) {
        for (LogRecord r : held) {
          for (Handler h : handlers) {
            h.publish(r);
          }
        }
      }
      held.clear();
    }
  }
}
