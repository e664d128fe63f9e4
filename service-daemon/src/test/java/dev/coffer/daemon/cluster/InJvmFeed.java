package dev.coffer.daemon.cluster;

import dev.coffer.daemon.storage.Database;
import dev.coffer.daemon.storage.Tx;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A change feed inside one JVM, for nodes that share a database file: announcements are queued
 * and {@link #deliver} hands them to every node's {@link Reloaders}, as the PostgreSQL feed would
 * after the commit. (An announcement of a rolled-back transaction is delivered too; a reload
 * reads the database, so it only costs a read.)
 */
final class InJvmFeed implements Announcer {

  private final ConcurrentLinkedQueue<String[]> queued = new ConcurrentLinkedQueue<>();
  private final List<Reloaders> nodes = new CopyOnWriteArrayList<>();

  @Override
  public void announce(Tx tx, ChangeFeed.Topic topic, String id) {
    queued.add(new String[] {topic.name(), id});
  }

  /** Adds a node that receives every announcement. */
  void subscribe(Reloaders node) {
    nodes.add(node);
  }

  /** Delivers every queued announcement to every node. */
  void deliver() {
    for (String[] a; (a = queued.poll()) != null; ) {
      for (Reloaders r : nodes) {
        r.reload(ChangeFeed.Topic.valueOf(a[0]), a[1]);
      }
    }
  }
}
