package dev.coffer.daemon.ops;

import static dev.coffer.daemon.TestDaemon.bytes;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.coffer.daemon.TestDaemon;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Response details compared with answers recorded against AWS: every response {@code KeyId}
 * (and {@code SourceKeyId}) that AWS gives as the key ARN is the ARN, and the account that
 * created a grant (the administrators) may retire it.
 */
class AwsResponsesTest {

  private static final String OTHER = "arn:coffer:iam::000000000000:user/coffer-someone-else";
  private TestDaemon d;
  private String key;
  private String arn;

  @BeforeEach
  void start() throws Exception {
    d = new TestDaemon();
    key = d.createKey();
    arn = "arn:aws:kms:local:000000000000:key/" + key;
  }

  @AfterEach
  void stop() throws Exception {
    d.close();
  }

  @Test
  void everyResponseKeyId_isTheKeyArn() {
    assertEquals(arn, d.call("RotateKeyOnDemand", "KeyId", key).get("KeyId").asText());
    for (JsonNode r : d.call("ListKeyRotations", "KeyId", key).get("Rotations")) {
      assertEquals(arn, r.get("KeyId").asText());
    }
    assertEquals(arn, d.call("GetKeyRotationStatus", "KeyId", key).get("KeyId").asText());
    JsonNode enc = d.call("Encrypt", "KeyId", key, "Plaintext", new byte[] {1});
    assertEquals(arn, enc.get("KeyId").asText());
    byte[] blob = bytes(enc.get("CiphertextBlob"));
    assertEquals(arn, d.call("Decrypt", "CiphertextBlob", blob).get("KeyId").asText());
    String other = d.createKey();
    JsonNode re = d.call("ReEncrypt", "CiphertextBlob", blob, "DestinationKeyId", other);
    assertEquals(arn, re.get("SourceKeyId").asText());
    assertEquals("arn:aws:kms:local:000000000000:key/" + other, re.get("KeyId").asText());
    assertEquals(arn, d.call("GenerateDataKey", "KeyId", key, "NumberOfBytes", 8)
        .get("KeyId").asText());
    assertEquals(arn, d.call("GenerateDataKeyWithoutPlaintext", "KeyId", key,
        "NumberOfBytes", 8).get("KeyId").asText());
    d.call("CreateGrant", "KeyId", key, "GranteePrincipal", OTHER, "Operations",
        List.of("Encrypt"));
    assertEquals(arn, d.call("ListGrants", "KeyId", key).get("Grants").get(0).get("KeyId")
        .asText());
    assertEquals(arn, d.call("ScheduleKeyDeletion", "KeyId", key).get("KeyId").asText());
    assertEquals(arn, d.call("CancelKeyDeletion", "KeyId", key).get("KeyId").asText());
  }

  @Test
  void retireGrant_byTheCreatingAccount_byTokenOrById() {
    // The test user is an administrator: the account principal that created the grant. The
    // grant names another grantee and no retiring principal.
    String token = d.call("CreateGrant", "KeyId", key, "GranteePrincipal", OTHER,
        "Operations", List.of("Encrypt")).get("GrantToken").asText();
    d.call("RetireGrant", "GrantToken", token);
    String id = d.call("CreateGrant", "KeyId", key, "GranteePrincipal", OTHER,
        "Operations", List.of("Encrypt")).get("GrantId").asText();
    d.call("RetireGrant", "KeyId", key, "GrantId", id);
    assertEquals(0, d.call("ListGrants", "KeyId", key).get("Grants").size());
  }
}
