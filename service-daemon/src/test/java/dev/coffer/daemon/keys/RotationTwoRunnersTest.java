package dev.coffer.daemon.keys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.coffer.daemon.TestDaemon;
import dev.coffer.daemon.storage.Change;
import dev.coffer.daemon.storage.Database;
import dev.coffer.protocol.KmsException;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * A rotation decided on a node's stale copy of a key (a leader that lost its lock mid-pass)
 * after another node changed the key: it must change and record nothing.
 */
class RotationTwoRunnersTest {

  private static final byte[] STORED = new byte[] {1, 2, 3};

  private static void staleRotation(Consumer<TestDaemon> otherNode, String expectedState)
      throws Exception {
    try (TestDaemon d = new TestDaemon()) {
      String key = d.createKey();
      d.call("EnableKeyRotation", "KeyId", key, "RotationPeriodInDays", 90);
      UUID id = UUID.fromString(key);
      try (Database b = Database.open(d.home.resolve("coffer.db"))) {
        KeyRegistry stale = new KeyRegistry(b, 1000);
        KeyRecord before = stale.get(id);
        otherNode.accept(d);
        List<Change> recorded = new CopyOnWriteArrayList<>();
        b.addCommitHook((conn, changes) -> recorded.addAll(changes));

        KmsException e = assertThrows(KmsException.class, () -> stale.addVersion(id,
            d.clock.instant(), "AUTOMATIC", cur -> cur, (k, v) -> STORED));
        assertEquals("ConflictException", e.errorType());
        assertEquals(List.of(), recorded);
        assertEquals(before, stale.get(id), "the stale copy is left for the change feed");
      }
      try (Database c = Database.open(d.home.resolve("coffer.db"))) {
        KeyRecord k = new KeyRegistry(c, 1000).get(id);
        assertEquals(expectedState, k.state().name());
        assertEquals(d.call("DescribeKey", "KeyId", key).get("KeyMetadata").get("KeyState")
            .asText(), k.state().name());
      }
    }
  }

  @Test
  void alreadyRotatedByAnotherNode_staleRotationDoesNothing() throws Exception {
    staleRotation(d -> {
      d.clock.advance(Duration.ofDays(91));
      d.daemon.runMaintenance(); // the other node rotates it and moves the next date
    }, "Enabled");
  }

  @Test
  void rescheduledOnAnotherNode_staleRotationDoesNothing() throws Exception {
    staleRotation(d -> d.call("EnableKeyRotation", "KeyId",
        d.call("ListKeys").get("Keys").get(0).get("KeyId").asText(), "RotationPeriodInDays",
        365), "Enabled");
  }

  @Test
  void disabledOnAnotherNode_staleRotationDoesNotEnableIt() throws Exception {
    staleRotation(d -> d.call("DisableKey", "KeyId",
        d.call("ListKeys").get("Keys").get(0).get("KeyId").asText()), "Disabled");
  }
}
