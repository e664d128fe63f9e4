package dev.coffer.daemon.audit;

/** Where the daemon sends one event per request, allowed or denied, successful or failed. */
public interface AuditSink {

  /**
   * Records an event. For {@link AuditEvent#managementEvent()} events this returns only once the
   * record is durable (fsynced); other events may be batched, bounded by a documented delay.
   */
  void record(AuditEvent event);

  /** A sink that drops events (tests of components that do not audit). */
  AuditSink NONE = e -> { };
}
