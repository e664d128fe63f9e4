package dev.coffer.daemon.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.daemon.TestDaemon;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Key, alias, tag and key-state operations through the real socket. */
class KeyOperationsTest {

  private TestDaemon d;

  @BeforeEach
  void start() throws Exception {
    d = new TestDaemon();
  }

  @AfterEach
  void stop() throws Exception {
    d.close();
  }

  private JsonNode describe(String ref) {
    return d.call("DescribeKey", "KeyId", ref).get("KeyMetadata");
  }

  @Test
  void createKey_defaults_returnsEnabledSymmetricKeyWithArn() {
    JsonNode m = d.call("CreateKey", "Description", "orders").get("KeyMetadata");
    assertEquals("Enabled", m.get("KeyState").asText());
    assertTrue(m.get("Enabled").asBoolean());
    assertEquals("orders", m.get("Description").asText());
    assertEquals("SYMMETRIC_DEFAULT", m.get("KeySpec").asText());
    assertEquals("ENCRYPT_DECRYPT", m.get("KeyUsage").asText());
    assertEquals("AWS_KMS", m.get("Origin").asText());
    assertEquals("arn:aws:kms:local:000000000000:key/" + m.get("KeyId").asText(),
        m.get("Arn").asText());
  }

  @Test
  void createKey_withTags_listResourceTagsReturnsThem() {
    String id = d.call("CreateKey", "Tags", List.of(Map.of("TagKey", "team", "TagValue", "pay")))
        .get("KeyMetadata").get("KeyId").asText();
    JsonNode tags = d.call("ListResourceTags", "KeyId", id).get("Tags");
    assertEquals(1, tags.size());
    assertEquals("team", tags.get(0).get("TagKey").asText());
    assertEquals("pay", tags.get(0).get("TagValue").asText());
  }

  @Test
  void createKey_descriptionTooLong_validationException() {
    d.fails("ValidationException", "CreateKey", "Description", "x".repeat(8193));
  }

  @Test
  void createKey_specCofferDoesNotImplement_unsupported() {
    d.fails("UnsupportedOperationException", "CreateKey", "KeySpec", "SM2", "KeyUsage",
        "SIGN_VERIFY");
  }

  @Test
  void createKey_unknownParameter_validationExceptionNamesIt() {
    String msg = d.fails("ValidationException", "CreateKey", "Descripton", "typo").getMessage();
    assertTrue(msg.contains("Descripton"), msg);
  }

  @Test
  void createKey_malformedPolicy_malformedPolicyDocument_noKeyCreated() {
    d.fails("MalformedPolicyDocumentException", "CreateKey", "Policy", "{}");
    d.fails("MalformedPolicyDocumentException", "CreateKey", "Policy", "not json");
    assertEquals(0, d.call("ListKeys").get("Keys").size());
  }

  @Test
  void createKey_overQuota_limitExceeded() throws Exception {
    try (TestDaemon small = new TestDaemon(c -> c.withMaxKeys(2))) {
      small.createKey();
      small.createKey();
      small.fails("LimitExceededException", "CreateKey");
    }
  }

  @Test
  void describeKey_byIdArnAliasAndAliasArn_sameKey() {
    String id = d.createKey();
    d.call("CreateAlias", "AliasName", "alias/orders", "TargetKeyId", id);
    String arn = describe(id).get("Arn").asText();
    assertEquals(id, describe(arn).get("KeyId").asText());
    assertEquals(id, describe("alias/orders").get("KeyId").asText());
    assertEquals(id, describe("arn:aws:kms:local:000000000000:alias/orders").get("KeyId")
        .asText());
  }

  /** Coffer's former five-part ARNs (before 0.2) still resolve as input, never as output. */
  @Test
  void describeKey_legacyFivePartArns_stillResolve() {
    String id = d.createKey();
    d.call("CreateAlias", "AliasName", "alias/orders", "TargetKeyId", id);
    assertEquals(id, describe("arn:coffer:local:000000000000:key/" + id).get("KeyId").asText());
    assertEquals(id, describe("arn:coffer:local:000000000000:alias/orders").get("KeyId")
        .asText());
    assertEquals("arn:aws:kms:local:000000000000:key/" + id,
        describe("arn:coffer:local:000000000000:key/" + id).get("Arn").asText());
    assertEquals("arn:aws:kms:local:000000000000:key/" + id, d.call("Encrypt", "KeyId",
        "arn:coffer:local:000000000000:key/" + id, "Plaintext", new byte[] {1}).get("KeyId")
        .asText());
    d.call("EnableKey", "KeyId", "arn:coffer:local:000000000000:key/" + id);
  }

  /** The six-part shape, with partition, region and account from the configuration. */
  @Test
  void arns_followConfiguredPartitionRegionAccount() throws Exception {
    try (TestDaemon other = new TestDaemon(c -> c.withArnParts("aws-cn", "us-east-1",
        "111122223333"))) {
      String id = other.createKey();
      String arn = "arn:aws-cn:kms:us-east-1:111122223333:key/" + id;
      JsonNode m = other.call("DescribeKey", "KeyId", id).get("KeyMetadata");
      assertEquals(arn, m.get("Arn").asText());
      assertEquals("111122223333", m.get("AWSAccountId").asText());
      other.call("CreateAlias", "AliasName", "alias/a", "TargetKeyId", arn);
      JsonNode alias = other.call("ListAliases").get("Aliases").get(0);
      assertEquals("arn:aws-cn:kms:us-east-1:111122223333:alias/a",
          alias.get("AliasArn").asText());
      assertEquals(id, other.call("DescribeKey", "KeyId",
          "arn:aws-cn:kms:us-east-1:111122223333:alias/a").get("KeyMetadata").get("KeyId")
          .asText());
      assertEquals(id, other.call("DescribeKey", "KeyId",
          "arn:coffer:us-east-1:111122223333:key/" + id).get("KeyMetadata").get("KeyId")
          .asText());
      other.fails("NotFoundException", "DescribeKey", "KeyId",
          "arn:aws:kms:us-east-1:111122223333:key/" + id);
    }
  }

  @Test
  void describeKey_unknownId_notFound() {
    d.fails("NotFoundException", "DescribeKey", "KeyId", "11111111-2222-3333-4444-555555555555");
    d.fails("NotFoundException", "DescribeKey", "KeyId", "not-a-key");
    d.fails("NotFoundException", "DescribeKey", "KeyId", "alias/none");
  }

  @Test
  void describeKey_foreignAccountArn_notFound_malformedArn_invalidArn() {
    String id = d.createKey();
    d.fails("NotFoundException", "DescribeKey", "KeyId", "arn:coffer:local:999999999999:key/" + id);
    d.fails("NotFoundException", "DescribeKey", "KeyId", "arn:aws:kms:local:999999999999:key/"
        + id);
    d.fails("InvalidArnException", "DescribeKey", "KeyId", "arn:coffer:bad");
    d.fails("InvalidArnException", "DescribeKey", "KeyId", "arn:aws:kms:local:key/" + id);
  }

  @Test
  void listKeys_paginates_withoutDuplicatesOrGaps() {
    Set<String> created = new HashSet<>();
    for (int i = 0; i < 7; i++) {
      created.add(d.createKey());
    }
    Set<String> seen = new HashSet<>();
    String marker = null;
    int pages = 0;
    do {
      ObjectNode page = marker == null ? d.call("ListKeys", "Limit", 3)
          : d.call("ListKeys", "Limit", 3, "Marker", marker);
      page.get("Keys").forEach(k -> assertTrue(seen.add(k.get("KeyId").asText())));
      marker = page.get("Truncated").asBoolean() ? page.get("NextMarker").asText() : null;
      pages++;
    } while (marker != null);
    assertEquals(created, seen);
    assertEquals(3, pages);
  }

  @Test
  void listKeys_badMarker_invalidMarker_badLimit_validation() {
    d.fails("InvalidMarkerException", "ListKeys", "Marker", "***");
    d.fails("ValidationException", "ListKeys", "Limit", 0);
    d.fails("ValidationException", "ListKeys", "Limit", 1001);
  }

  @Test
  void createAlias_duplicate_alreadyExists() {
    String id = d.createKey();
    d.call("CreateAlias", "AliasName", "alias/a", "TargetKeyId", id);
    d.fails("AlreadyExistsException", "CreateAlias", "AliasName", "alias/a", "TargetKeyId", id);
  }

  @Test
  void createAlias_badName_validation_reservedName_invalidAliasName() {
    String id = d.createKey();
    // No alias/ prefix, or a character outside the API pattern: ValidationException, as AWS.
    d.fails("ValidationException", "CreateAlias", "AliasName", "orders", "TargetKeyId", id);
    d.fails("ValidationException", "CreateAlias", "AliasName", "alias/a b", "TargetKeyId", id);
    d.fails("ValidationException", "CreateAlias", "AliasName", "alias/a:b", "TargetKeyId", id);
    d.fails("InvalidAliasNameException", "CreateAlias", "AliasName", "alias/aws/x", "TargetKeyId", id);
    d.fails("InvalidAliasNameException", "CreateAlias", "AliasName", "alias/coffer/x",
        "TargetKeyId", id);
  }

  @Test
  void createAlias_targetIsAliasOrUnknown_notFound() {
    String id = d.createKey();
    d.call("CreateAlias", "AliasName", "alias/a", "TargetKeyId", id);
    d.fails("NotFoundException", "CreateAlias", "AliasName", "alias/b", "TargetKeyId", "alias/a");
    d.fails("NotFoundException", "CreateAlias", "AliasName", "alias/b",
        "TargetKeyId", "11111111-2222-3333-4444-555555555555");
  }

  @Test
  void createAlias_targetPendingDeletion_invalidState() {
    String id = d.createKey();
    d.call("ScheduleKeyDeletion", "KeyId", id);
    d.fails("KMSInvalidStateException", "CreateAlias", "AliasName", "alias/a", "TargetKeyId", id);
  }

  @Test
  void updateAlias_movesAliasToOtherKey() {
    String a = d.createKey();
    String b = d.createKey();
    d.call("CreateAlias", "AliasName", "alias/current", "TargetKeyId", a);
    d.call("UpdateAlias", "AliasName", "alias/current", "TargetKeyId", b);
    assertEquals(b, describe("alias/current").get("KeyId").asText());
  }

  @Test
  void updateAlias_missingAlias_notFound_pendingTarget_invalidState() {
    String a = d.createKey();
    String b = d.createKey();
    d.fails("NotFoundException", "UpdateAlias", "AliasName", "alias/none", "TargetKeyId", a);
    d.call("CreateAlias", "AliasName", "alias/x", "TargetKeyId", a);
    d.call("ScheduleKeyDeletion", "KeyId", b, "PendingWindowInDays", 7);
    d.fails("KMSInvalidStateException", "UpdateAlias", "AliasName", "alias/x", "TargetKeyId", b);
  }

  @Test
  void deleteAlias_removesAliasOnly_keyRemains() {
    String id = d.createKey();
    d.call("CreateAlias", "AliasName", "alias/gone", "TargetKeyId", id);
    d.call("DeleteAlias", "AliasName", "alias/gone");
    d.fails("NotFoundException", "DescribeKey", "KeyId", "alias/gone");
    assertEquals("Enabled", describe(id).get("KeyState").asText());
    d.fails("NotFoundException", "DeleteAlias", "AliasName", "alias/gone");
  }

  @Test
  void listAliases_filteredByKey_onlyThatKeysAliases() {
    String a = d.createKey();
    String b = d.createKey();
    d.call("CreateAlias", "AliasName", "alias/a1", "TargetKeyId", a);
    d.call("CreateAlias", "AliasName", "alias/a2", "TargetKeyId", a);
    d.call("CreateAlias", "AliasName", "alias/b1", "TargetKeyId", b);
    JsonNode list = d.call("ListAliases", "KeyId", a).get("Aliases");
    assertEquals(2, list.size());
    assertEquals("alias/a1", list.get(0).get("AliasName").asText());
    assertEquals(3, d.call("ListAliases").get("Aliases").size());
  }

  @Test
  void updateKeyDescription_changesIt_pendingDeletion_invalidState() {
    String id = d.createKey();
    d.call("UpdateKeyDescription", "KeyId", id, "Description", "new");
    assertEquals("new", describe(id).get("Description").asText());
    d.call("ScheduleKeyDeletion", "KeyId", id);
    d.fails("KMSInvalidStateException", "UpdateKeyDescription", "KeyId", id, "Description", "x");
  }

  @Test
  void tagAndUntag_roundTrip_reservedAndDuplicate_tagException() {
    String id = d.createKey();
    d.call("TagResource", "KeyId", id, "Tags", List.of(Map.of("TagKey", "a", "TagValue", "1"),
        Map.of("TagKey", "b", "TagValue", "2")));
    d.call("TagResource", "KeyId", id, "Tags", List.of(Map.of("TagKey", "a", "TagValue", "3")));
    d.call("UntagResource", "KeyId", id, "TagKeys", List.of("b"));
    JsonNode tags = d.call("ListResourceTags", "KeyId", id).get("Tags");
    assertEquals(1, tags.size());
    assertEquals("3", tags.get(0).get("TagValue").asText());
    d.fails("TagException", "TagResource", "KeyId", id,
        "Tags", List.of(Map.of("TagKey", "aws:x", "TagValue", "1")));
    d.fails("TagException", "TagResource", "KeyId", id, "Tags",
        List.of(Map.of("TagKey", "k", "TagValue", "1"), Map.of("TagKey", "k", "TagValue", "2")));
  }

  @Test
  void tagResource_byAlias_notFoundAsInAws() {
    String id = d.createKey();
    d.call("CreateAlias", "AliasName", "alias/t", "TargetKeyId", id);
    d.fails("NotFoundException", "TagResource", "KeyId", "alias/t",
        "Tags", List.of(Map.of("TagKey", "a", "TagValue", "1")));
  }

  @Test
  void disableThenEnable_stateFollows() {
    String id = d.createKey();
    d.call("DisableKey", "KeyId", id);
    assertEquals("Disabled", describe(id).get("KeyState").asText());
    assertFalse(describe(id).get("Enabled").asBoolean());
    d.call("EnableKey", "KeyId", id);
    assertEquals("Enabled", describe(id).get("KeyState").asText());
  }

  @Test
  void scheduleKeyDeletion_defaultWindowIs30Days() {
    String id = d.createKey();
    JsonNode r = d.call("ScheduleKeyDeletion", "KeyId", id);
    assertEquals(30, r.get("PendingWindowInDays").asInt());
    assertEquals("PendingDeletion", r.get("KeyState").asText());
    double expected = d.clock.instant().plus(Duration.ofDays(30)).toEpochMilli() / 1000.0;
    assertEquals(expected, r.get("DeletionDate").asDouble(), 0.001);
    assertEquals("PendingDeletion", describe(id).get("KeyState").asText());
  }

  @Test
  void scheduleKeyDeletion_windowOutside7to30_validation() {
    String id = d.createKey();
    d.fails("ValidationException", "ScheduleKeyDeletion", "KeyId", id, "PendingWindowInDays", 6);
    d.fails("ValidationException", "ScheduleKeyDeletion", "KeyId", id, "PendingWindowInDays", 31);
    assertEquals("Enabled", describe(id).get("KeyState").asText());
  }

  @Test
  void scheduleKeyDeletion_twice_invalidState_enableWhilePending_invalidState() {
    String id = d.createKey();
    d.call("ScheduleKeyDeletion", "KeyId", id, "PendingWindowInDays", 7);
    d.fails("KMSInvalidStateException", "ScheduleKeyDeletion", "KeyId", id);
    d.fails("KMSInvalidStateException", "EnableKey", "KeyId", id);
    d.fails("KMSInvalidStateException", "DisableKey", "KeyId", id);
  }

  @Test
  void cancelKeyDeletion_returnsKeyToDisabled() {
    String id = d.createKey();
    d.call("ScheduleKeyDeletion", "KeyId", id, "PendingWindowInDays", 7);
    d.call("CancelKeyDeletion", "KeyId", id);
    JsonNode m = describe(id);
    assertEquals("Disabled", m.get("KeyState").asText());
    assertFalse(m.has("DeletionDate"));
  }

  @Test
  void cancelKeyDeletion_notPending_invalidState() {
    String id = d.createKey();
    d.fails("KMSInvalidStateException", "CancelKeyDeletion", "KeyId", id);
  }

  @Test
  void deletionWindowEnds_keyAndItsAliasesAreGone() {
    String id = d.createKey();
    String keep = d.createKey();
    d.call("CreateAlias", "AliasName", "alias/doomed", "TargetKeyId", id);
    d.call("ScheduleKeyDeletion", "KeyId", id, "PendingWindowInDays", 7);
    d.clock.advance(Duration.ofDays(7).minusMinutes(1));
    d.daemon.runMaintenance();
    assertEquals("PendingDeletion", describe(id).get("KeyState").asText());
    d.clock.advance(Duration.ofMinutes(2));
    d.daemon.runMaintenance();
    d.fails("NotFoundException", "DescribeKey", "KeyId", id);
    d.fails("NotFoundException", "DescribeKey", "KeyId", "alias/doomed");
    assertEquals(keep, d.call("ListKeys").get("Keys").get(0).get("KeyId").asText());
  }

  @Test
  void deletionWindowEndedWhileDaemonDown_deletedAtStartUp() throws Exception {
    String id = d.createKey();
    d.call("ScheduleKeyDeletion", "KeyId", id, "PendingWindowInDays", 7);
    d.daemon.close();
    d.clock.advance(Duration.ofDays(8));
    d.restart();
    d.fails("NotFoundException", "DescribeKey", "KeyId", id);
  }

  @Test
  void acknowledgedChanges_surviveRestart() throws Exception {
    String id = d.call("CreateKey", "Description", "durable").get("KeyMetadata").get("KeyId")
        .asText();
    d.call("CreateAlias", "AliasName", "alias/durable", "TargetKeyId", id);
    d.call("DisableKey", "KeyId", id);
    d.call("TagResource", "KeyId", id, "Tags", List.of(Map.of("TagKey", "k", "TagValue", "v")));
    d.restart();
    JsonNode m = describe("alias/durable");
    assertEquals(id, m.get("KeyId").asText());
    assertEquals("Disabled", m.get("KeyState").asText());
    assertEquals("durable", m.get("Description").asText());
    assertEquals(1, d.call("ListResourceTags", "KeyId", id).get("Tags").size());
  }

  @Test
  void unknownOperation_unknownOperationException() {
    d.fails("UnknownOperationException", "StealKeys");
  }
}
