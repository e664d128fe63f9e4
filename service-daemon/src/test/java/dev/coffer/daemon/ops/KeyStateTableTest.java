package dev.coffer.daemon.ops;

import static dev.coffer.daemon.TestDaemon.bytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coffer.daemon.TestDaemon;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * AWS's key-state table (developerguide/key-state.html) through the real socket: only a
 * Disabled key answers DisabledException; PendingDeletion and PendingImport answer
 * KMSInvalidStateException; reads and policy/grant administration work in every state.
 */
class KeyStateTableTest {

  private static final String ME = "arn:coffer:iam::000000000000:user/"
      + System.getProperty("user.name");
  private TestDaemon d;
  private String key;
  private byte[] blob;

  @BeforeEach
  void start() throws Exception {
    d = new TestDaemon();
    key = d.createKey();
    blob = bytes(d.call("Encrypt", "KeyId", key, "Plaintext", new byte[] {1}).get(
        "CiphertextBlob"));
  }

  @AfterEach
  void stop() throws Exception {
    d.close();
  }

  private void cryptographicOperationsFail(String error, String k, byte[] b) {
    String enabled = d.createKey();
    d.fails(error, "Encrypt", "KeyId", k, "Plaintext", new byte[] {1});
    d.fails(error, "GenerateDataKey", "KeyId", k, "KeySpec", "AES_256");
    d.fails(error, "GenerateDataKeyWithoutPlaintext", "KeyId", k, "NumberOfBytes", 8);
    d.fails(error, "CreateGrant", "KeyId", k, "GranteePrincipal", ME,
        "Operations", List.of("Encrypt"));
    if (b != null) {
      d.fails(error, "Decrypt", "CiphertextBlob", b);
      d.fails(error, "ReEncrypt", "CiphertextBlob", b, "DestinationKeyId", enabled);
    }
    byte[] good = bytes(d.call("Encrypt", "KeyId", enabled, "Plaintext", new byte[] {1})
        .get("CiphertextBlob"));
    d.fails(error, "ReEncrypt", "CiphertextBlob", good, "DestinationKeyId", k);
  }

  private void readsAndAdministrationWork(String k) {
    d.call("DescribeKey", "KeyId", k);
    d.call("ListResourceTags", "KeyId", k);
    d.call("ListAliases", "KeyId", k);
    d.call("ListGrants", "KeyId", k);
    d.call("ListKeyPolicies", "KeyId", k);
    String policy = d.call("GetKeyPolicy", "KeyId", k).get("Policy").asText();
    d.call("PutKeyPolicy", "KeyId", k, "Policy", policy);
  }

  @Test
  void disabled_disabledException_forUse_managementWorks() {
    d.call("DisableKey", "KeyId", key);
    cryptographicOperationsFail("DisabledException", key, blob);
    readsAndAdministrationWork(key);
    d.fails("DisabledException", "EnableKeyRotation", "KeyId", key);
    // AWS answers the rotation status of a disabled key (the setting is kept).
    assertFalse(d.call("GetKeyRotationStatus", "KeyId", key).get("KeyRotationEnabled")
        .asBoolean());
    d.call("TagResource", "KeyId", key, "Tags", List.of(Map.of("TagKey", "k", "TagValue", "v")));
    d.call("UpdateKeyDescription", "KeyId", key, "Description", "d");
    d.call("CreateAlias", "AliasName", "alias/disabled", "TargetKeyId", key);
  }

  @Test
  void disabledKeyWithRotation_statusKeepsTheSetting() {
    d.call("EnableKeyRotation", "KeyId", key);
    d.call("DisableKey", "KeyId", key);
    assertTrue(d.call("GetKeyRotationStatus", "KeyId", key).get("KeyRotationEnabled")
        .asBoolean());
  }

  @Test
  void pendingDeletion_kmsInvalidState_forUseAndChanges_readsWork() {
    d.call("EnableKeyRotation", "KeyId", key);
    d.call("ScheduleKeyDeletion", "KeyId", key);
    cryptographicOperationsFail("KMSInvalidStateException", key, blob);
    readsAndAdministrationWork(key);
    for (String op : List.of("EnableKey", "DisableKey", "ScheduleKeyDeletion",
        "EnableKeyRotation", "DisableKeyRotation", "RotateKeyOnDemand")) {
      d.fails("KMSInvalidStateException", op, "KeyId", key);
    }
    d.fails("KMSInvalidStateException", "TagResource", "KeyId", key, "Tags",
        List.of(Map.of("TagKey", "k", "TagValue", "v")));
    d.fails("KMSInvalidStateException", "UntagResource", "KeyId", key, "TagKeys", List.of("k"));
    d.fails("KMSInvalidStateException", "UpdateKeyDescription", "KeyId", key, "Description",
        "d");
    d.fails("KMSInvalidStateException", "CreateAlias", "AliasName", "alias/gone",
        "TargetKeyId", key);
    // AWS: while pending deletion the status reads false; cancelling restores it.
    assertFalse(d.call("GetKeyRotationStatus", "KeyId", key).get("KeyRotationEnabled")
        .asBoolean());
    d.call("CancelKeyDeletion", "KeyId", key);
    assertTrue(d.call("GetKeyRotationStatus", "KeyId", key).get("KeyRotationEnabled")
        .asBoolean());
    assertEquals("Disabled", d.call("DescribeKey", "KeyId", key).get("KeyMetadata")
        .get("KeyState").asText());
    d.fails("KMSInvalidStateException", "CancelKeyDeletion", "KeyId", key);
  }

  @Test
  void pendingImport_kmsInvalidState_forUse_deletionCanBeScheduled() {
    String ext = d.call("CreateKey", "Origin", "EXTERNAL").get("KeyMetadata").get("KeyId")
        .asText();
    cryptographicOperationsFail("KMSInvalidStateException", ext, null);
    readsAndAdministrationWork(ext);
    d.fails("KMSInvalidStateException", "EnableKey", "KeyId", ext);
    d.fails("KMSInvalidStateException", "DisableKey", "KeyId", ext);
    d.call("TagResource", "KeyId", ext, "Tags", List.of(Map.of("TagKey", "k", "TagValue", "v")));
    d.call("ScheduleKeyDeletion", "KeyId", ext);
  }
}
