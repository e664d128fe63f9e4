package dev.coffer.daemon.audit;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.protocol.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.LockSupport;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * What {@link AuditLog} does while it cannot be written (a full or failing file system), and how
 * it comes back without a restart.
 *
 * <ul>
 *   <li>No record is acknowledged before it is durable. From the failed write on, {@link
 *       #writable()} is false and {@link #checkWritable()} throws, so every {@code record} is
 *       refused (the daemon fails closed); a management event whose write failed, or that was
 *       still queued, has its waiter failed at once, so its request is answered with an error.
 *   <li>Held: the records of the batch that failed and those still queued are kept in memory,
 *       up to {@link #MAX_HELD}; beyond it a record is only counted lost.
 *   <li>Every {@link #RETRY_INTERVAL} (and once at close) the appender tries again as start-up
 *       continues after a crash: it recovers the current file from disk (cuts a torn line, seals
 *       it), starts a new file headed by {@code AuditLogRecovered} (cause {@code writeFailed},
 *       the error, {@code failedAt}, {@code heldRecordsWritten}, {@code lostRecords}), writes
 *       after it the held records that did not reach the disk, fsyncs, and only then is the log
 *       writable again and {@code onRecovered} run (on another thread), so the chain stays
 *       verifiable.
 *   <li>The operator sees, under the {@code AuditLog} logger: SEVERE when a write fails, WARNING
 *       at each failed retry and when the log can be written again (with the number of held
 *       records written), SEVERE when the log is closed while failing (its held records lost).
 * </ul>
 *
 * <p>Thread-safety: {@link #writable()}, {@link #checkWritable()} and {@link #onRecovered} may be
 * called from any thread; the rest only from the appender thread, which owns what is held.
 */
final class AuditOutage {

  private static final Logger LOG = Logger.getLogger(AuditLog.class.getName());

  /** How often the appender tries to write again after a failure. */
  static final Duration RETRY_INTERVAL = Duration.ofSeconds(1);
  /** Records kept in memory while the log cannot be written; beyond it they are counted lost. */
  static final int MAX_HELD = 1 << 16;

  /** What recovery needs of the appender; called on the appender thread. */
  interface Appender {

    /**
     * Drops the file being written and continues the chain from what is on disk, as start-up
     * does after a crash ({@link AuditRecovery}), in a new file.
     */
    AuditRecovery.ChainHead reopenFromDisk() throws IOException;

    /**
     * Writes an {@code AuditLogRecovered} record with {@code details}, then {@code records} in
     * order, and fsyncs them.
     */
    void writeRecovered(ObjectNode details, List<PendingRecord> records)
        throws IOException, GeneralSecurityException;

    /** Seals the file being written with a final digest. */
    void seal() throws IOException, GeneralSecurityException;
  }

  private final Clock clock;
  private final BlockingQueue<PendingRecord> queue;
  private final Appender appender;
  private volatile Throwable failure;
  private volatile Runnable onRecovered = () -> { };
  // Appender-thread state: records to write once the log can be written again.
  private final List<PendingRecord> held = new ArrayList<>();
  private long lost;
  private Instant failedAt;

  /** {@code queue} is the appender's; while failing, what is queued is taken and held. */
  AuditOutage(Clock clock, BlockingQueue<PendingRecord> queue, Appender appender) {
    this.clock = clock;
    this.queue = queue;
    this.appender = appender;
  }

  /** False from a failed write until the log is written again. */
  boolean writable() {
    return failure == null;
  }

  /**
   * Returns when the log can be written.
   *
   * @throws UncheckedIOException while it cannot, with the write's error as its cause
   */
  void checkWritable() {
    Throwable f = failure;
    if (f != null) {
      throw new UncheckedIOException("the audit log cannot be written at the moment (the daemon"
          + " retries every " + RETRY_INTERVAL.toSeconds() + " s)",
          f instanceof IOException io ? io : new IOException(f));
    }
  }

  /** Runs {@code r} (on another thread) each time the log recovers from a write failure. */
  void onRecovered(Runnable r) {
    this.onRecovered = r;
  }

  /** The appender could not write or fsync {@code batch}: the log fails closed, it is held. */
  void failed(Exception e, List<PendingRecord> batch) {
    LOG.log(Level.SEVERE, "audit log write failed; the daemon refuses requests until it can"
        + " write again (retrying every " + RETRY_INTERVAL.toSeconds() + " s)", e);
    failedAt = clock.instant();
    failure = e;
    batch.forEach(this::hold);
  }

  /**
   * While failing: holds what is queued, waits {@link #RETRY_INTERVAL} (or until close), then
   * tries to write again.
   *
   * @param stopping the log is being closed: try once, now
   * @return true when the log was closed (the appender then stops)
   */
  boolean retry(boolean stopping) {
    long deadline = System.nanoTime() + (stopping ? 0 : RETRY_INTERVAL.toNanos());
    boolean stop = stopping;
    while (!stop && System.nanoTime() - deadline < 0) {
      PendingRecord p = queue.poll();
      if (p == null) {
        LockSupport.parkNanos(Math.max(1, deadline - System.nanoTime()));
      } else if (p == PendingRecord.STOP) {
        stop = true;
      } else {
        hold(p);
      }
    }
    try {
      reopen();
    } catch (IOException | GeneralSecurityException | RuntimeException e) {
      LOG.log(Level.WARNING, "the audit log still cannot be written", e);
      failure = e;
      if (stop) {
        LOG.severe(() -> "audit log closed while it could not be written: " + held.size()
            + " record(s) held in memory are lost");
      }
      return stop;
    }
    if (stop) {
      try {
        appender.seal();
      } catch (IOException | GeneralSecurityException e) {
        LOG.log(Level.SEVERE, "cannot seal the audit log at close", e);
      }
    }
    return stop;
  }

  /**
   * Keeps a record that could not be written for the next attempt; a management event's waiter
   * is told at once that its record is not durable (so its request is answered).
   */
  private void hold(PendingRecord p) {
    if (p.durable() != null) {
      p.durable().completeExceptionally(failure);
    }
    if (held.size() < MAX_HELD) {
      held.add(p);
    } else {
      lost++;
    }
  }

  /**
   * Continues the log from disk in a new file headed by {@code AuditLogRecovered}, and writes
   * the held records that did not reach the disk (a record chained before the failure may have).
   */
  private void reopen() throws IOException, GeneralSecurityException {
    AuditRecovery.ChainHead head = appender.reopenFromDisk();
    List<PendingRecord> again = new ArrayList<>();
    for (PendingRecord p : held) {
      if (p.sequence == 0 || p.sequence > head.sequence()) {
        again.add(p);
      }
    }
    ObjectNode d = head.unsealed() != null ? head.unsealed().details() : Json.object();
    d.put("cause", "writeFailed");
    Throwable f = failure;
    d.put("error", AuditRecords.cut(String.valueOf(f), AuditRecords.MAX_ERROR_MESSAGE));
    if (failedAt != null) {
      d.put("failedAt", AuditRecords.TIME.format(failedAt));
    }
    d.put("heldRecordsWritten", again.size());
    d.put("lostRecords", lost);
    appender.writeRecovered(d, again);
    long n = again.size();
    held.clear();
    lost = 0;
    failure = null;
    LOG.warning(() -> "the audit log can be written again; wrote " + n + " held record(s)");
    CompletableFuture.runAsync(onRecovered);
  }
}
