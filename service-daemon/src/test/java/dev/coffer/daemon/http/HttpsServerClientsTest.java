package dev.coffer.daemon.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.kms.model.DescribeKeyResponse;
import software.amazon.awssdk.services.kms.model.KmsException;
import software.amazon.awssdk.services.kms.model.NotFoundException;

/**
 * The endpoint driven by real AWS clients nobody here wrote: the SDK for Java v2 KmsClient and
 * the AWS CLI, over TLS with the generated self-signed certificate as their only trust anchor.
 */
class HttpsServerClientsTest {

  @TempDir static Path home;
  static StubKms stub = new StubKms();
  static HttpsServer server;
  static TlsMaterial tls;

  @BeforeAll
  static void start() throws Exception {
    tls = TlsMaterial.selfSigned(home.resolve("https"), List.of("localhost", "127.0.0.1"),
        new SecureRandom(), Clock.systemUTC());
    server = new HttpsServer("127.0.0.1", 0, Optional.of(tls), HttpLimits.defaults(),
        StubKms.verifier(), stub);
    server.start();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  /** The Apache client, as measured in aws-http-endpoint.md (deprecated in favour of Apache5). */
  @SuppressWarnings("deprecation")
  static KmsClient sdk(String secret) throws Exception {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("coffer", tls.certificateChain().get(0));
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    return KmsClient.builder()
        .endpointOverride(URI.create("https://127.0.0.1:" + server.port()))
        .region(Region.US_EAST_1)
        .credentialsProvider(StaticCredentialsProvider.create(
            AwsBasicCredentials.create(StubKms.AKID, secret)))
        .httpClientBuilder(ApacheHttpClient.builder().tlsTrustManagersProvider(tmf::getTrustManagers))
        .build();
  }

  @Test
  void sdkV2DescribeKeyGetsTheHandlersAnswer() throws Exception {
    try (KmsClient kms = sdk(StubKms.SECRET)) {
      DescribeKeyResponse r = kms.describeKey(b -> b.keyId("alias/test"));
      assertEquals(StubKms.ARN, r.keyMetadata().arn());
      assertNotEquals(null, r.responseMetadata().requestId());
    }
    AwsJsonRequest seen = stub.requests.get(stub.requests.size() - 1);
    assertEquals("DescribeKey", seen.operation());
    assertEquals(StubKms.AKID, seen.accessKeyId());
    assertEquals("127.0.0.1", seen.context().sourceIp());
    assertTrue(seen.context().userAgent().contains("aws-sdk-java"), seen.context().userAgent());
    assertEquals(Optional.of("TLSv1.3"), seen.context().tlsVersion());
    assertTrue(TlsPolicy.CIPHER_SUITES.contains(seen.context().cipherSuite().orElseThrow()));
  }

  @Test
  void sdkV2SeesTheErrorAsItsNotFoundException() throws Exception {
    try (KmsClient kms = sdk(StubKms.SECRET)) {
      NotFoundException e = assertThrows(NotFoundException.class,
          () -> kms.describeKey(b -> b.keyId("alias/missing")));
      assertEquals("Alias 'alias/missing' does not exist", e.awsErrorDetails().errorMessage());
      assertEquals(400, e.statusCode());
    }
  }

  @Test
  void sdkV2WithAWrongSecretGetsInvalidSignatureAndTheFailureIsReported() throws Exception {
    int before = stub.failures.size();
    try (KmsClient kms = sdk("wrong-secret")) {
      KmsException e = assertThrows(KmsException.class,
          () -> kms.describeKey(b -> b.keyId("alias/test")));
      assertEquals("InvalidSignatureException", e.awsErrorDetails().errorCode());
    }
    assertTrue(stub.failures.size() > before);
    AuthenticationException f = stub.failures.get(stub.failures.size() - 1);
    assertEquals(Optional.of(StubKms.AKID), f.claimedAccessKeyId());
    assertEquals("TrentService.DescribeKey",
        stub.failureContexts.get(stub.failureContexts.size() - 1).target());
  }

  @Test
  void sdkV2RetriesThrottlingReSignedEachTimeAndSeesServerFaultsAs500() throws Exception {
    stub.throttledLeft.set(2);
    int before = stub.requests.size();
    try (KmsClient kms = sdk(StubKms.SECRET)) {
      assertEquals(StubKms.ARN, kms.describeKey(b -> b.keyId("alias/throttled")).keyMetadata().arn());
      assertEquals(3, stub.requests.size() - before, "two throttled attempts, then success");
      software.amazon.awssdk.services.kms.model.KmsInternalException e = assertThrows(
          software.amazon.awssdk.services.kms.model.KmsInternalException.class,
          () -> kms.describeKey(b -> b.keyId("alias/broken")));
      assertEquals(500, e.statusCode());
      assertTrue(!e.getMessage().contains("secret detail"), e.getMessage());
      assertTrue(e.getMessage().contains(e.requestId()), e.getMessage());
    }
  }

  record Cli(int exit, String stdout, String stderr) {}

  static Cli aws(String secret, String... args) throws Exception {
    List<String> command = new java.util.ArrayList<>(List.of("aws", "kms"));
    command.addAll(List.of(args));
    command.addAll(List.of("--endpoint-url", "https://127.0.0.1:" + server.port(),
        "--region", "us-east-1", "--output", "json"));
    ProcessBuilder pb = new ProcessBuilder(command);
    Map<String, String> env = pb.environment();
    env.keySet().removeIf(k -> k.startsWith("AWS_"));
    env.put("AWS_CA_BUNDLE", tls.caBundle().orElseThrow().toString());
    env.put("AWS_ACCESS_KEY_ID", StubKms.AKID);
    env.put("AWS_SECRET_ACCESS_KEY", secret);
    env.put("AWS_CONFIG_FILE", home.resolve("no-config").toString());
    env.put("AWS_SHARED_CREDENTIALS_FILE", home.resolve("no-credentials").toString());
    Process p = pb.start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes());
    String err = new String(p.getErrorStream().readAllBytes());
    assertTrue(p.waitFor(120, TimeUnit.SECONDS));
    return new Cli(p.exitValue(), out, err);
  }

  @Test
  void awsCliDescribeKeyAndItsErrors() throws Exception {
    Cli ok = aws(StubKms.SECRET, "describe-key", "--key-id", "alias/test",
        "--query", "KeyMetadata.Arn");
    assertEquals(0, ok.exit(), ok.stderr());
    assertEquals("\"" + StubKms.ARN + "\"", ok.stdout().trim());

    Cli missing = aws(StubKms.SECRET, "describe-key", "--key-id", "alias/missing");
    assertNotEquals(0, missing.exit());
    assertTrue(missing.stderr().contains("An error occurred (NotFoundException) when calling the "
        + "DescribeKey operation: Alias 'alias/missing' does not exist"), missing.stderr());

    Cli wrong = aws("wrong-secret", "describe-key", "--key-id", "alias/test");
    assertNotEquals(0, wrong.exit());
    assertTrue(wrong.stderr().contains("An error occurred (InvalidSignatureException) when "
        + "calling the DescribeKey operation: The request signature we calculated does not match"
        + " the signature you provided."), wrong.stderr());
  }
}
