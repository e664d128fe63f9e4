package dev.coffer.jca.transport.https;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.jca.CofferProvider;
import dev.coffer.jca.core.CofferStats;
import dev.coffer.jca.core.KmsProviderException;
import dev.coffer.jca.key.KmsKey;
import dev.coffer.protocol.Json;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.InvalidKeyException;
import java.security.Key;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.Security;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.KeyGenerator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The unchanged JCA application code of docs/provider.md against a KMS-shaped HTTPS endpoint
 * (the JDK's HttpsServer with a keytool-made certificate, trusted through {@code coffer.tls.ca}):
 * round trips, the error mapping, authentication failures, failover, and every request's SigV4
 * signature recomputed by botocore, an implementation nobody here wrote.
 */
class HttpsTransportEndToEndTest {

  private static final String KEY_ID = "AKIDCOFFERTEST";
  private static final String SECRET = "c0ffer/Test+Secret/Key";
  private static final List<String> PROPS = List.of("coffer.endpoint", "coffer.tls.ca",
      "aws.accessKeyId", "aws.secretAccessKey", "aws.sessionToken", "coffer.region");

  private static Path dir;
  private static StubKmsEndpoint stub;
  private static StubKmsEndpoint dropping;
  private static final Map<String, String> saved = new HashMap<>();

  @BeforeAll
  static void start() throws Exception {
    assumeTrue(System.getenv("AWS_ACCESS_KEY_ID") == null
        && System.getenv("AWS_SECRET_ACCESS_KEY") == null,
        "the environment's AWS credentials would take precedence over the test's");
    dir = Files.createTempDirectory(Path.of("/tmp"), "pclient-https");
    Path p12 = StubKmsEndpoint.makeCertificate(dir);
    stub = StubKmsEndpoint.start(p12, false);
    dropping = StubKmsEndpoint.start(p12, true);
    stub.secrets.put(KEY_ID, SECRET);
    stub.secrets.put("AKIDINACTIVE", "whatever");
    stub.inactive.add("AKIDINACTIVE");
    for (String p : PROPS) {
      saved.put(p, System.getProperty(p));
    }
    if (Security.getProvider(CofferProvider.NAME) == null) {
      Security.addProvider(new CofferProvider());
    }
  }

  @AfterAll
  static void stop() {
    for (String p : PROPS) {
      if (saved.get(p) == null) {
        System.clearProperty(p);
      } else {
        System.setProperty(p, saved.get(p));
      }
    }
    if (stub != null) {
      stub.close();
      dropping.close();
    }
    StubKmsEndpoint.deleteTree(dir);
  }

  /** Points the provider at {@code endpoint} with the test's good access key. */
  private static void use(String endpoint) {
    System.setProperty("coffer.endpoint", endpoint);
    System.setProperty("coffer.tls.ca", dir.resolve("ca.pem").toString());
    System.setProperty("aws.accessKeyId", KEY_ID);
    System.setProperty("aws.secretAccessKey", SECRET);
    System.clearProperty("aws.sessionToken");
  }

  @AfterEach
  void backToTheMainStub() {
    use(stub.uri().toString());
  }

  private static KeyStore loadedKeyStore() throws Exception {
    KeyStore ks = KeyStore.getInstance("KMS");
    ks.load(null, null);
    return ks;
  }

  @Test
  void theUnchangedApplicationRoundTripsAndTheDataKeyCacheWorksTheSame() throws Exception {
    use(stub.uri().toString());
    KeyStore ks = loadedKeyStore();
    assertTrue(ks.containsAlias("alias/stub"));
    Key key = ks.getKey("alias/stub", null);
    assertEquals(StubKmsEndpoint.arn(0), ((KmsKey) key).arn());

    byte[] plaintext = "orders 2026-11-30".getBytes(StandardCharsets.UTF_8);
    Cipher enc = Cipher.getInstance("AES/GCM/NoPadding");
    enc.init(Cipher.ENCRYPT_MODE, key);
    byte[] sealed = enc.doFinal(plaintext);
    long before = CofferStats.daemonRoundTrips();
    for (int i = 0; i < 5; i++) {
      enc.init(Cipher.ENCRYPT_MODE, key);
      enc.doFinal(plaintext);
    }
    assertEquals(before, CofferStats.daemonRoundTrips(), "cached data key: no round trips");
    Cipher dec = Cipher.getInstance("AES/GCM/NoPadding");
    dec.init(Cipher.DECRYPT_MODE, key);
    assertArrayEquals(plaintext, dec.doFinal(sealed));

    Cipher kms = Cipher.getInstance("KMS", CofferProvider.NAME);
    kms.init(Cipher.ENCRYPT_MODE, key);
    byte[] blob = kms.doFinal(plaintext);
    kms.init(Cipher.DECRYPT_MODE, key);
    assertArrayEquals(plaintext, kms.doFinal(blob));

    byte[] random = new byte[48];
    SecureRandom.getInstance("KMS", CofferProvider.NAME).nextBytes(random);
    assertFalse(stub.seen("GenerateDataKey").isEmpty());
    assertFalse(stub.seen("Encrypt").isEmpty());
    assertFalse(stub.seen("Decrypt").isEmpty());
    assertFalse(stub.seen("GenerateRandom").isEmpty());
  }

  @Test
  void errorsBecomeTheSameJceExceptionsAsOverTheSocket() throws Exception {
    use(stub.uri().toString());
    KeyStore ks = loadedKeyStore();
    assertNull(ks.getKey("alias/missing", null), "NotFoundException: no such entry");
    Key disabled = ks.getKey("alias/disabled", null);
    Cipher enc = Cipher.getInstance("AES/GCM/NoPadding");
    InvalidKeyException e =
        assertThrows(InvalidKeyException.class, () -> enc.init(Cipher.ENCRYPT_MODE, disabled));
    assertTrue(e.getMessage().startsWith("DisabledException: "), e.getMessage());

    Cipher kms = Cipher.getInstance("KMS", CofferProvider.NAME);
    kms.init(Cipher.DECRYPT_MODE, ks.getKey("alias/stub", null));
    assertThrows(AEADBadTagException.class, () -> kms.doFinal(new byte[] {1, 2, 3, 4, 5, 6}));
  }

  @Test
  void aWrongSecretOrAnInactiveKeyIsAClearException() throws Exception {
    use(stub.uri() + "/wrong-secret"); // another path: another transport, fresh credentials
    System.setProperty("aws.secretAccessKey", "not-the-secret");
    IOException wrong = assertThrows(IOException.class, HttpsTransportEndToEndTest::loadedKeyStore);
    assertTrue(wrong.getMessage().startsWith("InvalidSignatureException: "), wrong.getMessage());
    assertTrue(wrong.getMessage().contains("secret access key")
        && wrong.getMessage().contains(KEY_ID), wrong.getMessage());
    assertFalse(wrong.getMessage().contains("not-the-secret"), "the secret is never printed");
    System.setProperty("aws.secretAccessKey", SECRET); // the operator fixes it: no restart
    assertTrue(loadedKeyStore().containsAlias("alias/stub"));

    use(stub.uri() + "/inactive");
    System.setProperty("aws.accessKeyId", "AKIDINACTIVE");
    System.setProperty("aws.secretAccessKey", "whatever");
    IOException inactive =
        assertThrows(IOException.class, HttpsTransportEndToEndTest::loadedKeyStore);
    assertTrue(inactive.getMessage().startsWith("UnrecognizedClientException: "),
        inactive.getMessage());
    assertTrue(inactive.getMessage().contains("AKIDINACTIVE")
        && inactive.getMessage().contains("inactive")
        && inactive.getMessage().contains("update-access-key"), inactive.getMessage());
  }

  @Test
  void failoverPassesARefusingEndpointEvenForCreateKey() throws Exception {
    int refused;
    try (ServerSocket s = new ServerSocket(0)) {
      refused = s.getLocalPort();
    }
    use("https://127.0.0.1:" + refused + "," + stub.uri() + "/failover");
    int before = stub.seen("CreateKey").size();
    KmsKey created = (KmsKey) KeyGenerator.getInstance("KMS", CofferProvider.NAME).generateKey();
    assertNotNull(created.arn());
    assertEquals(before + 1, stub.seen("CreateKey").size());
    assertTrue(loadedKeyStore().containsAlias("alias/stub"));
  }

  @Test
  void aRequestThatMayHaveArrivedIsRepeatedOnlyWhenItHasNoSideEffects() throws Exception {
    use(dropping.uri() + "/," + stub.uri() + "/after-drop-1");
    int creates = stub.seen("CreateKey").size();
    KmsProviderException e = assertThrows(KmsProviderException.class,
        () -> KeyGenerator.getInstance("KMS", CofferProvider.NAME).generateKey());
    assertEquals("CofferDaemonUnavailableException", e.errorType());
    assertTrue(e.getMessage().contains("not sent elsewhere"), e.getMessage());
    assertEquals(1, dropping.seen("CreateKey").size(), "the first endpoint got it");
    assertEquals(creates, stub.seen("CreateKey").size(), "CreateKey is never repeated");

    use(dropping.uri() + "/," + stub.uri() + "/after-drop-2");
    assertTrue(loadedKeyStore().containsAlias("alias/stub"), "ListAliases moves on");
    assertFalse(dropping.seen("ListAliases").isEmpty());

    use(dropping.uri() + "/alone");
    int lists = dropping.seen("ListAliases").size();
    IOException alone = assertThrows(IOException.class, HttpsTransportEndToEndTest::loadedKeyStore);
    assertTrue(alone.getMessage().startsWith("CofferDaemonUnavailableException: "),
        alone.getMessage());
    assertEquals(lists + 2, dropping.seen("ListAliases").size(), "a lone endpoint: two tries");
  }

  @Test
  void aHungEndpointIsWaitedForOnceAndCreateKeyIsNotRepeated() throws Exception {
    try (StubKmsEndpoint slow = StubKmsEndpoint.start(dir.resolve("stub.p12"), false)) {
      slow.secrets.put(KEY_ID, SECRET);
      slow.delayMillis = 3_000;
      use(slow.uri().toString());
      System.setProperty("coffer.timeoutMillis", "500");
      try {
        IOException listing =
            assertThrows(IOException.class, HttpsTransportEndToEndTest::loadedKeyStore);
        assertTrue(listing.getMessage().startsWith("CofferDaemonUnavailableException: "),
            listing.getMessage());
        assertEquals(1, slow.seen("ListAliases").size(), "no second wait on the same endpoint");
        KmsProviderException create = assertThrows(KmsProviderException.class,
            () -> KeyGenerator.getInstance("KMS", CofferProvider.NAME).generateKey());
        assertEquals("DependencyTimeoutException", create.errorType());
        assertTrue(create.getMessage().contains("may still be applied"), create.getMessage());
        assertEquals(1, slow.seen("CreateKey").size());
      } finally {
        System.clearProperty("coffer.timeoutMillis");
      }
    }
  }

  @Test
  void theCertificateMustBeTrustedAndNameTheHost() throws Exception {
    use(stub.uri() + "/untrusted");
    System.clearProperty("coffer.tls.ca"); // the JDK's trust store does not know the stub
    IOException untrusted =
        assertThrows(IOException.class, HttpsTransportEndToEndTest::loadedKeyStore);
    assertTrue(untrusted.getMessage().startsWith("CofferDaemonUnavailableException: ")
        && untrusted.getMessage().contains("coffer.tls.ca"), untrusted.getMessage());

    Path other = dir.resolve("other-name");
    try (StubKmsEndpoint misnamed = StubKmsEndpoint.start(
        StubKmsEndpoint.makeCertificate(other, "SAN=dns:other.example"), false)) {
      misnamed.secrets.put(KEY_ID, SECRET);
      use(misnamed.uri().toString());
      System.setProperty("coffer.tls.ca", other.resolve("ca.pem").toString());
      IOException wrongName =
          assertThrows(IOException.class, HttpsTransportEndToEndTest::loadedKeyStore);
      assertTrue(wrongName.getMessage().contains("127.0.0.1"), wrongName.getMessage());
      assertTrue(misnamed.seen.isEmpty(), "nothing is sent to a host that failed verification");
    }
  }

  @Test
  void unusableSettingsNameTheSetting() throws Exception {
    Path notPem = dir.resolve("not-a-certificate.pem");
    Files.writeString(notPem, "hello\n");
    use(stub.uri() + "/bad-ca");
    System.setProperty("coffer.tls.ca", notPem.toString());
    IOException badCa = assertThrows(IOException.class, HttpsTransportEndToEndTest::loadedKeyStore);
    assertTrue(badCa.getMessage().startsWith("CofferConfigurationException: ")
        && badCa.getMessage().contains("coffer.tls.ca"), badCa.getMessage());

    use(stub.uri() + "/no-credentials");
    System.clearProperty("aws.accessKeyId");
    System.clearProperty("aws.secretAccessKey");
    System.setProperty("aws.profile", "no-such-profile-anywhere");
    try {
      IOException none =
          assertThrows(IOException.class, HttpsTransportEndToEndTest::loadedKeyStore);
      assertTrue(none.getMessage().startsWith("CofferConfigurationException: ")
          && none.getMessage().contains("no-such-profile-anywhere"), none.getMessage());
    } finally {
      System.clearProperty("aws.profile");
    }
  }

  @Test
  void botocoreRecomputesEverySignature() throws Exception {
    use(stub.uri().toString());
    Key key = loadedKeyStore().getKey("alias/stub", null);
    Cipher kms = Cipher.getInstance("KMS", CofferProvider.NAME);
    kms.init(Cipher.ENCRYPT_MODE, key);
    kms.doFinal("signed".getBytes(StandardCharsets.UTF_8));
    use(stub.uri() + "/with-token");
    System.setProperty("aws.sessionToken", "FQoGZXIvYXdzEJr//////////wEaDTestToken+/=");
    loadedKeyStore();

    ArrayNode batch = Json.MAPPER.createArrayNode();
    List<StubKmsEndpoint.Seen> seen;
    synchronized (stub.seen) {
      seen = List.copyOf(stub.seen);
    }
    for (StubKmsEndpoint.Seen s : seen) {
      String auth = s.headers().getOrDefault("authorization", "");
      if (!auth.contains("Credential=" + KEY_ID + "/")) {
        continue;
      }
      assertEquals(SigV4Signer.sha256Hex(s.body()), s.headers().get("x-amz-content-sha256"));
      String signedHeaders = auth.replaceAll(".*SignedHeaders=([^,]+),.*", "$1");
      ObjectNode r = batch.addObject();
      r.put("url", s.url().toString());
      r.put("body", Base64.getEncoder().encodeToString(s.body()));
      r.put("region", auth.replaceAll(".*Credential=[^/]+/\\d{8}/([^/]+)/.*", "$1"));
      r.put("signature", auth.replaceAll(".*Signature=([0-9a-f]+).*", "$1"));
      r.put("signedHeaders", signedHeaders);
      ObjectNode h = r.putObject("headers");
      for (String name : signedHeaders.split(";")) {
        h.put(name, s.headers().get(name));
      }
      assertTrue(("," + signedHeaders.replace(';', ',') + ",").matches(
          ".*,host,.*") && signedHeaders.contains("x-amz-date")
          && signedHeaders.contains("x-amz-target"), signedHeaders);
    }
    assertTrue(batch.size() >= 4, "requests to check: " + batch.size());
    assertTrue(batch.toString().contains("x-amz-security-token"));
    Path in = dir.resolve("requests.json");
    Files.write(in, Json.toBytes(batch));
    Process p = new ProcessBuilder("python3", "-c", BOTOCORE, in.toString(), KEY_ID, SECRET)
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), out);
    JsonNode verdicts = Json.MAPPER.readTree(out);
    assertEquals(batch.size(), verdicts.size());
    for (int i = 0; i < batch.size(); i++) {
      assertEquals(batch.get(i).get("signature").asText(), verdicts.get(i).get("signature").asText(),
          "botocore disagrees on " + batch.get(i).get("url") + " " + verdicts.get(i));
      assertEquals(batch.get(i).get("signedHeaders").asText(),
          verdicts.get(i).get("signedHeaders").asText());
    }
  }

  /** botocore's SigV4Auth over each recorded request, at the request's own X-Amz-Date. */
  private static final String BOTOCORE = String.join("\n",
      "import base64, json, sys",
      "from botocore.auth import SigV4Auth",
      "from botocore.awsrequest import AWSRequest",
      "from botocore.credentials import Credentials",
      "out = []",
      "for r in json.load(open(sys.argv[1])):",
      "    h = r['headers']",
      "    req = AWSRequest(method='POST', url=r['url'], data=base64.b64decode(r['body']),",
      "                     headers=h)",
      "    req.context['timestamp'] = h['x-amz-date']",
      "    auth = SigV4Auth(Credentials(sys.argv[2], sys.argv[3], h.get('x-amz-security-token')),",
      "                     'kms', r['region'])",
      "    creq = auth.canonical_request(req)",
      "    sts = auth.string_to_sign(req, creq)",
      "    out.append({'signature': auth.signature(sts, req),",
      "                'signedHeaders': auth.signed_headers(auth.headers_to_sign(req))})",
      "print(json.dumps(out))");
}
