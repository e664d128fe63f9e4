package dev.coffer.daemon.cluster;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coffer.daemon.config.StorageSettings;
import dev.coffer.daemon.storage.Database;
import dev.coffer.daemon.storage.TestPostgres;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;

/**
 * The two-node scenarios on a real PostgreSQL: two {@link Database}s on one database, each
 * listening on the real change feed ({@code pg_notify} / {@code LISTEN}), row locks and the
 * quota's advisory lock doing what the database does for a cluster.
 */
class PostgresTwoNodeConsistencyTest extends TwoNodeConsistencyScenarios {

  private static final String MARKER = "alias/feed-marker-";

  private final StorageSettings settings = TestPostgres.newDatabase();
  private final List<ChangeFeed> feeds = new CopyOnWriteArrayList<>();
  /** Per subscribed node, the markers its feed has delivered. */
  private final List<Set<String>> delivered = new CopyOnWriteArrayList<>();
  private int nodes;

  @Override
  Database openNode() throws Exception {
    return Database.open(settings, "", "node-" + (++nodes));
  }

  @Override
  Announcer announcer() {
    return ChangeFeed.pgNotify();
  }

  @Override
  void subscribe(Reloaders node) throws Exception {
    Set<String> seen = ConcurrentHashMap.newKeySet();
    node.on(ChangeFeed.Topic.ALIAS, name -> {
      if (name.startsWith(MARKER)) {
        seen.add(name);
      }
    });
    delivered.add(seen);
    feeds.add(ChangeFeed.start(this::connect, node));
  }

  /**
   * Announces a marker and waits until every node's feed delivered it: a feed delivers in
   * commit order, so every earlier announcement has been applied by then.
   */
  @Override
  void awaitFeed() throws Exception {
    String marker = MARKER + UUID.randomUUID();
    try (Connection c = connect()) {
      ChangeFeed.notify(c, ChangeFeed.Topic.ALIAS, marker);
    }
    long deadline = System.nanoTime() + 5_000_000_000L;
    while (!delivered.stream().allMatch(s -> s.contains(marker))) {
      assertTrue(System.nanoTime() < deadline, "the feed delivered nothing within 5 s");
      Thread.sleep(5);
    }
  }

  private Connection connect() {
    try {
      return DriverManager.getConnection(settings.jdbcUrl(), settings.jdbcUser(), "");
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  @AfterEach
  void stopFeeds() {
    feeds.forEach(ChangeFeed::close);
  }
}
