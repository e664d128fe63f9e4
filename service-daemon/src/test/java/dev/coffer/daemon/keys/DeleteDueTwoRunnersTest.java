package dev.coffer.daemon.keys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.coffer.daemon.TestDaemon;
import dev.coffer.daemon.storage.Change;
import dev.coffer.daemon.storage.Database;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * Deletion after the waiting period run by two nodes whose copies of a key are the same (a
 * leader that lost its lock mid-pass, and its successor): two registries over one database.
 */
class DeleteDueTwoRunnersTest {

  private static final Instant AFTER_WINDOW = Instant.parse("2026-01-10T00:00:00Z");

  @Test
  void keyAlreadyDeletedByAnotherNode_secondRunnerChangesAndRecordsNothing() throws Exception {
    try (TestDaemon d = new TestDaemon()) {
      String key = d.createKey();
      d.call("ScheduleKeyDeletion", "KeyId", key, "PendingWindowInDays", 7);
      try (Database a = Database.open(d.home.resolve("coffer.db"));
          Database b = Database.open(d.home.resolve("coffer.db"))) {
        KeyRegistry first = new KeyRegistry(a, 1000);
        KeyRegistry second = new KeyRegistry(b, 1000);
        List<Change> recordedBySecond = new CopyOnWriteArrayList<>();
        b.addCommitHook((conn, changes) -> recordedBySecond.addAll(changes));

        assertFalse(first.deleteDue(AFTER_WINDOW).isEmpty());
        assertEquals(List.of(), second.deleteDue(AFTER_WINDOW));
        assertEquals(List.of(), recordedBySecond, "a second DeleteKey record for one deletion");
        assertNull(second.get(UUID.fromString(key)), "the gone key is dropped from the copy");
      }
    }
  }

  @Test
  void deletionCancelledOnAnotherNode_staleRunnerKeepsTheKey() throws Exception {
    try (TestDaemon d = new TestDaemon()) {
      String key = d.createKey();
      d.call("ScheduleKeyDeletion", "KeyId", key, "PendingWindowInDays", 7);
      try (Database b = Database.open(d.home.resolve("coffer.db"))) {
        KeyRegistry stale = new KeyRegistry(b, 1000); // still sees PendingDeletion
        d.call("CancelKeyDeletion", "KeyId", key); // another node cancels
        List<Change> recorded = new CopyOnWriteArrayList<>();
        b.addCommitHook((conn, changes) -> recorded.addAll(changes));

        assertEquals(List.of(), stale.deleteDue(AFTER_WINDOW));
        assertEquals(List.of(), recorded);
      }
      try (Database c = Database.open(d.home.resolve("coffer.db"))) {
        KeyRecord k = new KeyRegistry(c, 1000).get(UUID.fromString(key));
        assertNotNull(k, "a key whose deletion was cancelled was deleted");
        assertEquals(KeyState.Disabled, k.state());
      }
      assertEquals("Disabled", d.call("DescribeKey", "KeyId", key).get("KeyMetadata")
          .get("KeyState").asText());
    }
  }
}
