package dev.coffer.daemon.ops;

import static dev.coffer.daemon.TestDaemon.bytes;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.coffer.daemon.Daemon;
import dev.coffer.daemon.TestDaemon;
import dev.coffer.daemon.config.DaemonConfig;
import dev.coffer.daemon.config.StorageSettings;
import dev.coffer.daemon.storage.TestPostgres;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A daemon with {@code storage=postgresql} on a real PostgreSQL: every kind of durable state
 * (keys, versions, materials, imported material and its tokens, tags, aliases, policies, grants,
 * key pairs, access keys, deletion schedules, usage counters) is written there, survives a
 * restart, and the SQLite file is never made.
 */
class PostgresStorageTest {

  private static final byte[] SECRET = "the postgres secret".getBytes(StandardCharsets.UTF_8);

  private TestDaemon d;

  @AfterEach
  void close() throws IOException {
    if (d != null) {
      d.close();
    }
  }

  @Test
  void everyKindOfState_isInPostgresql_andSurvivesARestart() throws Exception {
    StorageSettings db = TestPostgres.newDatabase();
    d = new TestDaemon(c -> c.withStorage(db));
    String key = d.call("CreateKey", "Description", "pg", "Tags", java.util.List.of(
        java.util.Map.of("TagKey", "team", "TagValue", "storage"))).get("KeyMetadata")
        .get("KeyId").asText();
    d.call("CreateAlias", "AliasName", "alias/pg", "TargetKeyId", key);
    byte[] blob = bytes(d.call("Encrypt", "KeyId", "alias/pg", "Plaintext", SECRET)
        .get("CiphertextBlob"));
    d.clock.advance(Duration.ofDays(1));
    d.call("RotateKeyOnDemand", "KeyId", key);
    byte[] rotatedBlob = bytes(d.call("Encrypt", "KeyId", key, "Plaintext", SECRET)
        .get("CiphertextBlob"));
    String grant = d.call("CreateGrant", "KeyId", key, "GranteePrincipal",
        "arn:aws:iam::000000000000:user/bob", "Operations", java.util.List.of("Decrypt"))
        .get("GrantId").asText();
    String imported = d.call("CreateKey", "Origin", "EXTERNAL").get("KeyMetadata").get("KeyId")
        .asText();
    byte[] material = ImportedKeyRotationTest.newMaterial();
    ImportedKeyRotationTest.importMaterial(d, imported, material);
    byte[] importedBlob = bytes(d.call("Encrypt", "KeyId", imported, "Plaintext", SECRET)
        .get("CiphertextBlob"));
    String signing = d.call("CreateKey", "KeySpec", "ECC_NIST_P256", "KeyUsage", "SIGN_VERIFY")
        .get("KeyMetadata").get("KeyId").asText();
    byte[] signature = bytes(d.call("Sign", "KeyId", signing, "Message", SECRET,
        "SigningAlgorithm", "ECDSA_SHA_256").get("Signature"));
    String doomed = d.createKey();
    d.call("ScheduleKeyDeletion", "KeyId", doomed, "PendingWindowInDays", 7);
    String accessKey = d.call("CreateAccessKey", "UserName", "alice").get("AccessKey")
        .get("AccessKeyId").asText();

    d.restart();

    assertArrayEquals(SECRET, bytes(d.call("Decrypt", "CiphertextBlob", blob).get("Plaintext")));
    assertArrayEquals(SECRET, bytes(d.call("Decrypt", "CiphertextBlob", rotatedBlob)
        .get("Plaintext")));
    assertArrayEquals(SECRET, bytes(d.call("Decrypt", "CiphertextBlob", importedBlob)
        .get("Plaintext")));
    assertTrue(d.call("Verify", "KeyId", signing, "Message", SECRET, "Signature", signature,
        "SigningAlgorithm", "ECDSA_SHA_256").get("SignatureValid").asBoolean());
    assertEquals("storage", d.call("ListResourceTags", "KeyId", key).get("Tags").get(0)
        .get("TagValue").asText());
    assertEquals(key, d.call("DescribeKey", "KeyId", "alias/pg").get("KeyMetadata")
        .get("KeyId").asText());
    assertEquals(grant, d.call("ListGrants", "KeyId", key).get("Grants").get(0).get("GrantId")
        .asText());
    assertEquals(2, d.call("ListKeyRotations", "KeyId", key).get("Rotations").size() + 1);
    assertEquals("PendingDeletion", d.call("DescribeKey", "KeyId", doomed).get("KeyMetadata")
        .get("KeyState").asText());
    assertTrue(d.call("ListAccessKeys", "UserName", "alice").toString().contains(accessKey));
    JsonNode usage = d.call("GetUsage", "GroupBy", "operation");
    assertTrue(usage.toString().contains("Encrypt"), usage.toString());

    assertEquals(false, Files.exists(d.home.resolve("coffer.db")), "no SQLite file is made");
    try (Connection c = connect(db); Statement s = c.createStatement();
        ResultSet r = s.executeQuery("SELECT COUNT(*) FROM keys")) {
      r.next();
      assertEquals(4, r.getInt(1), "the keys are rows in PostgreSQL");
    }
  }

  @Test
  void aSecondNode_onTheSameDatabase_seesTheStateAtItsStart() throws Exception {
    StorageSettings db = TestPostgres.newDatabase();
    d = new TestDaemon(c -> c.withStorage(db));
    String key = d.createKey();
    byte[] blob = bytes(d.call("Encrypt", "KeyId", key, "Plaintext", SECRET)
        .get("CiphertextBlob"));
    Path other = Files.createTempDirectory(Path.of("/tmp"), "cd2");
    Files.copy(d.home.resolve("root.key"), other.resolve("root.key"));
    Files.setPosixFilePermissions(other, java.nio.file.attribute.PosixFilePermissions
        .fromString("rwx------"));
    try (Daemon second = Daemon.start(DaemonConfig.forDirectory(other).withStorage(db))) {
      assertTrue(!Files.readString(other.resolve("node-id")).strip()
          .equals(Files.readString(d.home.resolve("node-id")).strip()), "each node its name");
      try (var client = new dev.coffer.protocol.DaemonClient(second.socket(), 1,
          Duration.ofSeconds(10))) {
        JsonNode out = client.call("Decrypt", dev.coffer.protocol.Json.object()
            .put("CiphertextBlob", blob));
        assertArrayEquals(SECRET, bytes(out.get("Plaintext")));
      }
    } finally {
      try (var files = Files.walk(other)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      }
    }
  }

  /**
   * A home copied whole (its node-id with it) would otherwise ship the running node's audit
   * outbox rows into its own log, fold usage as that node and overwrite its key store sessions.
   */
  @Test
  void aSecondNode_withTheNodeIdOfARunningNode_isRefused() throws Exception {
    StorageSettings db = TestPostgres.newDatabase();
    d = new TestDaemon(c -> c.withStorage(db));
    Path other = Files.createTempDirectory(Path.of("/tmp"), "cd2");
    Files.copy(d.home.resolve("root.key"), other.resolve("root.key"));
    Files.copy(d.home.resolve("node-id"), other.resolve("node-id"));
    Files.setPosixFilePermissions(other, java.nio.file.attribute.PosixFilePermissions
        .fromString("rwx------"));
    try {
      IOException e = assertThrows(IOException.class,
          () -> Daemon.start(DaemonConfig.forDirectory(other).withStorage(db)).close());
      String id = Files.readString(other.resolve("node-id")).strip();
      assertTrue(e.getMessage().contains(id) && e.getMessage().contains("node-id"),
          e.getMessage());
      d.close();
      d = null;
      // Once the first node is gone the name is free: a home moved to another host starts.
      Daemon.start(DaemonConfig.forDirectory(other).withStorage(db)).close();
    } finally {
      try (var files = Files.walk(other)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      }
    }
  }

  @Test
  void aRoleTheServerRefuses_failsTheStart_namingTheSettings() throws Exception {
    StorageSettings db = TestPostgres.newDatabase();
    StorageSettings wrong = StorageSettings.postgresql(db.jdbcUrl(), "nobody", Optional.empty());
    IOException e = assertThrows(IOException.class, () -> new TestDaemon(c -> c
        .withStorage(wrong)));
    assertTrue(e.getMessage().contains("jdbc-url") && e.getMessage().contains("nobody"),
        e.getMessage());
  }

  private static Connection connect(StorageSettings db) throws Exception {
    return DriverManager.getConnection(db.jdbcUrl(), db.jdbcUser(), "");
  }
}
