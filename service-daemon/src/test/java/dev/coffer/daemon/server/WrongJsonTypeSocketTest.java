package dev.coffer.daemon.server;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coffer.daemon.TestDaemon;
import dev.coffer.protocol.ErrorType;
import dev.coffer.protocol.KmsException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A request member of the wrong JSON type, through the real Unix socket: {@code
 * SerializationException} naming the member, as AWS KMS answers it and as the HTTPS endpoint
 * does (one rule, {@code Input.wrongType}, for both doors and every operation); a member of the
 * right type that breaks a rule stays a {@code ValidationException}.
 */
class WrongJsonTypeSocketTest {

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

  private void wrongType(String member, String op, Object... fieldsAndValues) {
    KmsException e = d.fails(ErrorType.SERIALIZATION, op, fieldsAndValues);
    assertTrue(e.getMessage().startsWith(member + " ") && e.getMessage().contains(" must be"),
        e::getMessage);
  }

  @Test
  void wrongJsonTypes_areSerializationException() {
    byte[] data = {1, 2, 3};
    wrongType("KeyId", "Encrypt", "KeyId", 5, "Plaintext", data);
    wrongType("Plaintext", "Encrypt", "KeyId", key, "Plaintext", Map.of());
    wrongType("EncryptionContext", "Encrypt", "KeyId", key, "Plaintext", data,
        "EncryptionContext", List.of());
    wrongType("EncryptionContext", "Encrypt", "KeyId", key, "Plaintext", data,
        "EncryptionContext", Map.of("a", 1));
    wrongType("GrantTokens", "Encrypt", "KeyId", key, "Plaintext", data, "GrantTokens", "t");
    wrongType("GrantTokens[0]", "Encrypt", "KeyId", key, "Plaintext", data,
        "GrantTokens", List.of(5));
    wrongType("DryRun", "Encrypt", "KeyId", key, "Plaintext", data, "DryRun", "true");
    wrongType("NumberOfBytes", "GenerateDataKey", "KeyId", key, "NumberOfBytes", "x");
    wrongType("NumberOfBytes", "GenerateDataKey", "KeyId", key, "NumberOfBytes", 1.5);
    wrongType("KeySpec", "GenerateDataKey", "KeyId", key, "KeySpec", 256);
    wrongType("NumberOfBytes", "GenerateRandom", "NumberOfBytes", true);
    wrongType("CiphertextBlob", "Decrypt", "CiphertextBlob", List.of(1, 2));
    wrongType("Limit", "ListKeys", "Limit", "10");
    wrongType("Tags", "CreateKey", "Tags", Map.of("TagKey", "a", "TagValue", "b"));
    wrongType("Tags[0].TagKey", "CreateKey", "Tags", List.of(Map.of("TagKey", 1, "TagValue", "b")));
    wrongType("Description", "CreateKey", "Description", List.of("d"));
    wrongType("PendingWindowInDays", "ScheduleKeyDeletion", "KeyId", key,
        "PendingWindowInDays", "7");
    wrongType("Constraints", "CreateGrant", "KeyId", key, "GranteePrincipal",
        "arn:aws:iam::000000000000:user/x", "Operations", List.of("Encrypt"),
        "Constraints", List.of());
    wrongType("StartTime", "GetUsage", "StartTime", true);
  }

  @Test
  void rightTypeWrongValue_staysValidationException() {
    d.fails(ErrorType.VALIDATION, "GenerateDataKey", "KeyId", key, "NumberOfBytes", 0);
    d.fails(ErrorType.VALIDATION, "GenerateDataKey", "KeyId", key, "NumberOfBytes",
        10_000_000_000L);
    d.fails(ErrorType.VALIDATION, "Encrypt", "KeyId", "", "Plaintext", new byte[] {1});
    d.fails(ErrorType.VALIDATION, "Decrypt", "CiphertextBlob", "QR==");
    d.fails(ErrorType.VALIDATION, "CreateKey", "Tags", List.of(Map.of("TagKey", "a")));
  }
}
