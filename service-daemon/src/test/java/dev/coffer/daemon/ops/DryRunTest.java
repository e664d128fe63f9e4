package dev.coffer.daemon.ops;

import static dev.coffer.daemon.TestDaemon.bytes;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.coffer.daemon.TestDaemon;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code DryRun} through the real socket: a dry run performs every check of the real call
 * (authenticated decryption included), answers {@code DryRunOperationException} only when the
 * call would have succeeded and the real error otherwise, and never changes state.
 */
class DryRunTest {

  private static final byte[] SECRET = "dry".getBytes(StandardCharsets.UTF_8);
  private static final String ME = "arn:coffer:iam::000000000000:user/"
      + System.getProperty("user.name");
  private TestDaemon d;
  private String key;
  private byte[] blob;

  @BeforeEach
  void start() throws Exception {
    d = new TestDaemon();
    key = d.createKey();
    blob = bytes(d.call("Encrypt", "KeyId", key, "Plaintext", SECRET, "EncryptionContext",
        Map.of("a", "b")).get("CiphertextBlob"));
  }

  @AfterEach
  void stop() throws Exception {
    d.close();
  }

  @Test
  void decrypt_wrongContext_answersTheRealError_rightContext_dryRunOperation() {
    d.fails("InvalidCiphertextException", "Decrypt", "CiphertextBlob", blob,
        "EncryptionContext", Map.of("a", "c"), "DryRun", true);
    d.fails("InvalidCiphertextException", "Decrypt", "CiphertextBlob", blob, "DryRun", true);
    byte[] tampered = blob.clone();
    tampered[tampered.length - 1] ^= 1;
    d.fails("InvalidCiphertextException", "Decrypt", "CiphertextBlob", tampered,
        "EncryptionContext", Map.of("a", "b"), "DryRun", true);
    d.fails("DryRunOperationException", "Decrypt", "CiphertextBlob", blob,
        "EncryptionContext", Map.of("a", "b"), "DryRun", true);
  }

  @Test
  void reEncrypt_wrongSourceContext_realError_otherwiseDryRunOperation() {
    String other = d.createKey();
    d.fails("InvalidCiphertextException", "ReEncrypt", "CiphertextBlob", blob,
        "SourceEncryptionContext", Map.of("a", "c"), "DestinationKeyId", other, "DryRun", true);
    d.fails("IncorrectKeyException", "ReEncrypt", "CiphertextBlob", blob,
        "SourceEncryptionContext", Map.of("a", "b"), "SourceKeyId", other,
        "DestinationKeyId", other, "DryRun", true);
    d.fails("DryRunOperationException", "ReEncrypt", "CiphertextBlob", blob,
        "SourceEncryptionContext", Map.of("a", "b"), "DestinationKeyId", other, "DryRun", true);
    d.call("DisableKey", "KeyId", other);
    d.fails("DisabledException", "ReEncrypt", "CiphertextBlob", blob,
        "SourceEncryptionContext", Map.of("a", "b"), "DestinationKeyId", other, "DryRun", true);
  }

  @Test
  void encryptAndDataKeys_dryRun_realErrorsFirst() {
    for (String op : List.of("GenerateDataKey", "GenerateDataKeyWithoutPlaintext")) {
      d.fails("DryRunOperationException", op, "KeyId", key, "KeySpec", "AES_256", "DryRun", true);
      d.fails("ValidationException", op, "KeyId", key, "DryRun", true);
    }
    d.fails("DryRunOperationException", "Encrypt", "KeyId", key, "Plaintext", SECRET,
        "DryRun", true);
    d.call("ScheduleKeyDeletion", "KeyId", key);
    d.fails("KMSInvalidStateException", "Encrypt", "KeyId", key, "Plaintext", SECRET,
        "DryRun", true);
    d.fails("KMSInvalidStateException", "GenerateDataKey", "KeyId", key, "KeySpec", "AES_256",
        "DryRun", true);
    d.fails("KMSInvalidStateException", "Decrypt", "CiphertextBlob", blob,
        "EncryptionContext", Map.of("a", "b"), "DryRun", true);
  }

  @Test
  void grants_dryRun_neverChangeState() {
    d.fails("DryRunOperationException", "CreateGrant", "KeyId", key, "GranteePrincipal", ME,
        "Operations", List.of("Encrypt"), "DryRun", true);
    assertEquals(0, d.call("ListGrants", "KeyId", key).get("Grants").size());

    var g = d.call("CreateGrant", "KeyId", key, "GranteePrincipal", ME, "RetiringPrincipal", ME,
        "Operations", List.of("Encrypt"));
    String token = g.get("GrantToken").asText();
    String id = g.get("GrantId").asText();
    d.fails("DryRunOperationException", "RetireGrant", "GrantToken", token, "DryRun", true);
    d.fails("DryRunOperationException", "RetireGrant", "KeyId", key, "GrantId", id,
        "DryRun", true);
    d.fails("DryRunOperationException", "RevokeGrant", "KeyId", key, "GrantId", id,
        "DryRun", true);
    assertEquals(1, d.call("ListGrants", "KeyId", key).get("Grants").size());
    d.fails("NotFoundException", "RevokeGrant", "KeyId", key, "GrantId", "0".repeat(64),
        "DryRun", true);
    d.fails("InvalidGrantTokenException", "RetireGrant", "GrantToken", "nope", "DryRun", true);
    d.call("DisableKey", "KeyId", key);
    d.fails("DisabledException", "CreateGrant", "KeyId", key, "GranteePrincipal", ME,
        "Operations", List.of("Encrypt"), "DryRun", true);
  }
}
