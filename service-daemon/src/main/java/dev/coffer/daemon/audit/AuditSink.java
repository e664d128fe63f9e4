package dev.coffer.daemon.audit;

import java.util.function.Supplier;

/** Where the daemon sends one event per request, allowed or denied, successful or failed. */
public interface AuditSink {

  /**
   * Records an event. For {@link AuditEvent#managementEvent()} events this returns only once the
   * record is durable (fsynced); other events may be batched, bounded by a documented delay.
   *
   * @throws java.io.UncheckedIOException when the record cannot be written
   */
  void record(AuditEvent event);

  /**
   * False while records cannot be written (a full audit file system); the daemon then refuses
   * requests before running them. Recovers by itself once the log can be written again.
   */
  default boolean writable() {
    return true;
  }

  /**
   * Starts the audit of one request whose changes must never be committed without their record.
   *
   * @param provisional the request's record as known so far; called inside each transaction the
   *     request commits, so it may name resources found while the request ran
   */
  default RequestAudit begin(String eventId, Supplier<AuditEvent> provisional) {
    AuditSink sink = this;
    return new RequestAudit() {
      @Override
      public <T> T run(Supplier<T> work) {
        return work.get();
      }

      @Override
      public boolean committed() {
        return false;
      }

      @Override
      public Outcome record(AuditEvent event) {
        sink.record(event);
        return Outcome.LOGGED;
      }
    };
  }

  /** The audit of one request, from before it runs until its final record is written. */
  interface RequestAudit extends AutoCloseable {

    /** Where a request's final record went. */
    enum Outcome {
      /** Durable in the audit log (or queued, for cryptographic events). */
      LOGGED,
      /**
       * The log could not be written, but the request committed a change, so its record is
       * durable in the database's audit outbox and reaches the log once it can be written.
       */
      HELD
    }

    /** Runs the request; every transaction it commits holds the request's record. */
    <T> T run(Supplier<T> work);

    /** True once the request committed a change. */
    boolean committed();

    /**
     * Records the request's final event (same event id as the provisional one).
     *
     * @throws java.io.UncheckedIOException when the log cannot be written and nothing was
     *     committed: nothing changed, and the daemon withholds the result
     */
    Outcome record(AuditEvent event);

    @Override
    default void close() {}
  }

  /** A sink that drops events (tests of components that do not audit). */
  AuditSink NONE = e -> { };
}
