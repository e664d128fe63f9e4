package dev.coffer.daemon.ops;

import static dev.coffer.daemon.TestDaemon.bytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import dev.coffer.daemon.TestDaemon;
import dev.coffer.daemon.keys.KeyRegistry;
import dev.coffer.daemon.storage.Change;
import dev.coffer.daemon.storage.Database;
import dev.coffer.protocol.KmsException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.X509EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.crypto.Cipher;
import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PSource;
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
      JsonNode p = d.call("GetParametersForImport", "KeyId", key, "WrappingAlgorithm",
          "RSAES_OAEP_SHA_256", "WrappingKeySpec", "RSA_2048");
      PublicKey pub = KeyFactory.getInstance("RSA").generatePublic(
          new X509EncodedKeySpec(bytes(p.get("PublicKey"))));
      Cipher c = Cipher.getInstance("RSA/ECB/OAEPPadding");
      c.init(Cipher.ENCRYPT_MODE, pub, new OAEPParameterSpec("SHA-256", "MGF1",
          MGF1ParameterSpec.SHA256, PSource.PSpecified.DEFAULT));
      byte[] material = new byte[32];
      new SecureRandom().nextBytes(material);
      d.call("ImportKeyMaterial", "KeyId", key, "ImportToken", bytes(p.get("ImportToken")),
          "EncryptedKeyMaterial", c.doFinal(material), "ValidTo",
          d.clock.instant().plus(Duration.ofDays(2)).toString());
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
        KmsException e = assertThrows(KmsException.class, () -> stale.changeMaterials(id, now,
            null, (cur, materials) -> KeyMaterials.planErase(cur, materials,
                KeyMaterials.expired(materials, now))));
        assertEquals("ConflictException", e.errorType());
        assertEquals(List.of(), recorded, "a second KeyMaterialExpired for one expiry");
      }
    }
  }
}
