package dev.coffer.daemon.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.daemon.TestDaemon;
import dev.coffer.daemon.config.DaemonConfig;
import dev.coffer.protocol.ChannelStreams;
import dev.coffer.protocol.Frame;
import dev.coffer.protocol.FrameCodec;
import dev.coffer.protocol.Json;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * One request means one thing (issue 14, part 1), through the real socket with raw frames: text
 * that does not round-trip exactly, a second JSON value after the first and non-canonical base64
 * are refused with {@code ValidationException} before they reach the AAD, a key policy, an alias,
 * a tag or the audit log. Each test fails on a daemon that parsed bodies leniently.
 */
class CanonicalRequestSocketTest {

  private static final String ME = "arn:coffer:iam::000000000000:user/"
      + System.getProperty("user.name");
  private static final String DATA = Base64.getEncoder().encodeToString(
      "sealed".getBytes(StandardCharsets.UTF_8));
  private final FrameCodec codec = new FrameCodec(Frame.DEFAULT_MAX_BODY_BYTES);
  private TestDaemon d;
  private String key;

  @BeforeEach
  void start() throws Exception {
    // The test user creates keys but is no administrator, so key policies decide (as in
    // PolicyAndGrantOperationsTest).
    d = new TestDaemon(c -> c.withAccess(new DaemonConfig.Access(List.of("user/coffer-nobody"),
        List.of("user/" + System.getProperty("user.name")), "rw-------", null)));
    key = d.call("CreateKey", "Policy", policy(allowAll()), "BypassPolicyLockoutSafetyCheck",
        false).get("KeyMetadata").get("KeyId").asText();
  }

  @AfterEach
  void stop() throws Exception {
    d.close();
  }

  // ---- raw frames

  /** The answer to one request frame with exactly these body bytes, on a fresh connection. */
  private ObjectNode send(byte[] body) throws IOException {
    try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      ch.connect(UnixDomainSocketAddress.of(d.daemon.socket()));
      codec.write(ChannelStreams.out(ch), new Frame(Frame.Kind.REQUEST, 7, body));
      Frame answer = codec.read(ChannelStreams.in(ch));
      ObjectNode o = Json.parseObject(answer.body());
      assertEquals(answer.kind() == Frame.Kind.ERROR, o.has("__type"), o::toString);
      return o;
    }
  }

  private ObjectNode send(String body) throws IOException {
    return send(body.getBytes(StandardCharsets.UTF_8));
  }

  /** {@code parts}: Strings as UTF-8, int[] as raw bytes. */
  private static byte[] bytes(Object... parts) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    for (Object p : parts) {
      if (p instanceof String s) {
        b.writeBytes(s.getBytes(StandardCharsets.UTF_8));
      } else {
        for (int x : (int[]) p) {
          b.write(x);
        }
      }
    }
    return b.toByteArray();
  }

  private static void assertValidation(ObjectNode answer, String messagePart) {
    assertEquals("ValidationException", answer.path("__type").asText(), answer::toString);
    assertTrue(answer.path("message").asText().contains(messagePart), answer::toString);
  }

  private String encrypt(String contextJson) {
    return "{\"Operation\":\"Encrypt\",\"Input\":{\"KeyId\":\"" + key + "\",\"Plaintext\":\""
        + DATA + "\",\"EncryptionContext\":" + contextJson + "}}";
  }

  private static String decrypt(String blob, String contextJson) {
    return "{\"Operation\":\"Decrypt\",\"Input\":{\"CiphertextBlob\":\"" + blob + "\","
        + "\"EncryptionContext\":" + contextJson + "}}";
  }

  private String sealed(String contextJson) throws IOException {
    ObjectNode out = send(encrypt(contextJson));
    assertFalse(out.has("__type"), out::toString);
    return out.get("CiphertextBlob").textValue();
  }

  // ---- lone surrogates in JSON escapes

  @Test
  void blobSealedUnderQuestionMark_doesNotDecryptWithLoneSurrogates() throws Exception {
    // {context it was sealed under, a context that UTF-8-encoded like it on the old daemon}
    String[][] cases = {
        {"{\"a\":\"?\"}", "{\"a\":\"\\ud800\"}"},
        {"{\"a\":\"?\"}", "{\"a\":\"\\udc00\"}"},
        {"{\"a\":\"??\"}", "{\"a\":\"\\udc00\\ud800\"}"},  // a reversed pair
        {"{\"?\":\"x\"}", "{\"\\udbff\":\"x\"}"},           // in the key
    };
    for (String[] c : cases) {
      String blob = sealed(c[0]);
      assertValidation(send(decrypt(blob, c[1])), "unpaired UTF-16 surrogate");
      assertEquals(DATA, send(decrypt(blob, c[0])).get("Plaintext").textValue());
    }
    assertValidation(send(encrypt("{\"a\":\"\\ud800\"}")),
        "Input.EncryptionContext.a holds an unpaired UTF-16 surrogate");
  }

  @Test
  void denyOnEncryptionContextValue_notBypassedWithLoneSurrogates() throws Exception {
    d.call("PutKeyPolicy", "KeyId", key, "Policy", policy(allowAll(),
        "{\"Effect\":\"Deny\",\"Principal\":{\"AWS\":\"" + ME + "\"},\"Action\":"
            + "[\"kms:Encrypt\",\"kms:Decrypt\"],\"Resource\":\"*\","
            + "\"Condition\":{\"StringEquals\":"
            + "{\"kms:EncryptionContext:tenant\":\"a?b\"}}}"));
    assertEquals("AccessDeniedException",
        send(encrypt("{\"tenant\":\"a?b\"}")).path("__type").asText());
    for (String bypass : new String[] {"a\\ud800b", "a\\udc00b", "a\\udbffb"}) {
      assertValidation(send(encrypt("{\"tenant\":\"" + bypass + "\"}")),
          "unpaired UTF-16 surrogate");
    }
    // The same surrogate as CESU-8 bytes in the body, not as an escape.
    String withContext = encrypt("{\"tenant\":\"a#b\"}");
    int at = withContext.indexOf('#');
    assertValidation(send(bytes(withContext.substring(0, at), new int[] {0xED, 0xA0, 0x80},
        withContext.substring(at + 1))), "CESU-8");
  }

  @Test
  void policyDocuments_heldToTheSameGrammar() {
    String deny = "{\"Effect\":\"Deny\",\"Principal\":{\"AWS\":\"" + ME + "\"},\"Action\":"
        + "\"kms:Encrypt\",\"Resource\":\"*\",\"Condition\":{\"StringEquals\":"
        + "{\"kms:EncryptionContext:tenant\":\"a\\ud800b\"}}}";  // the document's own escape
    String message = d.fails("MalformedPolicyDocumentException", "PutKeyPolicy", "KeyId", key,
        "Policy", policy(allowAll(), deny)).getMessage();
    assertTrue(message.contains("Statement[1].Condition.StringEquals."
        + "kms:EncryptionContext:tenant holds an unpaired UTF-16 surrogate"), message);
    d.fails("MalformedPolicyDocumentException", "PutKeyPolicy", "KeyId", key,
        "Policy", policy(allowAll()) + " {}");
  }

  @Test
  void policyStoredByAnEarlierVersion_withTrailingTextAndLoneSurrogates_stillLoads()
      throws Exception {
    // What an earlier daemon accepted and stored; the daemon must still start and keep its
    // meaning (the ill-formed condition value matches no request, as no request can carry it).
    String stored = policy(allowAll(), "{\"Effect\":\"Deny\",\"Principal\":{\"AWS\":\"" + ME
        + "\"},\"Action\":\"kms:Encrypt\",\"Resource\":\"*\",\"Condition\":{\"StringEquals\":"
        + "{\"kms:EncryptionContext:tenant\":\"a\\ud800b\"}}}") + " trailing";
    d.client.close();
    d.daemon.close();
    try (java.sql.Connection c = java.sql.DriverManager.getConnection(
            "jdbc:sqlite:" + d.home.resolve("coffer.db"));
        java.sql.PreparedStatement u = c.prepareStatement(
            "UPDATE key_policies SET document = ? WHERE key_id = ?")) {
      u.setString(1, stored);
      u.setString(2, key);
      assertEquals(1, u.executeUpdate());
    }
    d.start();
    assertFalse(send(encrypt("{\"tenant\":\"a?b\"}")).has("__type"));
    assertEquals(stored, d.call("GetKeyPolicy", "KeyId", key).get("Policy").textValue());
  }

  @Test
  void loneSurrogates_neverReachAliasesTagsOrTheAuditLog() throws Exception {
    assertValidation(send("{\"Operation\":\"CreateAlias\",\"Input\":{\"AliasName\":"
        + "\"alias/x\\ud800\",\"TargetKeyId\":\"" + key + "\"}}"), "Input.AliasName holds");
    assertValidation(send("{\"Operation\":\"TagResource\",\"Input\":{\"KeyId\":\"" + key
        + "\",\"Tags\":[{\"TagKey\":\"t\\udfff\",\"TagValue\":\"v\"}]}}"),
        "Input.Tags[0].TagKey holds");
    assertValidation(send("{\"Operation\":\"Encrypt\",\"Input\":{\"KeyId\":\"" + key
        + "\",\"Plaintext\":\"" + DATA + "\",\"EncryptionContext\":{\"\\udc00\\ud800\":\"v\"}}}"),
        "a field name in Input.EncryptionContext");
    assertEquals(0, d.call("ListAliases", "KeyId", key).get("Aliases").size());
    assertEquals(0, d.call("ListResourceTags", "KeyId", key).get("Tags").size());
    // The refusals are audited as requests that could not be read, without their text. (The
    // error message names the surrogate as ASCII text, "\\ud800" in the JSON of the record.)
    String audit = auditText();
    assertFalse(java.util.regex.Pattern.compile("(?<!\\\\)\\\\u[dD][89a-fA-F]").matcher(audit)
        .find(), "a surrogate escape in the audit log");
    assertFalse(audit.contains("alias/x"), "the refused alias in the audit log");
  }

  private String auditText() throws IOException {
    StringBuilder all = new StringBuilder();
    try (Stream<Path> s = Files.walk(d.home.resolve("audit"))) {
      for (Path p : s.filter(Files::isRegularFile).toList()) {
        all.append(new String(Files.readAllBytes(p), StandardCharsets.ISO_8859_1));
      }
    }
    return all.toString();
  }

  // ---- ill-formed and non-shortest UTF-8

  @Test
  void overlongUtf8_refused() throws Exception {
    // "/" as C0 AF, E0 80 AF and F0 80 80 AF: each decoded to "alias/x" by a lenient parser.
    int[][] slashes = {{0xC0, 0xAF}, {0xE0, 0x80, 0xAF}, {0xF0, 0x80, 0x80, 0xAF}};
    for (int[] slash : slashes) {
      assertValidation(send(bytes("{\"Operation\":\"CreateAlias\",\"Input\":{\"AliasName\":"
          + "\"alias", slash, "x\",\"TargetKeyId\":\"" + key + "\"}}")), "overlong");
    }
    assertEquals(0, d.call("ListAliases", "KeyId", key).get("Aliases").size());
    // The shortest form is fine.
    assertFalse(send("{\"Operation\":\"CreateAlias\",\"Input\":{\"AliasName\":\"alias/x\","
        + "\"TargetKeyId\":\"" + key + "\"}}").has("__type"));
  }

  @Test
  void otherIllFormedUtf8AndOtherEncodings_refused() throws Exception {
    String blob = sealed("{\"a\":\"?\"}");
    // A lone surrogate as CESU-8 bytes decoded to what UTF-8-encodes as "?".
    assertValidation(send(bytes("{\"Operation\":\"Decrypt\",\"Input\":{\"CiphertextBlob\":\""
        + blob + "\",\"EncryptionContext\":{\"a\":\"", new int[] {0xED, 0xB0, 0x80}, "\"}}}")),
        "CESU-8");
    assertValidation(send(bytes("{\"Operation\":\"ListKeys\",\"Input\":{\"Marker\":\"",
        new int[] {0xE2, 0x82}, "\"}}")), "truncated");
    assertValidation(send(bytes(new int[] {0xEF, 0xBB, 0xBF}, "{\"Operation\":\"ListKeys\"}")),
        "byte order mark");
    // UTF-16 and UTF-32: a lenient parser guesses the encoding from the zero bytes.
    for (String cs : new String[] {"UTF-16LE", "UTF-16BE", "UTF-32BE"}) {
      assertValidation(send("{\"Operation\":\"CreateKey\"}".getBytes(cs)), "NUL byte");
    }
    assertEquals(1, d.call("ListKeys").get("Keys").size(), "no key was created");
  }

  // ---- exactly one JSON value

  @Test
  void trailingDataAfterTheBody_refusedAndNothingApplied() throws Exception {
    for (String body : new String[] {"{\"Operation\":\"CreateKey\"} x",
        "{\"Operation\":\"CreateKey\"}{\"Operation\":\"CreateKey\"}",
        "{\"Operation\":\"CreateKey\"}]", "{\"Operation\":\"CreateKey\"}\n\"more\""}) {
      assertValidation(send(body), "exactly one JSON object");
    }
    assertEquals(1, d.call("ListKeys").get("Keys").size(), "no key was created");
    assertFalse(send("{\"Operation\":\"ListKeys\"}\n").has("__type"), "whitespace is fine");
  }

  @Test
  void duplicateFields_refused() throws Exception {
    assertValidation(send("{\"Operation\":\"ListKeys\",\"Operation\":\"CreateKey\"}"),
        "names the field \"Operation\" twice");
    assertValidation(send(decrypt(sealed("{\"a\":\"1\"}"), "{\"a\":\"2\",\"\\u0061\":\"1\"}")),
        "twice");
  }

  // ---- canonical base64

  @Test
  void nonCanonicalBase64_refused() throws Exception {
    String blob = sealed("{}");
    String[] spellings = {
        "QR==",                                           // "A" with non-zero unused bits
        "QQ",                                             // "A" without padding
        "QUJD\n",                                         // a line break
        "QU JD",                                          // a space inside
        blob.substring(0, 8) + "\n" + blob.substring(8),  // a MIME-style break in a blob
    };
    for (String s : spellings) {
      String field = s.length() > 8 ? "CiphertextBlob" : "Plaintext";
      String body = field.equals("Plaintext")
          ? "{\"Operation\":\"Encrypt\",\"Input\":{\"KeyId\":\"" + key + "\",\"Plaintext\":\""
              + s.replace("\n", "\\n") + "\"}}"
          : "{\"Operation\":\"Decrypt\",\"Input\":{\"CiphertextBlob\":\""
              + s.replace("\n", "\\n") + "\"}}";
      assertValidation(send(body), field + " must be the canonical base64 encoding");
    }
    assertArrayEquals("A".getBytes(StandardCharsets.US_ASCII), Base64.getDecoder().decode(
        send("{\"Operation\":\"Decrypt\",\"Input\":{\"CiphertextBlob\":\""
            + sealedPlaintext("QQ==") + "\"}}").get("Plaintext").textValue()));
  }

  private String sealedPlaintext(String base64) throws IOException {
    return send("{\"Operation\":\"Encrypt\",\"Input\":{\"KeyId\":\"" + key + "\",\"Plaintext\":\""
        + base64 + "\"}}").get("CiphertextBlob").textValue();
  }

  @Test
  void connectionStaysUsableAfterARefusedBody() throws Exception {
    try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      ch.connect(UnixDomainSocketAddress.of(d.daemon.socket()));
      codec.write(ChannelStreams.out(ch), new Frame(Frame.Kind.REQUEST, 1,
          bytes("{\"Operation\":\"ListKeys\",\"Input\":{\"Marker\":\"", new int[] {0xC0, 0xAF},
              "\"}}")));
      assertEquals(Frame.Kind.ERROR, codec.read(ChannelStreams.in(ch)).kind());
      codec.write(ChannelStreams.out(ch), new Frame(Frame.Kind.REQUEST, 2,
          Json.request("ListKeys", Json.object())));
      Frame ok = codec.read(ChannelStreams.in(ch));
      assertEquals(Frame.Kind.RESPONSE, ok.kind());
      assertEquals(2, ok.requestId());
    }
  }

  private static String allowAll() {
    return "{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"" + ME + "\"},\"Action\":\"kms:*\","
        + "\"Resource\":\"*\"}";
  }

  private static String policy(String... statements) {
    return "{\"Version\":\"2012-10-17\",\"Statement\":[" + String.join(",", statements) + "]}";
  }
}
