package dev.coffer.daemon.storage;

import java.util.List;

/**
 * Decides, inside each transaction run in its scope ({@link Database#inScope}), which audit
 * records the transaction must hold in the outbox: they commit with the change or not at all.
 */
@FunctionalInterface
public interface CommitScope {

  /**
   * Called inside the transaction just before it commits.
   *
   * @param changes what the transaction changed (through {@link Tx}'s methods;
   *     statements run on {@link Tx#connection()} are not listed)
   * @return the records to insert in the same transaction (replacing rows with the same event
   *     id); may be empty
   */
  List<OutboxRecord> records(List<Change> changes);

  /** Called after the transaction committed (its records are durable in the outbox). */
  default void committed(List<OutboxRecord> records) {}
}
