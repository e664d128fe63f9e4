package dev.coffer.daemon.cluster;

import dev.coffer.daemon.storage.Database;
import dev.coffer.daemon.storage.Tx;
import java.sql.SQLException;

/**
 * Announces a change to the other nodes from inside the transaction that makes it, so the
 * announcement is delivered when, and only when, that transaction commits (PostgreSQL
 * {@code pg_notify}). A single SQLite node has no one to tell: {@link #NONE}.
 */
@FunctionalInterface
public interface Announcer {

  /** Announces nothing: one node. */
  Announcer NONE = (tx, topic, id) -> { };

  /**
   * @param tx the transaction that changes what {@code topic} and {@code id} name
   * @param topic what changed
   * @param id which one: a key id, an alias name, a grant id, an access key id, a key store id
   */
  void announce(Tx tx, ChangeFeed.Topic topic, String id) throws SQLException;
}
