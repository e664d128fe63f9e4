package dev.coffer.daemon.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.daemon.TestDaemon;
import dev.coffer.daemon.config.DaemonConfig;
import dev.coffer.protocol.DaemonClient;
import dev.coffer.protocol.Json;
import dev.coffer.protocol.KmsException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The audit log of a real daemon on a real socket. */
class AuditDaemonTest {

  private static final String ME = System.getProperty("user.name");
  private TestDaemon d;

  @BeforeEach
  void start() throws IOException {
    d = new TestDaemon();
  }

  @AfterEach
  void stop() throws IOException {
    d.close();
  }

  private Path auditDir() {
    return d.home.resolve("audit");
  }

  private List<ObjectNode> lookup(AuditLookup q) throws IOException {
    List<ObjectNode> out = new ArrayList<>();
    q.run(auditDir(), line -> out.add(Json.parseObject(line.getBytes(StandardCharsets.UTF_8))));
    return out;
  }

  private List<ObjectNode> events(String name) throws IOException {
    return lookup(new AuditLookup(null, name, null, null, null));
  }

  @Test
  void everyRequest_recorded_successFailureUnknownMalformed() throws IOException {
    String key = d.createKey();
    d.call("Encrypt", "KeyId", key, "Plaintext", new byte[] {1, 2, 3});
    d.fails("ValidationException", "Encrypt", "KeyId", key, "Plaintext", new byte[0]);
    d.fails("NotFoundException", "DescribeKey", "KeyId", "alias/none");
    d.fails("ValidationException", "Encrypt", "KeyId", key, "Bogus", "x");
    try {
      d.call("NoSuchOperation", Json.object());
    } catch (KmsException expected) {
      // unknown operations are refused, and audited
    }
    d.restart(); // flushes the batched cryptographic events
    List<ObjectNode> enc = events("Encrypt");
    assertEquals(3, enc.size());
    assertFalse(enc.get(0).has("errorCode"));
    assertEquals("ValidationException", enc.get(1).get("errorCode").asText());
    assertEquals("ValidationException", enc.get(2).get("errorCode").asText());
    ObjectNode describe = events("DescribeKey").get(0);
    assertEquals("NotFoundException", describe.get("errorCode").asText());
    assertEquals(1, events("NoSuchOperation").size());
    ObjectNode create = events("CreateKey").get(0);
    assertEquals("AwsApiCall", create.get("eventType").asText());
    assertEquals("UnixUser", create.at("/userIdentity/type").asText());
    assertEquals(ME, create.at("/userIdentity/userName").asText());
    assertEquals(ProcessHandle.current().pid(), create.at("/userIdentity/pid").asLong());
    assertEquals("arn:coffer:iam::000000000000:user/" + ME, create.at("/userIdentity/arn")
        .asText());
    assertEquals(key, create.at("/responseElements/KeyMetadata/KeyId").asText());
    assertEquals("AWS::KMS::Key", create.at("/resources/0/type").asText());
    assertTrue(create.get("managementEvent").asBoolean());
    assertTrue(enc.get(0).get("responseElements").isNull());
    assertTrue(AuditVerifier.verify(auditDir(), null).ok());
  }

  @Test
  void deniedRequests_recorded() throws IOException {
    try (TestDaemon locked = new TestDaemon(c -> c.withAccess(new DaemonConfig.Access(
        List.of("user/coffer-nobody"), List.of("user/" + ME), "rw-------", null)))) {
      String key = locked.createKey();
      locked.fails("AccessDeniedException", "Encrypt", "KeyId", key, "Plaintext", new byte[] {1});
      locked.fails("AccessDeniedException", "ScheduleKeyDeletion", "KeyId", key);
      // A management call that returned was already written: no restart needed.
      List<ObjectNode> out = new ArrayList<>();
      new AuditLookup(key, "ScheduleKeyDeletion", null, null, ME).run(
          locked.home.resolve("audit"),
          l -> out.add(Json.parseObject(l.getBytes(StandardCharsets.UTF_8))));
      assertEquals(1, out.size());
      assertEquals("AccessDeniedException", out.get(0).get("errorCode").asText());
      locked.restart();
      List<ObjectNode> enc = new ArrayList<>();
      new AuditLookup(key, "Encrypt", null, null, null).run(locked.home.resolve("audit"),
          l -> enc.add(Json.parseObject(l.getBytes(StandardCharsets.UTF_8))));
      assertEquals("AccessDeniedException", enc.get(0).get("errorCode").asText());
    }
  }

  @Test
  void managementCall_onDiskBeforeResponseArrives() throws IOException {
    for (int i = 0; i < 5; i++) {
      String key = d.createKey();
      d.call("CreateAlias", "AliasName", "alias/durable-" + i, "TargetKeyId", key);
      // The daemon fsynced the record before it answered: it is in the file right now.
      String all = readAll();
      assertTrue(all.contains("\"AliasName\":\"alias/durable-" + i + "\""));
    }
  }

  private String readAll() throws IOException {
    StringBuilder b = new StringBuilder();
    try (Stream<Path> s = Files.walk(auditDir())) {
      for (Path p : (Iterable<Path>) s.filter(Files::isRegularFile)::iterator) {
        b.append(new String(Files.readAllBytes(p), StandardCharsets.ISO_8859_1));
      }
    }
    return b.toString();
  }

  @Test
  void auditFiles_neverContainPlaintextOrDataKeys() throws IOException {
    String key = d.createKey();
    List<byte[]> secrets = new ArrayList<>();
    SecureRandom r = new SecureRandom();
    for (int i = 0; i < 20; i++) {
      ObjectNode dk = d.call("GenerateDataKey", "KeyId", key, "KeySpec", "AES_256",
          "EncryptionContext", Map.of("purpose", "scan"));
      secrets.add(Base64.getDecoder().decode(dk.get("Plaintext").asText()));
      byte[] probe = new byte[32];
      r.nextBytes(probe);
      secrets.add(probe);
      ObjectNode ct = d.call("Encrypt", "KeyId", key, "Plaintext", probe);
      d.call("Decrypt", "CiphertextBlob", Base64.getDecoder().decode(
          ct.get("CiphertextBlob").asText()));
      ObjectNode rnd = d.call("GenerateRandom", "NumberOfBytes", 32);
      secrets.add(Base64.getDecoder().decode(rnd.get("Plaintext").asText()));
    }
    d.restart();
    byte[] all = readAll().getBytes(StandardCharsets.ISO_8859_1);
    String text = new String(all, StandardCharsets.ISO_8859_1);
    for (byte[] s : secrets) {
      assertFalse(indexOf(all, s) >= 0, "raw secret bytes in the audit log");
      // Any 16-byte window of the secret, base64-encoded, to catch offset encodings too.
      for (int off = 0; off < 3; off++) {
        String b64 = Base64.getEncoder().encodeToString(
            java.util.Arrays.copyOfRange(s, off, off + 18));
        assertFalse(text.contains(b64.substring(4, 20)), "base64 of a secret in the audit log");
      }
      assertFalse(text.toLowerCase().contains(HexFormat.of().formatHex(s, 0, 16)),
          "hex of a secret in the audit log");
    }
    assertTrue(text.contains("\"purpose\":\"scan\""), "encryption context is logged");
    assertFalse(text.contains("\"Plaintext\""));
    assertFalse(text.contains("\"CiphertextBlob\""));
  }

  /**
   * Sign, GenerateMac, GenerateDataKeyPair and PutCertificateChain are recorded with their
   * algorithms and key, never the message, signature, MAC or private key.
   */
  @Test
  void asymmetricOperations_recordedWithAlgorithms_neverMessagesOrPrivateKeys()
      throws IOException {
    String ec = d.call("CreateKey", "KeySpec", "ECC_NIST_P256", "KeyUsage", "SIGN_VERIFY")
        .get("KeyMetadata").get("KeyId").asText();
    String hmac = d.call("CreateKey", "KeySpec", "HMAC_256", "KeyUsage", "GENERATE_VERIFY_MAC")
        .get("KeyMetadata").get("KeyId").asText();
    byte[] message = new byte[32];
    new SecureRandom().nextBytes(message);
    ObjectNode sig = d.call("Sign", "KeyId", ec, "Message", message, "MessageType", "DIGEST",
        "SigningAlgorithm", "ECDSA_SHA_256");
    ObjectNode mac = d.call("GenerateMac", "KeyId", hmac, "Message", message, "MacAlgorithm",
        "HMAC_SHA_256");
    ObjectNode pair = d.call("GenerateDataKeyPair", "KeyId", d.createKey(), "KeyPairSpec",
        "ECC_NIST_P256");
    d.fails("ValidationException", "Sign", "KeyId", ec, "Message", new byte[48],
        "MessageType", "DIGEST", "SigningAlgorithm", "ECDSA_SHA_256");
    d.restart();
    ObjectNode signed = events("Sign").get(0);
    assertTrue(signed.get("requestParameters").toString().contains("ECDSA_SHA_256"),
        signed::toString);
    assertTrue(signed.get("requestParameters").toString().contains("DIGEST"),
        signed::toString);
    assertEquals(2, events("Sign").size(), "the refused Sign is recorded too");
    assertEquals(1, events("GenerateMac").size());
    assertEquals(1, events("GenerateDataKeyPair").size());
    byte[] all = readAll().getBytes(StandardCharsets.ISO_8859_1);
    String text = new String(all, StandardCharsets.ISO_8859_1);
    for (byte[] secret : List.of(message,
        Base64.getDecoder().decode(sig.get("Signature").asText()),
        Base64.getDecoder().decode(mac.get("Mac").asText()),
        Base64.getDecoder().decode(pair.get("PrivateKeyPlaintext").asText()))) {
      assertFalse(indexOf(all, java.util.Arrays.copyOf(secret, 16)) >= 0);
      String b64 = Base64.getEncoder().encodeToString(secret);
      assertFalse(text.contains(b64.substring(0, 20)), "base64 of a secret in the audit log");
    }
    assertFalse(text.contains("\"Message\""));
    assertFalse(text.contains("PrivateKeyPlaintext"));
  }

  private static int indexOf(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  @Test
  void lookup_filtersByKeyEventNameTimeAndPrincipal() throws IOException {
    String a = d.createKey();
    String b = d.createKey();
    d.call("Encrypt", "KeyId", a, "Plaintext", new byte[] {1});
    d.clock.advance(Duration.ofHours(2));
    Instant later = d.clock.instant();
    d.call("Encrypt", "KeyId", b, "Plaintext", new byte[] {2});
    d.call("Encrypt", "KeyId", a, "Plaintext", new byte[] {3});
    d.call("UpdateKeyDescription", "KeyId", a, "Description", "two");
    d.restart();
    String arnA = events("CreateKey").get(0).at("/resources/0/ARN").asText();
    assertEquals(3, lookup(new AuditLookup(a, null, null, null, null)).size()
        - 1 /* CreateKey names the key in its resources too */);
    assertEquals(2, lookup(new AuditLookup(arnA, "Encrypt", null, null, null)).size());
    assertEquals(1, lookup(new AuditLookup(a, "Encrypt", later, null, null)).size());
    assertEquals(1, lookup(new AuditLookup(a, "Encrypt", null, later, null)).size());
    assertEquals(2, lookup(new AuditLookup(a, "Encrypt", null, null, ME)).size());
    assertEquals(2, lookup(new AuditLookup(a, "Encrypt", null, null,
        "arn:coffer:iam::000000000000:user/" + ME)).size());
    assertEquals(0, lookup(new AuditLookup(a, null, null, null, "someone-else")).size());
    assertEquals(1, lookup(new AuditLookup(b, "Encrypt", null, null, null)).size());
  }

  @Test
  void keyDeletedAtEndOfWindow_recordedAsServiceEvent() throws IOException {
    String key = d.createKey();
    d.call("ScheduleKeyDeletion", "KeyId", key, "PendingWindowInDays", 7);
    d.clock.advance(Duration.ofDays(8));
    d.daemon.runMaintenance();
    List<ObjectNode> del = lookup(new AuditLookup(key, "DeleteKey", null, null, null));
    assertEquals(1, del.size());
    assertEquals("AwsServiceEvent", del.get(0).get("eventType").asText());
    assertEquals("coffer-daemon", del.get(0).at("/userIdentity/userName").asText());
    d.restart();
    assertTrue(AuditVerifier.verify(auditDir(), null).ok());
  }

  @Test
  void scheduledRotationAndMaterialExpiry_recordedAsServiceEvents() throws Exception {
    String key = d.createKey();
    d.call("EnableKeyRotation", "KeyId", key, "RotationPeriodInDays", 90);
    d.clock.advance(Duration.ofDays(90));
    d.daemon.runMaintenance();
    List<ObjectNode> rotated = lookup(new AuditLookup(key, "RotateKey", null, null, null));
    assertEquals(1, rotated.size());
    assertEquals("AwsServiceEvent", rotated.get(0).get("eventType").asText());
    assertTrue(AuditVerifier.verify(auditDir(), null).ok());
  }

  @Test
  void manyClients_cryptoEventsAllRecorded_logVerifies() throws Exception {
    String key = d.createKey();
    int threads = 4;
    int each = 500;
    List<Thread> ts = new ArrayList<>();
    try (DaemonClient c = new DaemonClient(d.daemon.socket(), threads, Duration.ofSeconds(20))) {
      for (int t = 0; t < threads; t++) {
        Thread th = new Thread(() -> {
          ObjectNode in = Json.object();
          in.put("KeyId", key);
          in.put("Plaintext", Base64.getEncoder().encodeToString(new byte[16]));
          for (int i = 0; i < each; i++) {
            c.call("Encrypt", in.deepCopy());
          }
        });
        ts.add(th);
        th.start();
      }
      for (Thread th : ts) {
        th.join();
      }
    }
    d.restart();
    assertEquals(threads * each, events("Encrypt").size());
    AuditVerifier.Result r = AuditVerifier.verify(auditDir(), null);
    assertTrue(r.ok(), r.summary());
  }

  /** Every untrusted string is cut and every record stays small, however large the request. */
  @Test
  void untrustedText_cappedInRecords() throws IOException {
    String key = d.createKey();
    String hugeName = "N".repeat(90_000);
    assertThrows(KmsException.class, () -> d.call(hugeName, Json.object()));
    ObjectNode context = Json.object();
    for (int i = 0; i < 20; i++) {
      context.put("k" + i + "x".repeat(1000), "\u00e9".repeat(1000) + "\ud83d\ude00".repeat(10));
    }
    ObjectNode enc = Json.object().put("KeyId", key).put("Plaintext", new byte[] {1});
    enc.set("EncryptionContext", context);
    // refused (the context is over 8192 bytes), and audited with what was sent
    assertThrows(KmsException.class, () -> d.call("Encrypt", enc));
    assertThrows(KmsException.class, () -> d.call("CreateAlias", "AliasName",
        "alias/" + "a".repeat(60_000), "TargetKeyId", key));
    d.restart(); // flushes the batched cryptographic event
    String all = readAll();
    for (String line : all.split("\n")) {
      assertTrue(line.length() <= 36 * 1024, "a record of " + line.length() + " bytes");
    }
    ObjectNode unknown = events(hugeName.substring(0, AuditRecords.MAX_EVENT_NAME)
        + AuditRecords.TRUNCATED).get(0);
    // The error message shows only the start of the name (RequestEnvelopeSocketTest).
    assertTrue(unknown.get("errorMessage").asText().length() < 300);
    ObjectNode encrypt = events("Encrypt").get(0);
    assertTrue(encrypt.get("requestParameters").get("truncated").asBoolean(),
        encrypt.get("requestParameters").toString());
    // A refused request keeps at most 2 KiB of parameters: the 60,000-character name is
    // summarised by its length and digest.
    ObjectNode alias = events("CreateAlias").get(0);
    assertTrue(alias.get("requestParameters").get("truncated").asBoolean(),
        alias.get("requestParameters").toString());
  }
}
