package dev.coffer.daemon.cluster;

import dev.coffer.daemon.storage.TestPostgres;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coffer.daemon.TestDaemon;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * The daemon's scheduled work runs only on the leader: a real daemon whose leadership is an
 * advisory lock on a real PostgreSQL that another node holds first.
 */
class ScheduledWorkLeadershipTest {

  private static final String url = TestPostgres.newDatabaseUrl();

  private static final Supplier<Connection> CONNECTIONS = () -> {
    try {
      return DriverManager.getConnection(url, "postgres", "");
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  };

  private static void within(Duration d, java.util.function.BooleanSupplier condition,
      String what) throws InterruptedException {
    long end = System.nanoTime() + d.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > end) {
        throw new AssertionError(what + " not within " + d);
      }
      Thread.sleep(20);
    }
  }

  private static boolean exists(TestDaemon d, String key) {
    try {
      d.call("DescribeKey", "KeyId", key);
      return true;
    } catch (dev.coffer.protocol.KmsException e) {
      assertEquals("NotFoundException", e.errorType(), e::getMessage);
      return false;
    }
  }

  private static int rotations(TestDaemon d, String key) {
    return d.call("ListKeyRotations", "KeyId", key).get("Rotations").size();
  }

  @Test
  void dueDeletionAndRotation_followerLeavesThem_newLeaderCatchesUp() throws Exception {
    AdvisoryLockLeadership other = new AdvisoryLockLeadership(CONNECTIONS, "node-other",
        Duration.ofMillis(100));
    try {
      within(Duration.ofSeconds(5), other::isLeader, "the other node leading");
      try (TestDaemon d = new TestDaemon(c -> c, db -> new AdvisoryLockLeadership(CONNECTIONS,
          "node-this", Duration.ofMillis(100)))) {
        String key = d.createKey();
        d.call("ScheduleKeyDeletion", "KeyId", key, "PendingWindowInDays", 7);
        String rotating = d.createKey();
        d.call("EnableKeyRotation", "KeyId", rotating, "RotationPeriodInDays", 90);
        d.clock.advance(Duration.ofDays(91));
        java.nio.file.Path metrics = d.home.resolve("metrics.prom");
        java.nio.file.Files.deleteIfExists(metrics);
        d.daemon.runMaintenance();
        assertFalse(d.daemon.isLeader());
        assertTrue(exists(d, key), "a follower deleted a key: the scheduled work ran twice");
        assertEquals("PendingDeletion",
            d.call("DescribeKey", "KeyId", key).get("KeyMetadata").get("KeyState").asText());
        assertEquals(0, rotations(d, rotating), "a follower rotated a key");
        assertTrue(java.nio.file.Files.exists(metrics), "per-node work runs on every node");

        other.close(); // the leader goes; this node takes over and catches up on its own
        within(Duration.ofSeconds(2), d.daemon::isLeader, "this node leading");
        within(Duration.ofSeconds(3), () -> !exists(d, key), "the new leader deleting the key");
        within(Duration.ofSeconds(3), () -> rotations(d, rotating) == 1, "the new leader rotating");
      }
    } finally {
      other.close();
    }
  }

  @Test
  void singleNode_alwaysLeads_deletesDueKeys() throws Exception {
    try (TestDaemon d = new TestDaemon()) {
      assertTrue(d.daemon.isLeader());
      String key = d.createKey();
      d.call("ScheduleKeyDeletion", "KeyId", key, "PendingWindowInDays", 7);
      d.clock.advance(Duration.ofDays(8));
      d.daemon.runMaintenance();
      assertFalse(exists(d, key));
    }
  }
}
