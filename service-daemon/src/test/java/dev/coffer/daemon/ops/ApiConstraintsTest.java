package dev.coffer.daemon.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.coffer.daemon.TestDaemon;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The KMS API reference's input constraints through the real socket: each is a {@code
 * ValidationException} checked before existence, state and access; lengths count Unicode
 * characters; reserved tag prefixes are case-insensitive.
 */
class ApiConstraintsTest {

  /** U+1F511 (key): one Unicode character, two UTF-16 units, four UTF-8 bytes. */
  private static final String KEY_EMOJI = "\uD83D\uDD11";
  private static final String UNKNOWN = "00000000-0000-4000-8000-000000000000";

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

  private static Map<String, String> tag(String k, String v) {
    return Map.of("TagKey", k, "TagValue", v);
  }

  private JsonNode tags() {
    return d.call("ListResourceTags", "KeyId", key).get("Tags");
  }

  @Test
  void reservedTagPrefix_anyCase_tagException_nothingStored() {
    for (String k : List.of("aws:x", "AWS:x", "Aws:x", "aWs:", "coffer:y", "COFFER:y")) {
      d.fails("TagException", "TagResource", "KeyId", key, "Tags", List.of(tag(k, "v")));
      d.fails("TagException", "CreateKey", "Tags", List.of(tag(k, "v")));
    }
    assertEquals(0, tags().size());
    d.call("TagResource", "KeyId", key, "Tags", List.of(tag("awsx", "v"), tag("aw:s", "v")));
    assertEquals(2, tags().size());
  }

  @Test
  void tagLengths_countUnicodeCharacters_andOverLimitIsValidationException() {
    String key128 = KEY_EMOJI.repeat(128); // 256 UTF-16 units, 128 characters
    String value256 = KEY_EMOJI.repeat(256);
    d.call("TagResource", "KeyId", key, "Tags", List.of(tag(key128, value256)));
    JsonNode t = tags().get(0);
    assertEquals(key128, t.get("TagKey").asText());
    assertEquals(value256, t.get("TagValue").asText());

    String msg = d.fails("ValidationException", "TagResource", "KeyId", key, "Tags",
        List.of(tag("k".repeat(129), "v"))).getMessage();
    assertTrue(msg.contains("TagKey") && msg.contains("128"), msg);
    d.fails("ValidationException", "TagResource", "KeyId", key, "Tags",
        List.of(tag("k", "v".repeat(257))));
    d.fails("ValidationException", "TagResource", "KeyId", key, "Tags", List.of(tag("", "v")));
    d.fails("ValidationException", "CreateKey", "Tags", List.of(tag(KEY_EMOJI.repeat(129), "v")));
    d.fails("ValidationException", "UntagResource", "KeyId", key, "TagKeys",
        List.of("k".repeat(129)));
    // Before existence: an over-long tag on a key that does not exist is still a constraint.
    d.fails("ValidationException", "TagResource", "KeyId", UNKNOWN, "Tags",
        List.of(tag("k".repeat(129), "v")));
  }

  @Test
  void description_countsUnicodeCharacters_over8192_validationException() {
    // 4097 characters are 8194 UTF-16 units: within the limit of 8192 characters.
    String long4097 = KEY_EMOJI.repeat(4097);
    JsonNode m = d.call("CreateKey", "Description", long4097).get("KeyMetadata");
    assertEquals(long4097, m.get("Description").asText());
    d.call("UpdateKeyDescription", "KeyId", key, "Description", long4097);
    d.call("UpdateKeyDescription", "KeyId", key, "Description", "x".repeat(8192));
    d.fails("ValidationException", "CreateKey", "Description", "x".repeat(8193));
    d.fails("ValidationException", "UpdateKeyDescription", "KeyId", UNKNOWN, "Description",
        "x".repeat(8193));
  }

  @Test
  void aliasName_withoutPrefixOrOverLimit_validationException() {
    d.fails("ValidationException", "CreateAlias", "AliasName", "abc", "TargetKeyId", key);
    d.fails("ValidationException", "CreateAlias", "AliasName", "alias/", "TargetKeyId", key);
    d.fails("ValidationException", "CreateAlias", "AliasName", "alias/" + "a".repeat(251),
        "TargetKeyId", key);
    d.fails("ValidationException", "UpdateAlias", "AliasName", "abc", "TargetKeyId", key);
    d.fails("ValidationException", "DeleteAlias", "AliasName", "alias/" + KEY_EMOJI);
    // Reserved names stay InvalidAliasNameException.
    d.fails("InvalidAliasNameException", "CreateAlias", "AliasName", "alias/aws/x",
        "TargetKeyId", key);
    d.call("CreateAlias", "AliasName", "alias/" + "a".repeat(250), "TargetKeyId", key);
  }

  @Test
  void aliasNameSyntax_checkedBeforeTheTargetKeyIsLookedUp() {
    String missing = java.util.UUID.randomUUID().toString();
    for (String op : List.of("CreateAlias", "UpdateAlias")) {
      for (String bad : List.of("abc", "alias/a:b", "alias:x", "alias/")) {
        d.fails("ValidationException", op, "AliasName", bad, "TargetKeyId", missing);
        d.fails("ValidationException", op, "AliasName", bad, "TargetKeyId", "alias/none");
      }
      d.fails("InvalidAliasNameException", op, "AliasName", "alias/aws/x", "TargetKeyId",
          missing);
    }
    d.fails("ValidationException", "DeleteAlias", "AliasName", "alias/a:b");
  }

  @Test
  void reservedAliasPrefixes_anyCase() {
    for (String name : List.of("alias/aws/x", "alias/AWS/x", "alias/Aws/x", "alias/coffer/x",
        "alias/Coffer/x", "alias/COFFER/x")) {
      d.fails("InvalidAliasNameException", "CreateAlias", "AliasName", name, "TargetKeyId", key);
      d.fails("InvalidAliasNameException", "UpdateAlias", "AliasName", name, "TargetKeyId", key);
    }
    // DeleteAlias leaves the reserved rule out, so an alias made before it can be removed.
    d.fails("NotFoundException", "DeleteAlias", "AliasName", "alias/AWS/x");
    assertEquals(0, d.call("ListAliases").get("Aliases").size());
    d.call("CreateAlias", "AliasName", "alias/awsx/y", "TargetKeyId", key);
  }

  @Test
  void blobs_overApiLimit_validationException_beforeTheKeyIsLookedUp() {
    d.fails("ValidationException", "Decrypt", "CiphertextBlob", new byte[6145]);
    d.fails("ValidationException", "ReEncrypt", "CiphertextBlob", new byte[6145],
        "DestinationKeyId", key);
    d.fails("ValidationException", "Encrypt", "KeyId", UNKNOWN, "Plaintext", new byte[4097]);
    d.fails("ValidationException", "Encrypt", "KeyId", key, "Plaintext", new byte[0]);
    d.fails("ValidationException", "Encrypt", "KeyId", UNKNOWN);
  }

  @Test
  void ranges_outOfBounds_validationException_beforeTheKeyIsLookedUp() {
    d.fails("ValidationException", "GenerateDataKey", "KeyId", UNKNOWN, "NumberOfBytes", 0);
    d.fails("ValidationException", "GenerateDataKey", "KeyId", UNKNOWN, "NumberOfBytes", 1025);
    d.fails("ValidationException", "GenerateRandom", "NumberOfBytes", 1025);
    d.fails("ValidationException", "ScheduleKeyDeletion", "KeyId", UNKNOWN,
        "PendingWindowInDays", 6);
    d.fails("ValidationException", "ScheduleKeyDeletion", "KeyId", UNKNOWN,
        "PendingWindowInDays", 31);
    d.fails("ValidationException", "EnableKeyRotation", "KeyId", UNKNOWN,
        "RotationPeriodInDays", 89);
    d.fails("ValidationException", "ListKeys", "Limit", 0);
    d.fails("ValidationException", "ListKeys", "Limit", 1001);
    d.fails("ValidationException", "ListResourceTags", "KeyId", UNKNOWN, "Limit", 51);
    d.fails("ValidationException", "ListAliases", "Limit", 101);
  }

  @Test
  void textConstraints_validationException_beforeTheKeyIsLookedUp() {
    d.fails("ValidationException", "DescribeKey", "KeyId", "k".repeat(2049));
    d.fails("ValidationException", "DescribeKey", "KeyId", "");
    d.fails("ValidationException", "GetKeyPolicy", "KeyId", UNKNOWN, "PolicyName", "a-b");
    d.fails("ValidationException", "ListKeys", "Marker", "");
    d.fails("ValidationException", "ListKeys", "Marker", "m".repeat(1025));
    d.fails("ValidationException", "ListKeys", "Marker", "\u0100");
    d.fails("ValidationException", "RevokeGrant", "KeyId", UNKNOWN, "GrantId", "g".repeat(129));
    d.fails("ValidationException", "CreateGrant", "KeyId", UNKNOWN, "GranteePrincipal",
        "arn:coffer:iam::000000000000:user/x", "Operations", List.of("Encrypt"), "Name", "a b");
    d.fails("ValidationException", "CreateGrant", "KeyId", UNKNOWN, "GranteePrincipal",
        "a b", "Operations", List.of("Encrypt"));
    d.fails("ValidationException", "CreateGrant", "KeyId", UNKNOWN, "GranteePrincipal",
        "arn:coffer:iam::000000000000:user/x", "Operations", List.of("Fly"));
    d.fails("ValidationException", "CreateKey", "KeyUsage", "SIGN_AND_FLY");
  }

  @Test
  void enumValues_outsideTheModel_validationException() {
    d.fails("ValidationException", "Encrypt", "KeyId", key, "Plaintext", new byte[1],
        "EncryptionAlgorithm", "ROT13");
    d.fails("ValidationException", "GenerateDataKey", "KeyId", key, "KeySpec", "AES_512");
    // A value AWS knows that Coffer does not support keeps its own answer.
    d.fails("InvalidKeyUsageException", "Encrypt", "KeyId", key, "Plaintext", new byte[1],
        "EncryptionAlgorithm", "RSAES_OAEP_SHA_256");
  }

  @Test
  void encryptionContext_emptyKeyOrOversized_validationException_beforeTheKeyIsLookedUp() {
    d.fails("ValidationException", "Encrypt", "KeyId", UNKNOWN, "Plaintext", new byte[1],
        "EncryptionContext", Map.of("", "v"));
    d.fails("ValidationException", "Encrypt", "KeyId", UNKNOWN, "Plaintext", new byte[1],
        "EncryptionContext", Map.of("k", "v".repeat(8193)));
    d.fails("ValidationException", "GenerateDataKey", "KeyId", UNKNOWN, "NumberOfBytes", 8,
        "EncryptionContext", Map.of("", "v"));
    d.fails("ValidationException", "ReEncrypt", "CiphertextBlob", new byte[60],
        "DestinationKeyId", UNKNOWN, "DestinationEncryptionContext", Map.of("", "v"));
  }

  /** As AWS KMS names input it cannot deserialise (docs/protocol.md, "Bodies"). */
  @Test
  void wrongJsonTypes_serializationException_beforeTheKeyIsLookedUp() {
    d.fails("SerializationException", "DescribeKey", "KeyId", 5);
    d.fails("SerializationException", "Encrypt", "KeyId", UNKNOWN, "Plaintext", 5);
    d.fails("SerializationException", "Encrypt", "KeyId", UNKNOWN, "Plaintext", new byte[1],
        "GrantTokens", "t");
    d.fails("SerializationException", "TagResource", "KeyId", UNKNOWN, "Tags", "x");
    d.fails("SerializationException", "TagResource", "KeyId", UNKNOWN, "Tags", List.of("x"));
    d.fails("SerializationException", "Decrypt", "CiphertextBlob", Map.of("a", "b"));
    d.fails("SerializationException", "ListKeys", "Limit", "5");
  }

  /**
   * A wrong JSON type is found before any rule of another member, and in members the operation
   * reads only in some cases or that have no constraint of their own (booleans, maps,
   * timestamps): AWS deserialises the whole request before it validates any of it.
   */
  @Test
  void wrongJsonTypes_serializationException_beforeAnyRuleAndInEveryMember() {
    // Booleans read only with another member, or never on a path the request takes.
    d.fails("SerializationException", "CreateKey", "BypassPolicyLockoutSafetyCheck", "yes");
    d.fails("SerializationException", "CreateKey", "Origin", "EXTERNAL",
        "BypassPolicyLockoutSafetyCheck", "x");
    d.fails("SerializationException", "PutKeyPolicy", "KeyId", UNKNOWN, "Policy", "{}",
        "BypassPolicyLockoutSafetyCheck", "x");
    // A wrong type after a member that breaks a rule.
    d.fails("SerializationException", "Encrypt", "KeyId", "", "Plaintext", new byte[1],
        "DryRun", "x");
    d.fails("SerializationException", "CreateKey", "KeyUsage", "BAD", "Tags", List.of(5));
    d.fails("SerializationException", "ListKeys", "Limit", 0, "Marker", 5);
    d.fails("SerializationException", "Encrypt", "KeyId", "", "Plaintext", new byte[1],
        "EncryptionContext", Map.of("a", 1));
    d.fails("SerializationException", "CreateGrant", "KeyId", "", "GranteePrincipal", "x",
        "Operations", List.of("Encrypt"), "Constraints",
        Map.of("EncryptionContextSubset", Map.of("a", 1)));
    d.fails("SerializationException", "ImportKeyMaterial", "KeyId", "", "ImportToken",
        new byte[1], "EncryptedKeyMaterial", new byte[1], "ValidTo", List.of(1));
  }

  /**
   * GenerateDataKey's "KeySpec or NumberOfBytes, exactly one" is a rule of the request alone,
   * checked before the key is looked up, as the model's constraints are; before, an unknown or
   * disabled key answered NotFoundException or DisabledException instead.
   */
  @Test
  void generateDataKey_keySpecXorNumberOfBytes_beforeTheKeyIsLookedUp() {
    for (String op : List.of("GenerateDataKey", "GenerateDataKeyWithoutPlaintext")) {
      d.fails("ValidationException", op, "KeyId", UNKNOWN);
      d.fails("ValidationException", op, "KeyId", UNKNOWN, "KeySpec", "AES_256",
          "NumberOfBytes", 32);
    }
  }

  @Test
  void grantTokens_countAndLength_validationException() {
    d.fails("ValidationException", "Encrypt", "KeyId", UNKNOWN, "Plaintext", new byte[1],
        "GrantTokens", Collections.nCopies(11, "t"));
    d.fails("ValidationException", "DescribeKey", "KeyId", key, "GrantTokens", List.of(""));
    d.fails("ValidationException", "DescribeKey", "KeyId", key, "GrantTokens",
        List.of("t".repeat(8193)));
  }
}
