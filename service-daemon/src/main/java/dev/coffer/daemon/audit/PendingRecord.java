package dev.coffer.daemon.audit;

import java.util.concurrent.CompletableFuture;

/**
 * A record between {@link AuditLog#record(AuditEvent)} and the disk: its bytes (one JSON object,
 * without the chain fields), the waiter of a management event (null for a cryptographic one),
 * when it was queued ({@link System#nanoTime}), and its {@code sequence} once the appender has
 * chained it (0 before). Owned by the appender thread once queued.
 */
final class PendingRecord {

  /** Queued by {@link AuditLog#close}: the appender writes what came before it and stops. */
  static final PendingRecord STOP = new PendingRecord(null, null, 0);

  final byte[] record;
  final CompletableFuture<Void> durable;
  final long enqueuedNanos;
  long sequence;

  PendingRecord(byte[] record, CompletableFuture<Void> durable, long enqueuedNanos) {
    this.record = record;
    this.durable = durable;
    this.enqueuedNanos = enqueuedNanos;
  }

  byte[] record() {
    return record;
  }

  CompletableFuture<Void> durable() {
    return durable;
  }

  long enqueuedNanos() {
    return enqueuedNanos;
  }
}
