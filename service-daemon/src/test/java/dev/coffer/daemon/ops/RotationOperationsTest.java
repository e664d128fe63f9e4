package dev.coffer.daemon.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import static dev.coffer.daemon.TestDaemon.bytes;

import dev.coffer.daemon.TestDaemon;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Automatic and on-demand rotation, with a clock the test moves. */
class RotationOperationsTest {

  private static final byte[] SECRET = "rotate me".getBytes(StandardCharsets.UTF_8);
  private TestDaemon d;
  private String key;

  @BeforeEach
  void start() throws Exception {
    d = new TestDaemon();
    key = d.createKey();
  }

  @AfterEach
  void stop() throws Exception {
    d.close();
  }

  private byte[] encrypt() {
    return bytes(d.call("Encrypt", "KeyId", key, "Plaintext", SECRET).get("CiphertextBlob"));
  }

  private byte[] decrypt(byte[] blob) {
    return bytes(d.call("Decrypt", "CiphertextBlob", blob).get("Plaintext"));
  }


  /** The backing key version a blob names (docs/ciphertext-format.md, offset 17). */
  private static int version(byte[] blob) {
    return ByteBuffer.wrap(blob, 17, 4).getInt();
  }

  private JsonNode status() {
    return d.call("GetKeyRotationStatus", "KeyId", key);
  }

  private int rotations() {
    return d.call("ListKeyRotations", "KeyId", key).get("Rotations").size();
  }

  @Test
  void enableKeyRotation_default365Days_nextDateReported() {
    assertFalse(status().get("KeyRotationEnabled").asBoolean());
    d.call("EnableKeyRotation", "KeyId", key);
    JsonNode s = status();
    assertTrue(s.get("KeyRotationEnabled").asBoolean());
    assertEquals(365, s.get("RotationPeriodInDays").asInt());
    assertEquals(d.clock.instant().plus(Duration.ofDays(365)).getEpochSecond(),
        s.get("NextRotationDate").asLong());
  }

  @Test
  void enableKeyRotation_periodOutside90to2560_validation() {
    d.fails("ValidationException", "EnableKeyRotation", "KeyId", key, "RotationPeriodInDays", 89);
    d.fails("ValidationException", "EnableKeyRotation", "KeyId", key, "RotationPeriodInDays", 2561);
    d.call("EnableKeyRotation", "KeyId", key, "RotationPeriodInDays", 90);
    assertEquals(90, status().get("RotationPeriodInDays").asInt());
  }

  @Test
  void disableKeyRotation_statusOff() {
    d.call("EnableKeyRotation", "KeyId", key);
    d.call("DisableKeyRotation", "KeyId", key);
    assertFalse(status().get("KeyRotationEnabled").asBoolean());
    assertFalse(status().has("NextRotationDate"));
  }

  @Test
  void automaticRotation_aYearLater_newVersionEncrypts_firstCiphertextsStillDecrypt() {
    byte[] before = encrypt();
    d.call("EnableKeyRotation", "KeyId", key);
    d.clock.advance(Duration.ofDays(364));
    d.daemon.runMaintenance();
    assertEquals(0, rotations());
    d.clock.advance(Duration.ofDays(1));
    d.daemon.runMaintenance();
    assertEquals(1, rotations());
    JsonNode r = d.call("ListKeyRotations", "KeyId", key).get("Rotations").get(0);
    assertEquals("AUTOMATIC", r.get("RotationType").asText());
    byte[] after = encrypt();
    assertEquals(1, version(before));
    assertEquals(2, version(after));
    assertArrayEquals(SECRET, decrypt(before));
    assertArrayEquals(SECRET, decrypt(after));
    assertEquals(d.clock.instant().plus(Duration.ofDays(365)).getEpochSecond(),
        status().get("NextRotationDate").asLong());
  }

  @Test
  void automaticRotation_runTwiceForOneDueDate_rotatesOnce() {
    d.call("EnableKeyRotation", "KeyId", key, "RotationPeriodInDays", 90);
    d.clock.advance(Duration.ofDays(90));
    d.daemon.runMaintenance();
    d.daemon.runMaintenance();
    assertEquals(1, rotations());
  }

  @Test
  void automaticRotation_dueWhileDaemonDown_catchesUpOnceAtStartUp() throws Exception {
    byte[] before = encrypt();
    d.call("EnableKeyRotation", "KeyId", key, "RotationPeriodInDays", 90);
    d.daemon.close();
    d.clock.advance(Duration.ofDays(200)); // two due dates passed while down
    d.restart();
    assertEquals(1, rotations());
    assertEquals(d.clock.instant().plus(Duration.ofDays(90)).getEpochSecond(),
        status().get("NextRotationDate").asLong());
    assertArrayEquals(SECRET, decrypt(before));
  }

  @Test
  void automaticRotation_disabledKeyNotRotated_rotatesAfterReEnable_settingsKept() {
    d.call("EnableKeyRotation", "KeyId", key, "RotationPeriodInDays", 90);
    d.call("DisableKey", "KeyId", key);
    d.clock.advance(Duration.ofDays(100));
    d.daemon.runMaintenance();
    d.call("EnableKey", "KeyId", key);
    assertEquals(0, rotations());
    assertTrue(status().get("KeyRotationEnabled").asBoolean());
    assertEquals(90, status().get("RotationPeriodInDays").asInt());
    d.daemon.runMaintenance();
    assertEquals(1, rotations());
  }

  @Test
  void rotationOperations_disabledKey_disabledException() {
    d.call("DisableKey", "KeyId", key);
    d.fails("DisabledException", "EnableKeyRotation", "KeyId", key);
    d.fails("DisabledException", "RotateKeyOnDemand", "KeyId", key);
  }

  @Test
  void rotationOperations_pendingDeletion_invalidState() {
    d.call("ScheduleKeyDeletion", "KeyId", key, "PendingWindowInDays", 7);
    d.fails("KMSInvalidStateException", "EnableKeyRotation", "KeyId", key);
    d.fails("KMSInvalidStateException", "RotateKeyOnDemand", "KeyId", key);
    // AWS answers the status while pending deletion: rotation reads as disabled.
    assertFalse(d.call("GetKeyRotationStatus", "KeyId", key).get("KeyRotationEnabled")
        .asBoolean());
  }

  @Test
  void rotateKeyOnDemand_addsVersion_oldAndNewDecrypt_scheduleUnchanged() {
    d.call("EnableKeyRotation", "KeyId", key);
    long next = status().get("NextRotationDate").asLong();
    byte[] before = encrypt();
    d.call("RotateKeyOnDemand", "KeyId", key);
    byte[] after = encrypt();
    assertEquals(2, version(after));
    assertArrayEquals(SECRET, decrypt(before));
    assertEquals("ON_DEMAND", d.call("ListKeyRotations", "KeyId", key).get("Rotations").get(0)
        .get("RotationType").asText());
    assertEquals(next, status().get("NextRotationDate").asLong());
  }

  @Test
  void rotateKeyOnDemand_26thTime_limitExceeded() {
    for (int i = 0; i < 25; i++) {
      d.call("RotateKeyOnDemand", "KeyId", key);
    }
    d.fails("LimitExceededException", "RotateKeyOnDemand", "KeyId", key);
    assertEquals(25, rotations());
  }

  @Test
  void reEncrypt_movesOldBlobToNewestVersion() {
    byte[] old = encrypt();
    d.call("RotateKeyOnDemand", "KeyId", key);
    d.call("RotateKeyOnDemand", "KeyId", key);
    byte[] moved = bytes(d.call("ReEncrypt", "CiphertextBlob", old, "DestinationKeyId", key)
        .get("CiphertextBlob"));
    assertEquals(3, version(moved));
    assertArrayEquals(SECRET, decrypt(moved));
  }

  @Test
  void listKeyRotations_paginates() {
    for (int i = 0; i < 5; i++) {
      d.call("RotateKeyOnDemand", "KeyId", key);
    }
    JsonNode page1 = d.call("ListKeyRotations", "KeyId", key, "Limit", 3);
    assertEquals(3, page1.get("Rotations").size());
    assertTrue(page1.get("Truncated").asBoolean());
    JsonNode page2 = d.call("ListKeyRotations", "KeyId", key, "Limit", 3,
        "Marker", page1.get("NextMarker").asText());
    assertEquals(2, page2.get("Rotations").size());
  }

  @Test
  void rotationSurvivesRestart_allVersionsDecrypt() throws Exception {
    byte[] v1 = encrypt();
    d.call("RotateKeyOnDemand", "KeyId", key);
    byte[] v2 = encrypt();
    d.restart();
    assertArrayEquals(SECRET, decrypt(v1));
    assertArrayEquals(SECRET, decrypt(v2));
    assertEquals(2, version(bytes(d.call("GenerateDataKey", "KeyId", key, "KeySpec", "AES_256",
        "EncryptionContext", Map.of()).get("CiphertextBlob"))));
  }
}
