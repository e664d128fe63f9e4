package dev.coffer.jca.transport.https;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.coffer.protocol.Json;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * A small KMS-shaped HTTPS endpoint for tests: the JDK's {@code HttpsServer} with a self-signed
 * certificate (made by {@code keytool}), AWS JSON 1.1 in and out, canned key behaviour, and a
 * record of every request as it arrived (headers, body) for independent signature checks.
 *
 * <p>Keys: {@code alias/stub} (enabled), {@code alias/disabled} ({@code DisabledException} on
 * cryptographic use), anything else {@code NotFoundException}. "Ciphertext" is {@code STUB} +
 * key index + the plaintext XOR 0x5A: only the provider's handling is under test here.
 * Authentication: unknown or inactive key ids get {@code UnrecognizedClientException}; a
 * signature that does not verify gets {@code InvalidSignatureException}.
 */
final class StubKmsEndpoint implements AutoCloseable {

  static final String ACCOUNT = "111122223333";
  static final String[] KEYS = {
      "1234abcd-12ab-34cd-56ef-1234567890ab", "0987dcba-09fe-87dc-65ba-ab0987654321"};
  static final String[] ALIASES = {"alias/stub", "alias/disabled"};

  /** A request as the server saw it. */
  record Seen(URI url, Map<String, String> headers, byte[] body) {
    String target() {
      return headers.getOrDefault("x-amz-target", "");
    }
  }

  private static final Pattern AUTH = Pattern.compile(
      "AWS4-HMAC-SHA256 Credential=([^/]+)/(\\d{8})/([^/]+)/kms/aws4_request, "
          + "SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})");
  private static final byte[] MAGIC = {'S', 'T', 'U', 'B'};

  final List<Seen> seen = Collections.synchronizedList(new ArrayList<>());
  final Map<String, String> secrets = new ConcurrentHashMap<>();
  final Set<String> inactive = ConcurrentHashMap.newKeySet();
  /** How long to wait before answering (a hung daemon). */
  volatile long delayMillis;
  private final HttpsServer server;
  private final boolean dropAfterReading;

  private StubKmsEndpoint(HttpsServer server, boolean dropAfterReading) {
    this.server = server;
    this.dropAfterReading = dropAfterReading;
  }

  /**
   * Starts on 127.0.0.1 with the key in {@code pkcs12}; with {@code dropAfterReading} every
   * request is read in full and then the connection is closed without an answer.
   */
  static StubKmsEndpoint start(Path pkcs12, boolean dropAfterReading) throws Exception {
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(pkcs12)) {
      ks.load(in, "changeit".toCharArray());
    }
    KeyManagerFactory kmf = KeyManagerFactory.getInstance("PKIX");
    kmf.init(ks, "changeit".toCharArray());
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(kmf.getKeyManagers(), null, null);
    HttpsServer s = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
    s.setHttpsConfigurator(new HttpsConfigurator(ctx));
    s.setExecutor(Executors.newFixedThreadPool(4));
    StubKmsEndpoint stub = new StubKmsEndpoint(s, dropAfterReading);
    s.createContext("/", stub::handle);
    s.start();
    return stub;
  }

  /** Makes a self-signed EC certificate for 127.0.0.1/localhost; returns the PKCS#12 file. */
  static Path makeCertificate(Path dir) throws Exception {
    return makeCertificate(dir, "SAN=ip:127.0.0.1,dns:localhost");
  }

  /**
   * Makes a self-signed EC certificate with the subject alternative names {@code san} into
   * {@code dir}: {@code stub.p12} (returned) and its certificate as {@code ca.pem}.
   */
  static Path makeCertificate(Path dir, String san) throws Exception {
    Files.createDirectories(dir);
    Path p12 = dir.resolve("stub.p12");
    String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
    run(keytool, "-genkeypair", "-noprompt", "-alias", "stub", "-keyalg", "EC", "-groupname",
        "secp256r1", "-dname", "CN=localhost", "-ext", san,
        "-validity", "2", "-storetype", "PKCS12", "-keystore", p12.toString(), "-storepass",
        "changeit", "-keypass", "changeit");
    run(keytool, "-exportcert", "-rfc", "-alias", "stub", "-keystore", p12.toString(),
        "-storepass", "changeit", "-file", dir.resolve("ca.pem").toString());
    return p12;
  }

  private static void run(String... cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (p.waitFor() != 0) {
      throw new IllegalStateException(String.join(" ", cmd) + " failed: " + out);
    }
  }

  /** Removes a test's temporary directory (null: nothing to do). */
  static void deleteTree(Path dir) {
    if (dir == null) {
      return;
    }
    try (var paths = Files.walk(dir)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // best effort: /tmp is cleaned anyway
    }
  }

  URI uri() {
    return URI.create("https://127.0.0.1:" + server.getAddress().getPort());
  }

  List<Seen> seen(String operation) {
    synchronized (seen) {
      return seen.stream().filter(s -> s.target().equals("TrentService." + operation)).toList();
    }
  }

  @Override
  public void close() {
    server.stop(0);
    ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
  }

  private void handle(HttpExchange ex) throws IOException {
    try (ex) {
      byte[] body = ex.getRequestBody().readAllBytes();
      Map<String, String> headers = new TreeMap<>();
      ex.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(Locale.ROOT), v.get(0)));
      URI url = URI.create(uri() + ex.getRequestURI().getRawPath());
      seen.add(new Seen(url, headers, body));
      if (dropAfterReading) {
        throw new IOException("stub drops the connection after reading the request");
      }
      if (delayMillis > 0) {
        try {
          Thread.sleep(delayMillis);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
      String problem = authenticate(ex, headers, body);
      if (problem != null) {
        return;
      }
      if (!"POST".equals(ex.getRequestMethod())
          || !"application/x-amz-json-1.1".equals(headers.get("content-type"))) {
        error(ex, "ValidationException", "expected POST application/x-amz-json-1.1");
        return;
      }
      ObjectNode in = Json.parseObject(body);
      String op = headers.getOrDefault("x-amz-target", "").replace("TrentService.", "");
      answer(ex, op, in);
    }
  }

  /** Sends the AWS error and returns its name when authentication fails, else null. */
  private String authenticate(HttpExchange ex, Map<String, String> h, byte[] body)
      throws IOException {
    Matcher m = AUTH.matcher(h.getOrDefault("authorization", ""));
    if (!m.matches()) {
      error(ex, "IncompleteSignatureException", "malformed Authorization header");
      return "incomplete";
    }
    String secret = secrets.get(m.group(1));
    if (secret == null || inactive.contains(m.group(1))) {
      error(ex, "UnrecognizedClientException",
          "The security token included in the request is invalid.");
      return "unrecognized";
    }
    List<Map.Entry<String, String>> signed = new ArrayList<>();
    for (String name : m.group(4).split(";")) {
      signed.add(Map.entry(name, h.getOrDefault(name, "")));
    }
    String again = new SigV4Signer(m.group(3), "kms", true).sign(new SigV4Signer.Request(
        "POST", ex.getRequestURI().getRawPath(), "", signed, SigV4Signer.sha256Hex(body)),
        new AwsCredentials(m.group(1), secret, null, "stub")).signature();
    if (!again.equals(m.group(5))) {
      error(ex, "InvalidSignatureException", "The request signature we calculated does not match"
          + " the signature you provided. Check your AWS Secret Access Key and signing method.");
      return "signature";
    }
    return null;
  }

  private void answer(HttpExchange ex, String op, ObjectNode in) throws IOException {
    ObjectNode out = Json.object();
    switch (op) {
      case "ListAliases" -> {
        var a = out.putArray("Aliases");
        for (int i = 0; i < KEYS.length; i++) {
          a.addObject().put("AliasName", ALIASES[i]).put("TargetKeyId", KEYS[i])
              .put("AliasArn", "arn:aws:kms:us-east-1:" + ACCOUNT + ":" + ALIASES[i]);
        }
        out.put("Truncated", false);
      }
      case "DescribeKey", "CreateKey" -> {
        int k = op.equals("CreateKey") ? 0 : key(in.path("KeyId").asText());
        if (k < 0) {
          error(ex, "NotFoundException", "Alias " + in.path("KeyId").asText() + " is not found.");
          return;
        }
        out.putObject("KeyMetadata").put("KeyId", KEYS[k]).put("Arn", arn(k))
            .put("CreationDate", 1.7e9).put("Description", "stub key")
            .put("KeyState", k == 0 ? "Enabled" : "Disabled").put("Enabled", k == 0);
      }
      case "Encrypt", "GenerateDataKey" -> {
        int k = key(in.path("KeyId").asText());
        if (k < 0) {
          error(ex, "NotFoundException", "Invalid keyId " + in.path("KeyId").asText());
          return;
        }
        if (k == 1) {
          error(ex, "DisabledException", arn(k) + " is disabled.");
          return;
        }
        byte[] plain = op.equals("Encrypt") ? Json.bytes(in.get("Plaintext")) : random(32);
        out.put("CiphertextBlob", seal(k, plain)).put("KeyId", arn(k));
        if (op.equals("GenerateDataKey")) {
          out.put("Plaintext", plain);
        } else {
          out.put("EncryptionAlgorithm", "SYMMETRIC_DEFAULT");
        }
      }
      case "Decrypt" -> {
        byte[] blob = Json.bytes(in.get("CiphertextBlob"));
        if (blob == null || blob.length < 6 || !java.util.Arrays.equals(blob, 0, 4, MAGIC, 0, 4)) {
          error(ex, "InvalidCiphertextException", "");
          return;
        }
        int k = blob[4];
        if (in.hasNonNull("KeyId") && key(in.get("KeyId").asText()) != k) {
          error(ex, "IncorrectKeyException", "The key ID in the request does not identify a CMK"
              + " that can perform this operation.");
          return;
        }
        byte[] plain = xor(java.util.Arrays.copyOfRange(blob, 5, blob.length));
        out.put("KeyId", arn(k)).put("Plaintext", plain)
            .put("EncryptionAlgorithm", "SYMMETRIC_DEFAULT");
      }
      case "GenerateRandom" -> out.put("Plaintext", random(in.path("NumberOfBytes").asInt(32)));
      default -> {
        error(ex, "UnsupportedOperationException", op + " is not in the stub");
        return;
      }
    }
    send(ex, 200, null, Json.toBytes(out));
  }

  private static int key(String ref) {
    for (int i = 0; i < KEYS.length; i++) {
      if (ref.equals(KEYS[i]) || ref.equals(ALIASES[i]) || ref.equals(arn(i))) {
        return i;
      }
    }
    return -1;
  }

  static String arn(int k) {
    return "arn:aws:kms:us-east-1:" + ACCOUNT + ":key/" + KEYS[k];
  }

  private static byte[] seal(int k, byte[] plain) {
    byte[] x = xor(plain);
    byte[] out = new byte[5 + x.length];
    System.arraycopy(MAGIC, 0, out, 0, 4);
    out[4] = (byte) k;
    System.arraycopy(x, 0, out, 5, x.length);
    return out;
  }

  private static byte[] xor(byte[] b) {
    byte[] out = b.clone();
    for (int i = 0; i < out.length; i++) {
      out[i] ^= 0x5A;
    }
    return out;
  }

  private static byte[] random(int n) {
    byte[] b = new byte[n];
    new SecureRandom().nextBytes(b);
    return b;
  }

  private static void error(HttpExchange ex, String type, String message) throws IOException {
    ObjectNode e = Json.object().put("__type", type).put("message", message);
    send(ex, 400, type, Json.toBytes(e));
  }

  private static void send(HttpExchange ex, int status, String errorType, byte[] body)
      throws IOException {
    ex.getResponseHeaders().set("Content-Type", "application/x-amz-json-1.1");
    ex.getResponseHeaders().set("x-amzn-RequestId", java.util.UUID.randomUUID().toString());
    if (errorType != null) {
      ex.getResponseHeaders().set("x-amzn-ErrorType", errorType);
    }
    ex.sendResponseHeaders(status, body.length);
    ex.getResponseBody().write(body);
  }

  /** Reads a JSON array of objects from stdout of a finished python3 run. */
  static JsonNode json(String text) throws IOException {
    return Json.MAPPER.readTree(text);
  }
}
