package dev.coffer.daemon.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.coffer.daemon.TestDaemon;
import dev.coffer.daemon.keys.KeyRegistry;
import dev.coffer.daemon.storage.Change;
import dev.coffer.daemon.storage.Database;
import dev.coffer.protocol.KmsException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * Imported-material expiry decided on a stale copy (a leader that lost its lock mid-pass) after
 * another node erased the material: it must change and record nothing.
 */
class ExpiryTwoRunnersTest {

  @Test
  void materialAlreadyErasedByAnotherNode_staleExpiryRecordsNothing() throws Exception {
    try (TestDaemon d = new TestDaemon()) {
      String key = d.call("CreateKey", "Origin", "EXTERNAL").get("KeyMetadata").get("KeyId")
          .asText();
      ImportedKeyRotationTest.importMaterial(d, key, ImportedKeyRotationTest.newMaterial(),
          "ValidTo", d.clock.instant().plus(Duration.ofDays(2)).toString());
      UUID id = UUID.fromString(key);
      try (Database b = Database.open(d.home.resolve("coffer.db"))) {
        KeyRegistry stale = new KeyRegistry(b, 1000);
        d.clock.advance(Duration.ofDays(3));
        d.daemon.runMaintenance(); // the other node erases the expired material
        assertEquals("PendingImport", d.call("DescribeKey", "KeyId", key).get("KeyMetadata")
            .get("KeyState").asText());
        List<Change> recorded = new CopyOnWriteArrayList<>();
        b.addCommitHook((conn, changes) -> recorded.addAll(changes));
        Instant now = d.clock.instant();

        assertFalse(KeyMaterials.expired(stale.materials(id), now).isEmpty(), "a stale copy");
        // The stale runner plans on the database's row, which has nothing left to erase: it
        // changes nothing (or is refused as a conflict) and records nothing.
        try {
          stale.changeMaterials(id, now, null, (cur, materials) -> {
            java.util.Set<Integer> due = KeyMaterials.expired(materials, now);
            return due.isEmpty() ? null : KeyMaterials.planErase(cur, materials, due);
          });
        } catch (KmsException e) {
          assertEquals("ConflictException", e.errorType());
        }
        assertEquals(List.of(), recorded, "a second KeyMaterialExpired for one expiry");
      }
    }
  }
}
