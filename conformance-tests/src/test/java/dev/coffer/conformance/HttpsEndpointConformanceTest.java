package dev.coffer.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.coffer.conformance.DaemonProcess.CliResult;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.kms.model.DataKeySpec;
import software.amazon.awssdk.services.kms.model.DisabledException;
import software.amazon.awssdk.services.kms.model.GenerateDataKeyResponse;
import software.amazon.awssdk.services.kms.model.KmsException;
import software.amazon.awssdk.services.kms.model.NotFoundException;
import software.amazon.awssdk.services.kms.model.UnsupportedOperationException;

/**
 * The AWS-compatible endpoint of a real {@code coffer serve} process, driven by clients nobody
 * here wrote: the AWS CLI ({@code aws kms ... --endpoint-url}, trust through {@code
 * AWS_CA_BUNDLE}) and the AWS SDK for Java v2 {@code KmsClient} ({@code endpointOverride}),
 * signing with an access key from {@code coffer create-access-key}; {@code openssl s_client}
 * probes the TLS policy; the audit log shows who called over HTTPS.
 */
class HttpsEndpointConformanceTest {

  static final ObjectMapper JSON = new ObjectMapper();
  static final String REGION = "us-east-1";
  static final String ACCOUNT = "111122223333";
  static final String USER = "app";
  static final String KEY_ARN = "arn:aws:kms:" + REGION + ":" + ACCOUNT
      + ":key/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";

  static DaemonProcess daemon;
  static Path work;
  static String accessKeyId;
  static String secret;

  @BeforeAll
  static void start() throws Exception {
    // The IAM user administers keys as the account's administrators do (the default key policy
    // names the account root); the test's own Unix user stays an administrator for the socket.
    daemon = DaemonProcess.startHttps(Map.of("region", REGION, "account", ACCOUNT,
        "admins", adminsWith(USER)));
    work = Files.createTempDirectory(Path.of("/tmp"), "cofaws");
    JsonNode key = createAccessKey(daemon, USER);
    accessKeyId = key.get("AccessKeyId").asText();
    secret = key.get("SecretAccessKey").asText();
  }

  @AfterAll
  static void stop() throws IOException {
    if (daemon != null) {
      daemon.close();
    }
    if (work != null) {
      DaemonProcess.deleteTree(work);
    }
  }

  /** {@code admins}: this process's Unix user and the IAM user {@code user}. */
  static String adminsWith(String user) {
    return "user/" + System.getProperty("user.name") + ",iam-user/" + user;
  }

  /**
   * A service error as the AWS CLI reports it: exit status 255 (CLI v1; v2 uses 254) and AWS's
   * own line {@code An error occurred (CODE) when calling the OP operation: MESSAGE}.
   */
  static void assertAwsError(CliResult r, String code, String operation) {
    assertTrue(r.exitCode() == 255 || r.exitCode() == 254, r::toString);
    assertTrue(r.stderr().contains("An error occurred (" + code + ") when calling the "
        + operation + " operation: "), r::toString);
  }

  /** {@code coffer create-access-key --user-name NAME} over the socket; IAM's shape. */
  static JsonNode createAccessKey(DaemonProcess d, String user) throws Exception {
    CliResult r = d.cli("create-access-key", "--user-name", user);
    assertEquals(0, r.exitCode(), r.stderr());
    JsonNode key = JSON.readTree(r.stdout()).get("AccessKey");
    assertEquals(user, key.get("UserName").asText(), r.stdout());
    assertEquals("Active", key.get("Status").asText(), r.stdout());
    assertTrue(key.get("AccessKeyId").asText().matches("AKIA[A-Z2-7]{16}"), r.stdout());
    assertEquals(40, key.get("SecretAccessKey").asText().length());
    return key;
  }

  // ---- coffer serve --https-listen, and the self-signed certificate's files ----

  @Test
  void serveFlag_opensTheEndpoint_andNamesTheCertificate() throws Exception {
    try (DaemonProcess d = DaemonProcess.startHttps(Map.of(), true)) {
      Path cert = d.caBundle();
      Path key = cert.resolveSibling("key.pem");
      String line = "coffer: AWS-compatible endpoint https://127.0.0.1:" + d.httpsPort()
          + " (certificate for AWS_CA_BUNDLE: " + cert + ")";
      for (int i = 0; i < 100 && !d.logText().contains(line); i++) {
        Thread.sleep(50); // printed just after the listeners opened
      }
      assertTrue(d.logText().contains(line), d::logText);
      assertEquals("rw-r--r--", java.nio.file.attribute.PosixFilePermissions.toString(
          Files.getPosixFilePermissions(cert)));
      assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(
          Files.getPosixFilePermissions(key)));
      assertTrue(Files.readString(cert).startsWith("-----BEGIN CERTIFICATE-----"));
    }
  }

  // ---- The AWS CLI ----

  static boolean awsInstalled() {
    try {
      Process p = new ProcessBuilder("aws", "--version").redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException | InterruptedException e) {
      return false;
    }
  }

  /** {@code aws kms ARGS --endpoint-url URL} with only environment configuration. */
  static CliResult aws(String secretKey, String... args) throws Exception {
    return AwsClients.awsCli(daemon.httpsUrl(), daemon.caBundle(), work, REGION, accessKeyId,
        secretKey, args);
  }


  static String awsOk(String... args) throws Exception {
    CliResult r = aws(secret, args);
    assertEquals(0, r.exitCode(), () -> "aws kms " + String.join(" ", args) + ": " + r);
    return r.stdout();
  }

  @Test
  void awsCli_keyLifecycleAndRoundTrip() throws Exception {
    assumeTrue(awsInstalled(), "the AWS CLI (aws) is not installed");
    String keyId = awsOk("create-key", "--description", "from the AWS CLI",
        "--query", "KeyMetadata.KeyId", "--output", "text");
    awsOk("create-alias", "--alias-name", "alias/cli", "--target-key-id", keyId);

    byte[] plaintext = new byte[300];
    new java.security.SecureRandom().nextBytes(plaintext);
    Path in = Files.write(work.resolve("plain.bin"), plaintext);
    String blob = awsOk("encrypt", "--key-id", "alias/cli", "--plaintext", "fileb://" + in,
        "--query", "CiphertextBlob", "--output", "text");
    Path ct = Files.write(work.resolve("ct.bin"), Base64.getDecoder().decode(blob));
    String decrypted = awsOk("decrypt", "--ciphertext-blob", "fileb://" + ct,
        "--query", "Plaintext", "--output", "text");
    assertArrayEquals(plaintext, Base64.getDecoder().decode(decrypted));
    JsonNode decryptAnswer = JSON.readTree(awsOk("decrypt", "--ciphertext-blob", "fileb://" + ct,
        "--output", "json"));
    assertTrue(decryptAnswer.get("KeyId").asText().matches(KEY_ARN), decryptAnswer::toString);

    JsonNode dataKey = JSON.readTree(awsOk("generate-data-key", "--key-id", "alias/cli",
        "--key-spec", "AES_256", "--output", "json"));
    assertEquals(32, Base64.getDecoder().decode(dataKey.get("Plaintext").asText()).length);
    assertTrue(dataKey.get("KeyId").asText().matches(KEY_ARN), dataKey::toString);

    assertTrue(awsOk("list-keys", "--query", "Keys[].KeyId", "--output", "text")
        .contains(keyId));
    String arn = awsOk("describe-key", "--key-id", "alias/cli", "--query", "KeyMetadata.Arn",
        "--output", "text");
    assertTrue(arn.matches(KEY_ARN), arn);
    assertTrue(arn.endsWith(keyId), arn);

    JsonNode scheduled = JSON.readTree(awsOk("schedule-key-deletion", "--key-id", keyId,
        "--pending-window-in-days", "7", "--output", "json"));
    assertEquals("PendingDeletion", scheduled.get("KeyState").asText(), scheduled::toString);
    assertEquals(arn, scheduled.get("KeyId").asText());
  }

  /** The real {@code aws kms sign}/{@code verify} and HMAC commands against the endpoint. */
  @Test
  void awsCli_signVerifyAndMac() throws Exception {
    assumeTrue(awsInstalled(), "the AWS CLI (aws) is not installed");
    String ec = awsOk("create-key", "--key-spec", "ECC_NIST_P384", "--key-usage", "SIGN_VERIFY",
        "--query", "KeyMetadata.KeyId", "--output", "text");
    Path msg = Files.write(work.resolve("msg.txt"), "signed over HTTPS".getBytes(
        StandardCharsets.UTF_8));
    String sig = awsOk("sign", "--key-id", ec, "--message", "fileb://" + msg,
        "--signing-algorithm", "ECDSA_SHA_384", "--query", "Signature", "--output", "text");
    Path sigFile = Files.write(work.resolve("msg.sig"), Base64.getDecoder().decode(sig));
    assertEquals("True", awsOk("verify", "--key-id", ec, "--message", "fileb://" + msg,
        "--signature", "fileb://" + sigFile, "--signing-algorithm", "ECDSA_SHA_384",
        "--query", "SignatureValid", "--output", "text"));
    assertAwsError(aws(secret, "verify", "--key-id", ec, "--message", "fileb://" + sigFile,
        "--signature", "fileb://" + sigFile, "--signing-algorithm", "ECDSA_SHA_384"),
        "KMSInvalidSignatureException", "Verify");
    JsonNode pub = JSON.readTree(awsOk("get-public-key", "--key-id", ec, "--output", "json"));
    assertEquals("ECC_NIST_P384", pub.get("KeySpec").asText(), pub::toString);
    assertEquals("ECDSA_SHA_384", pub.get("SigningAlgorithms").get(0).asText(), pub::toString);

    String hmac = awsOk("create-key", "--key-spec", "HMAC_256", "--key-usage",
        "GENERATE_VERIFY_MAC", "--query", "KeyMetadata.KeyId", "--output", "text");
    String mac = awsOk("generate-mac", "--key-id", hmac, "--message", "fileb://" + msg,
        "--mac-algorithm", "HMAC_SHA_256", "--query", "Mac", "--output", "text");
    Path macFile = Files.write(work.resolve("msg.mac"), Base64.getDecoder().decode(mac));
    assertEquals("True", awsOk("verify-mac", "--key-id", hmac, "--message", "fileb://" + msg,
        "--mac", "fileb://" + macFile, "--mac-algorithm", "HMAC_SHA_256", "--query", "MacValid",
        "--output", "text"));
    assertAwsError(aws(secret, "sign", "--key-id", hmac, "--message", "fileb://" + msg,
        "--signing-algorithm", "ECDSA_SHA_256"), "InvalidKeyUsageException", "Sign");
  }

  @Test
  void awsCli_errorsAreAwsOwnMessages() throws Exception {
    assumeTrue(awsInstalled(), "the AWS CLI (aws) is not installed");
    String wrongSecret = secret.substring(0, 39) + (secret.endsWith("A") ? "B" : "A");
    CliResult bad = aws(wrongSecret, "list-keys");
    assertAwsError(bad, "InvalidSignatureException", "ListKeys");
    assertTrue(bad.stderr().contains("The request signature we calculated does not match"),
        bad::toString);

    String unknown = UUID.randomUUID().toString();
    CliResult missing = aws(secret, "describe-key", "--key-id", unknown);
    assertAwsError(missing, "NotFoundException", "DescribeKey");

    String keyId = awsOk("create-key", "--query", "KeyMetadata.KeyId", "--output", "text");
    awsOk("disable-key", "--key-id", keyId);
    CliResult disabled = aws(secret, "encrypt", "--key-id", keyId, "--plaintext", "aGVsbG8=");
    assertAwsError(disabled, "DisabledException", "Encrypt");
  }

  // ---- The AWS SDK for Java v2 ----

  static KmsClient sdkClient(String keyId, String secretKey) {
    return AwsClients.kms(daemon, REGION, keyId, secretKey);
  }

  @Test
  void sdkV2_keyLifecycleRoundTripAndErrors() throws Exception {
    try (KmsClient kms = sdkClient(accessKeyId, secret)) {
      String keyId = kms.createKey(b -> b.description("from SDK v2")).keyMetadata().keyId();
      kms.createAlias(b -> b.aliasName("alias/sdk").targetKeyId(keyId));
      SdkBytes plaintext = SdkBytes.fromUtf8String("attack at dawn");
      var encrypted = kms.encrypt(b -> b.keyId("alias/sdk").plaintext(plaintext)
          .encryptionContext(Map.of("purpose", "test")));
      assertTrue(encrypted.keyId().matches(KEY_ARN), encrypted.keyId());
      var decrypted = kms.decrypt(b -> b.ciphertextBlob(encrypted.ciphertextBlob())
          .encryptionContext(Map.of("purpose", "test")));
      assertEquals("attack at dawn", decrypted.plaintext().asUtf8String());
      assertEquals(encrypted.keyId(), decrypted.keyId());

      GenerateDataKeyResponse dk = kms.generateDataKey(b -> b.keyId(keyId)
          .keySpec(DataKeySpec.AES_256));
      assertEquals(32, dk.plaintext().asByteArray().length);
      assertTrue(kms.listKeys().keys().stream().anyMatch(k -> k.keyId().equals(keyId)));
      String arn = kms.describeKey(b -> b.keyId("alias/sdk")).keyMetadata().arn();
      assertTrue(arn.matches(KEY_ARN), arn);
      assertEquals(arn, encrypted.keyId());

      NotFoundException nf = assertThrows(NotFoundException.class,
          () -> kms.describeKey(b -> b.keyId(UUID.randomUUID().toString())));
      assertEquals(400, nf.statusCode());
      assertEquals(1, nf.numAttempts(), "a client fault is not retried");
      assertFalse(nf.requestId() == null || nf.requestId().isEmpty(), "x-amzn-RequestId");

      kms.disableKey(b -> b.keyId(keyId));
      assertThrows(DisabledException.class,
          () -> kms.encrypt(b -> b.keyId(keyId).plaintext(plaintext)));
      kms.enableKey(b -> b.keyId(keyId));

      // A member Coffer does not implement is refused, not ignored (Recipient would otherwise
      // return plaintext to a caller that asked for it wrapped to an enclave).
      assertThrows(UnsupportedOperationException.class, () -> kms.decrypt(b -> b
          .ciphertextBlob(encrypted.ciphertextBlob())
          .encryptionContext(Map.of("purpose", "test"))
          .recipient(r -> r.keyEncryptionAlgorithm("RSAES_OAEP_SHA_256")
              .attestationDocument(SdkBytes.fromUtf8String("not an attestation")))));

      var deletion = kms.scheduleKeyDeletion(b -> b.keyId(keyId).pendingWindowInDays(7));
      assertEquals("PendingDeletion", deletion.keyStateAsString());
    }
    try (KmsClient wrong = sdkClient(accessKeyId, secret.substring(1) + "x")) {
      KmsException e = assertThrows(KmsException.class, () -> wrong.listKeys());
      assertEquals("InvalidSignatureException", e.awsErrorDetails().errorCode());
    }
  }

  @Test
  void sdkV2_unknownAccessKeyIsUnrecognizedClient() throws Exception {
    try (KmsClient kms = sdkClient("AKIAZZZZZZZZZZZZZZZZ", secret)) {
      KmsException e = assertThrows(KmsException.class, () -> kms.listKeys());
      assertEquals("UnrecognizedClientException", e.awsErrorDetails().errorCode());
      assertEquals(400, e.statusCode());
    }
  }

  // ---- Python's botocore, and socket-only operations over HTTPS ----

  @Test
  void botocore_docsExampleWorks_andAccessKeyAdministrationIsRefusedOverHttps() throws Exception {
    assumeTrue(awsInstalled(), "botocore comes with the AWS CLI, which is not installed");
    Path script = work.resolve("botocore_client.py");
    try (InputStream in = getClass().getResourceAsStream("/https/botocore_client.py")) {
      Files.write(script, in.readAllBytes());
    }
    ProcessBuilder pb = new ProcessBuilder("python3", script.toString(), daemon.httpsUrl(),
        daemon.caBundle().toString(), REGION).directory(work.toFile());
    Map<String, String> env = pb.environment();
    env.keySet().removeIf(k -> k.startsWith("AWS_"));
    env.put("HOME", work.toString());
    env.put("AWS_ACCESS_KEY_ID", accessKeyId);
    env.put("AWS_SECRET_ACCESS_KEY", secret);
    pb.redirectErrorStream(true);
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "python hung");
    assertEquals(0, p.exitValue(), out);
    assertTrue(out.contains("roundtrip=attack at dawn\n"), out);
    // The signature verifies, the caller is an administrator, and still: socket only.
    assertTrue(out.contains("createAccessKey.status=400\n"), out);
    assertTrue(out.contains("createAccessKey.errorType=AccessDeniedException\n"), out);
    assertTrue(out.contains("createAccessKey.type=AccessDeniedException\n"), out);
    assertTrue(out.contains("Unix socket"), out);
    CliResult keys = daemon.cli("list-access-keys", "--user-name", "intruder");
    assertEquals(0, keys.exitCode(), keys::toString);
    assertEquals(0, JSON.readTree(keys.stdout()).get("AccessKeyMetadata").size(), keys::toString);
  }

  // ---- TLS policy, as openssl sees it ----

  /** {@code openssl s_client} with {@code options}; true when the handshake completed. */
  static boolean handshake(String... options) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("openssl", "s_client", "-connect",
        "127.0.0.1:" + daemon.httpsPort(), "-servername", "localhost"));
    cmd.addAll(List.of(options));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(30, TimeUnit.SECONDS), "openssl s_client hung");
    boolean done = p.exitValue() == 0 && out.matches("(?s).*Cipher is (?!\\(NONE\\)).*");
    return done;
  }

  @Test
  void openssl_onlyForwardSecretAeadOnTls13And12() throws Exception {
    assertTrue(handshake("-tls1_3"), "TLS 1.3 refused");
    assertTrue(handshake("-tls1_2", "-cipher", "ECDHE-ECDSA-AES256-GCM-SHA384"),
        "TLS 1.2 ECDHE-ECDSA-AES256-GCM-SHA384 refused");
    assertFalse(handshake("-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0"), "TLS 1.1 accepted");
    // Not forward secret (static ECDH, static RSA) and not AEAD (CBC) suites.
    assertFalse(handshake("-tls1_2", "-cipher",
        "AES128-GCM-SHA256:AES256-GCM-SHA384:AES128-SHA:ECDH-ECDSA-AES128-GCM-SHA256:@SECLEVEL=0"),
        "a non-forward-secret suite was accepted");
    assertFalse(handshake("-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA384"),
        "a CBC suite was accepted");
  }

  // ---- Audit ----

  @Test
  void audit_httpsRequestsCarryIamUserAndTransport_failedAuthenticationRecorded()
      throws Exception {
    try (KmsClient kms = sdkClient(accessKeyId, secret)) {
      String keyId = kms.createKey(b -> b.description("audited over HTTPS")).keyMetadata()
          .keyId();
      kms.encrypt(b -> b.keyId(keyId).plaintext(SdkBytes.fromUtf8String("audited")));
    }
    try (KmsClient wrong = sdkClient(accessKeyId, secret.substring(1) + "y")) {
      assertThrows(KmsException.class, () -> wrong.describeKey(b -> b.keyId("alias/none")));
    }
    // This test's own CreateKey (other tests of the class create keys with the AWS CLI).
    JsonNode create = awaitRecord(r -> r.path("eventName").asText().equals("CreateKey")
        && r.path("userIdentity").path("type").asText().equals("IAMUser")
        && r.path("errorCode").isMissingNode()
        && r.path("requestParameters").path("Description").asText()
            .equals("audited over HTTPS"));
    JsonNode id = create.get("userIdentity");
    assertEquals("arn:aws:iam::" + ACCOUNT + ":user/" + USER, id.path("arn").asText(), create::toString);
    assertEquals(ACCOUNT, id.path("accountId").asText());
    assertEquals(accessKeyId, id.path("accessKeyId").asText());
    assertEquals(USER, id.path("userName").asText());
    assertEquals("127.0.0.1", create.path("sourceIPAddress").asText(), create::toString);
    assertTrue(create.path("userAgent").asText().contains("aws-sdk-java"), create::toString);
    assertTrue(create.path("tlsDetails").path("tlsVersion").asText().matches("TLSv1\\.[23]"),
        create::toString);
    assertFalse(create.path("tlsDetails").path("cipherSuite").asText().isEmpty(),
        create::toString);
    assertEquals("127.0.0.1:" + daemon.httpsPort(),
        create.path("tlsDetails").path("clientProvidedHostHeader").asText(), create::toString);

    JsonNode encrypt = awaitRecord(r -> r.path("eventName").asText().equals("Encrypt")
        && r.path("userIdentity").path("type").asText().equals("IAMUser"));
    assertFalse(encrypt.toString().contains("YXVkaXRlZA"), "plaintext must not be audited");

    JsonNode failed = awaitRecord(r -> r.path("errorCode").asText()
        .equals("InvalidSignatureException") && r.path("eventName").asText().equals("DescribeKey"));
    assertEquals(accessKeyId, failed.path("userIdentity").path("accessKeyId").asText(),
        failed::toString);
    assertEquals("127.0.0.1", failed.path("sourceIPAddress").asText(), failed::toString);

    CliResult verify = daemon.cli("audit", "verify", "--home", daemon.home().toString());
    assertEquals(0, verify.exitCode(), verify::toString);
  }

  /** The first audit record matching {@code test}, waiting out the batching of data events. */
  static JsonNode awaitRecord(java.util.function.Predicate<JsonNode> test) throws Exception {
    return awaitRecord(daemon, test);
  }

  /** The first audit record of {@code daemon} matching {@code test}, waiting out batching. */
  static JsonNode awaitRecord(DaemonProcess daemon, java.util.function.Predicate<JsonNode> test)
      throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (true) {
      try (var files = Files.list(daemon.home().resolve("audit"))) {
        for (Path f : files.sorted().toList()) {
          if (!Files.isRegularFile(f)) {
            continue;
          }
          for (String line : Files.readAllLines(f)) {
            if (!line.startsWith("{")) {
              continue;
            }
            JsonNode r;
            try {
              r = JSON.readTree(line);
            } catch (IOException e) {
              continue;
            }
            if (test.test(r)) {
              return r;
            }
          }
        }
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("no such audit record in " + daemon.home().resolve("audit"));
      }
      Thread.sleep(200);
    }
  }
}
