package dev.coffer.daemon.cluster;

import dev.coffer.daemon.storage.TestPostgres;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The change feed against a real PostgreSQL 14, with raw JDBC on the sending side. */
class ChangeFeedTest {

  private static final String URL = TestPostgres.newDatabaseUrl();

  private final BlockingQueue<String> delivered = new LinkedBlockingQueue<>();
  private final AtomicInteger reloadsAll = new AtomicInteger();
  private final java.util.Set<String> failed = java.util.concurrent.ConcurrentHashMap.newKeySet();
  private ChangeFeed feed;
  private Connection sender;

  private static Connection connect() {
    try {
      return DriverManager.getConnection(URL, "postgres", "");
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  @BeforeEach
  void listen() throws Exception {
    Reloaders r = new Reloaders();
    for (ChangeFeed.Topic t : ChangeFeed.Topic.values()) {
      r.on(t, id -> {
        if (id.startsWith("fails-once") && failed.add(id)) {
          throw new IllegalStateException("database write failed: connection lost");
        }
        delivered.add(t.wire() + ":" + id);
      });
    }
    r.onReloadAll(reloadsAll::incrementAndGet);
    Supplier<Connection> connections = ChangeFeedTest::connect;
    feed = ChangeFeed.start(connections, r);
    sender = connect();
  }

  @AfterEach
  void stop() throws Exception {
    feed.close();
    sender.close();
  }

  private void notifyIn(boolean commit, ChangeFeed.Topic topic, String id) throws SQLException {
    sender.setAutoCommit(false);
    ChangeFeed.notify(sender, topic, id);
    if (commit) {
      sender.commit();
    } else {
      sender.rollback();
    }
    sender.setAutoCommit(true);
  }

  @Test
  void aCommittedAnnouncementReachesTheListenerWithinOneSecond() throws Exception {
    long start = System.nanoTime();
    notifyIn(true, ChangeFeed.Topic.KEY, "1234abcd-0000-0000-0000-000000000000");
    assertEquals("key:1234abcd-0000-0000-0000-000000000000",
        delivered.poll(1, TimeUnit.SECONDS));
    assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(1));
  }

  @Test
  void aRolledBackAnnouncementIsNeverDelivered() throws Exception {
    notifyIn(false, ChangeFeed.Topic.ALIAS, "alias/never");
    notifyIn(true, ChangeFeed.Topic.ALIAS, "alias/after");
    // Notifications arrive in commit order: once the later one is here, the first would be too.
    assertEquals("alias:alias/after", delivered.poll(2, TimeUnit.SECONDS));
    assertEquals(List.of(), List.copyOf(delivered));
  }

  @Test
  void everyTopicIsDeliveredWithItsId() throws Exception {
    for (ChangeFeed.Topic t : ChangeFeed.Topic.values()) {
      notifyIn(true, t, "id-with:colon");
    }
    for (ChangeFeed.Topic t : ChangeFeed.Topic.values()) {
      assertEquals(t.wire() + ":id-with:colon", delivered.poll(2, TimeUnit.SECONDS));
    }
  }

  /**
   * A reload that fails (this node's database connection had just dropped) must not leave the
   * item stale until its next change: a key disabled elsewhere would stay enabled here.
   */
  @Test
  void aReloadThatFails_isMadeGoodByReloadingEverythingWithinTheBound() throws Exception {
    long start = System.nanoTime();
    notifyIn(true, ChangeFeed.Topic.KEY, "fails-once-1");
    long deadline = start + TimeUnit.SECONDS.toNanos(1);
    while (reloadsAll.get() == 0 && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertEquals(1, reloadsAll.get(), "everything reloaded within the bound");
    notifyIn(true, ChangeFeed.Topic.GRANT, "g2");
    assertEquals("grant:g2", delivered.poll(2, TimeUnit.SECONDS), "the feed goes on");
  }

  @Test
  void aKilledListenerConnectionIsReopenedAndEverythingReloaded() throws Exception {
    try (Statement s = sender.createStatement()) {
      s.executeQuery("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
          + " WHERE query LIKE 'LISTEN%' AND pid <> pg_backend_pid()"
          + " AND datname = current_database()").close();
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (reloadsAll.get() == 0 && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertEquals(1, reloadsAll.get(), "reloadAll after the reconnect");
    // Listening again: a later announcement arrives.
    notifyIn(true, ChangeFeed.Topic.GRANT, "g1");
    assertEquals("grant:g1", delivered.poll(2, TimeUnit.SECONDS));
  }

  @Test
  void theListenerCountsOneListeningSession() throws Exception {
    try (PreparedStatement p = sender.prepareStatement(
        "SELECT COUNT(*) FROM pg_stat_activity WHERE query LIKE 'LISTEN%'"
            + " AND datname = current_database()");
        var r = p.executeQuery()) {
      r.next();
      assertEquals(1, r.getInt(1));
    }
  }

  /**
   * A partition that neither answers nor resets the listening connection: without a question
   * from the node, it would wait for announcements forever, believing its view current.
   */
  @Test
  void aSilentPartition_isNoticedByTheHeartbeat_andEverythingReloadedOnceItHeals()
      throws Exception {
    try (FreezableProxy proxy = new FreezableProxy(TestPostgres.port())) {
      String url = URL.replace(":" + TestPostgres.port() + "/", ":" + proxy.port() + "/")
          + "?socketTimeout=3&loginTimeout=3";
      AtomicInteger opened = new AtomicInteger();
      AtomicInteger reloads = new AtomicInteger();
      Reloaders r = new Reloaders().onReloadAll(reloads::incrementAndGet);
      ChangeFeed partitioned = ChangeFeed.start(() -> {
        opened.incrementAndGet();
        try {
          return DriverManager.getConnection(url, "postgres", "");
        } catch (SQLException e) {
          throw new IllegalStateException(e);
        }
      }, r);
      try {
        proxy.freeze(true);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (opened.get() < 2) {
          assertTrue(System.nanoTime() < deadline, "the silent partition went unnoticed");
          Thread.sleep(50);
        }
        proxy.freeze(false);
        deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (reloads.get() < 1) {
          assertTrue(System.nanoTime() < deadline, "no reload of everything after the partition");
          Thread.sleep(50);
        }
      } finally {
        partitioned.close();
      }
    }
  }
}
