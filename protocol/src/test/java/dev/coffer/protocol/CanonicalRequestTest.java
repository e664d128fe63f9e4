package dev.coffer.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * One request body, one meaning: {@link Json#parseRequest} refuses every body whose text does
 * not round-trip exactly, that holds more than one JSON value or names a field twice, and
 * {@link Json#bytes} every base64 spelling but the canonical one.
 */
class CanonicalRequestTest {

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** {@code prefix || raw || suffix}, the raw bytes spliced into otherwise ASCII JSON. */
  private static byte[] splice(String prefix, int[] raw, String suffix) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.writeBytes(utf8(prefix));
    for (int x : raw) {
      b.write(x);
    }
    b.writeBytes(utf8(suffix));
    return b.toByteArray();
  }

  private static KmsException refused(byte[] body) {
    KmsException e = assertThrows(KmsException.class, () -> Json.parseRequest(body),
        () -> "accepted " + new String(body, StandardCharsets.ISO_8859_1));
    assertEquals(ErrorType.VALIDATION, e.errorType());
    return e;
  }

  private static KmsException refused(String body) {
    return refused(utf8(body));
  }

  // ---- unpaired surrogates in JSON escapes

  @Test
  void loneSurrogateEscapes_refusedNamingTheField() {
    String[] values = {"\\ud800", "\\udc00", "\\udc00\\ud800", "a\\ud800b", "\\ud83d",
        "\\ud83dA", "\\ud83d\\ud83d\\ude00", "\\uDFFF"};
    for (String v : values) {
      KmsException e = refused("{\"Operation\":\"Encrypt\",\"Input\":{\"EncryptionContext\":"
          + "{\"tenant\":\"" + v + "\"}}}");
      assertTrue(e.getMessage().startsWith("Input.EncryptionContext.tenant holds an unpaired"
          + " UTF-16 surrogate"), e.getMessage());
      assertTrue(e.getMessage().contains("surrogate pair"), "says what to do: " + e.getMessage());
    }
  }

  @Test
  void loneSurrogates_refusedInFieldNamesArraysAndEveryField() {
    assertTrue(refused("{\"Operation\":\"Encrypt\",\"Input\":{\"EncryptionContext\":"
        + "{\"a\\ud800\":\"x\"}}}").getMessage().startsWith(
            "a field name in Input.EncryptionContext (\"a\\ud800\")"));
    assertTrue(refused("{\"Operation\":\"CreateKey\",\"Input\":{\"Tags\":[{\"TagKey\":\"k\","
        + "\"TagValue\":\"\\udbff\"}]}}").getMessage().startsWith(
            "Input.Tags[0].TagValue holds"));
    assertTrue(refused("{\"Operation\":\"\\ud800Encrypt\"}").getMessage()
        .startsWith("Operation holds"));
    assertTrue(refused("{\"Operation\":\"CreateAlias\",\"Input\":{\"AliasName\":"
        + "\"alias/x\\udc00\"}}").getMessage().startsWith("Input.AliasName holds"));
    assertTrue(refused("{\"Operation\":\"ListKeys\",\"Input\":{\"GrantTokens\":[\"ok\","
        + "\"\\ud800\"]}}").getMessage().startsWith("Input.GrantTokens[1] holds"));
  }

  @Test
  void longOrAmbiguousFieldNames_shownQuotedAndCapped() {
    String longKey = "k".repeat(40_000); // Jackson refuses names over 50,000
    String m = refused("{\"Input\":{\"EncryptionContext\":{\"" + longKey + "\":\"\\ud800\"}}}")
        .getMessage();
    assertTrue(m.startsWith("Input.EncryptionContext.\"kkkk") && m.length() < 600, m);
    assertTrue(refused("{\"Input\":{\"a.b\":\"\\ud800\"}}").getMessage()
        .startsWith("Input.\"a.b\" holds"));
    assertEquals("kms:EncryptionContext:tenant", WellFormedText.shown(
        "kms:EncryptionContext:tenant"));
    assertEquals("\"\"", WellFormedText.shown(""));
  }

  @Test
  void wellFormedEscapesAndSupplementaryCharacters_accepted() {
    assertEquals("\ud83d\ude00", Json.parseRequest(utf8("{\"a\":\"\\ud83d\\ude00\"}"))
        .get("a").textValue());
    assertEquals("\ud83d\ude00", Json.parseRequest(utf8("{\"a\":\"\ud83d\ude00\"}"))
        .get("a").textValue(), "as four UTF-8 bytes");
    assertEquals("a/\u0000", Json.parseRequest(utf8("{\"a\":\"\\u0061\\/\\u0000\"}"))
        .get("a").textValue(), "escapes of valid characters spell the same string");
    assertEquals("\uffff\ufffe\u00e9e\u0301", Json.parseRequest(
        utf8("{\"a\":\"\uffff\ufffe\u00e9e\u0301\"}")).get("a").textValue(),
        "noncharacters and combining marks are scalar values; no normalisation");
  }

  /** Property: a string is accepted exactly when it survives a UTF-8 round trip. */
  @Test
  void randomUtf16Strings_acceptedExactlyWhenTheyRoundTrip() {
    SplittableRandom r = new SplittableRandom(14);
    char[] pool = {'a', '?', '\ud800', '\udbff', '\udc00', '\udfff', '\ud83d', '\ude00', '\u00e9',
        '\uffff', '"', '\\', '\u0000'};
    int accepted = 0;
    for (int i = 0; i < 20_000; i++) {
      StringBuilder s = new StringBuilder();
      for (int n = r.nextInt(6); n > 0; n--) {
        s.append(pool[r.nextInt(pool.length)]);
      }
      String value = s.toString();
      // Jackson writes every surrogate as a \\u escape, lone ones included: the same bytes a
      // hostile client would send.
      byte[] body = Json.toBytes(Json.object().put(r.nextBoolean() ? "k" : value, value));
      boolean roundTrips = new String(utf8(value), StandardCharsets.UTF_8).equals(value);
      if (roundTrips) {
        assertTrue(Json.parseRequest(body).toString().length() > 0);
        accepted++;
      } else {
        refused(body);
      }
    }
    assertTrue(accepted > 1000 && accepted < 19_000, "both kinds drawn: " + accepted);
  }

  // ---- ill-formed UTF-8 in the body

  @Test
  void illFormedUtf8_refusedWithTheOffsetAndKind() {
    Object[][] cases = {
        {new int[] {0xC0, 0xAF}, "overlong"},                  // '/' in two bytes
        {new int[] {0xE0, 0x80, 0xAF}, "overlong"},            // '/' in three bytes
        {new int[] {0xF0, 0x80, 0x80, 0xAF}, "overlong"},      // '/' in four bytes
        {new int[] {0xC1, 0xBF}, "overlong"},                  // U+007F in two bytes
        {new int[] {0xED, 0xA0, 0x80}, "CESU-8"},              // U+D800 encoded
        {new int[] {0xED, 0xA0, 0xBD, 0xED, 0xB8, 0x80}, "CESU-8"}, // a pair, CESU-8 style
        {new int[] {0xF4, 0x90, 0x80, 0x80}, "above U+10FFFF"},
        {new int[] {0xF8, 0x88, 0x80, 0x80, 0x80}, "above U+10FFFF"},
        {new int[] {0x80}, "continuation byte"},
        {new int[] {0xE2, 0x82}, "truncated"},
        {new int[] {0xFF}, "above U+10FFFF"},
    };
    for (Object[] c : cases) {
      byte[] body = splice("{\"Operation\":\"Encrypt\",\"Input\":{\"EncryptionContext\":"
          + "{\"a\":\"x", (int[]) c[0], "\"}}}");
      KmsException e = refused(body);
      assertTrue(e.getMessage().contains(
          "not well-formed UTF-8: the byte sequence at offset 59 is"), e.getMessage());
      assertTrue(e.getMessage().contains((String) c[1]), e.getMessage());
    }
    // The same bytes in a field name or outside any string are refused too.
    refused(splice("{\"", new int[] {0xC0, 0xAF}, "\":1}"));
    refused(splice("{\"a\":1}", new int[] {0xC2, 0xA0}, "x"));
  }

  @Test
  void overlongSlash_didNotReachTheSameStringAsTheShortForm() {
    // The fault this closes: Jackson alone reads C0 AF as "/".
    byte[] overlong = splice("{\"a\":\"", new int[] {0xC0, 0xAF}, "\"}");
    assertEquals("/", Json.parseObject(overlong).get("a").textValue());
    refused(overlong);
  }

  /** Property: random bytes in a string are accepted exactly when they are strict UTF-8. */
  @Test
  void randomBytes_acceptedExactlyWhenStrictUtf8_andThenRoundTripByteForByte() {
    SplittableRandom r = new SplittableRandom(3629);
    int accepted = 0;
    for (int i = 0; i < 20_000; i++) {
      int[] raw = new int[1 + r.nextInt(6)];
      for (int j = 0; j < raw.length; j++) {
        int b = r.nextInt(4) == 0 ? 0x61 : 0x80 + r.nextInt(0x80);
        raw[j] = b;
      }
      byte[] bytes = new byte[raw.length];
      for (int j = 0; j < raw.length; j++) {
        bytes[j] = (byte) raw[j];
      }
      byte[] body = splice("{\"a\":\"", raw, "\"}");
      boolean strict;
      try {
        StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes));
        strict = true;
      } catch (CharacterCodingException e) {
        strict = false;
      }
      if (strict) {
        assertArrayEquals(bytes, utf8(Json.parseRequest(body).get("a").textValue()));
        accepted++;
      } else {
        refused(body);
      }
    }
    assertTrue(accepted > 100, "some valid sequences drawn: " + accepted);
  }

  @Test
  void byteOrderMarkNulAndOtherEncodings_refused() {
    assertTrue(refused(splice("", new int[] {0xEF, 0xBB, 0xBF}, "{\"Operation\":\"ListKeys\"}"))
        .getMessage().contains("byte order mark"));
    assertTrue(refused(splice("{\"a\":1}", new int[] {0}, "")).getMessage().contains("NUL"));
    // Jackson alone guesses UTF-16 and UTF-32 from zero bytes and reads these as {"a":"x"}.
    for (var cs : new java.nio.charset.Charset[] {StandardCharsets.UTF_16LE,
        StandardCharsets.UTF_16BE, StandardCharsets.UTF_16, java.nio.charset.Charset.forName(
            "UTF-32BE")}) {
      byte[] body = "{\"a\":\"x\"}".getBytes(cs);
      refused(body);
    }
  }

  /**
   * The text check reads eight bytes at a time while they are plain: a NUL, a backslash or a
   * non-ASCII byte must be found at every offset and alignment, and near the end of a body of
   * any length, with the same answer as a byte-by-byte reading.
   */
  @Test
  void strictUtf8Check_findsEveryFaultAtEveryOffset() {
    int[] special = {0, '\\', 0x7F, 0x80, 0xC3, 0xA9, 0xFF, 'a', '"', 0x01, 0x5B, 0x5D};
    SplittableRandom random = new SplittableRandom(7);
    for (int length = 0; length <= 40; length++) {
      for (int at = 0; at < length; at++) {
        for (int b : new int[] {0, '\\', 0x80, 0xFF}) {
          byte[] body = new byte[length];
          java.util.Arrays.fill(body, (byte) 'x');
          body[at] = (byte) b;
          assertSameAsBytewise(body);
        }
      }
      for (int n = 0; n < 200; n++) {
        byte[] body = new byte[length];
        for (int i = 0; i < length; i++) {
          body[i] = (byte) (random.nextInt(8) == 0 ? special[random.nextInt(special.length)]
              : 'a' + random.nextInt(26));
        }
        assertSameAsBytewise(body);
      }
    }
  }

  /** Compares {@link WellFormedText#requireStrictUtf8} with a plain byte-by-byte reading. */
  private static void assertSameAsBytewise(byte[] body) {
    int nul = -1;
    boolean escapes = false;
    boolean nonAscii = false;
    for (int i = 0; i < body.length && nul < 0; i++) {
      nul = body[i] == 0 ? i : -1;
      escapes |= body[i] == '\\';
      nonAscii |= body[i] < 0;
    }
    boolean bom = body.length >= 3 && (body[0] & 0xFF) == 0xEF && (body[1] & 0xFF) == 0xBB
        && (body[2] & 0xFF) == 0xBF;
    // What the answer holds: a refusal's message names its fault, an acceptance says whether
    // the body has escapes (the escapes flag may differ once a NUL ends the reading).
    String expected = bom ? "byte order mark"
        : nul >= 0 ? "a NUL byte at offset " + nul + ";"
        : nonAscii && !decodes(body) ? "is not well-formed UTF-8"
        : "accepted, escapes " + escapes;
    String actual;
    try {
      actual = "accepted, escapes " + WellFormedText.requireStrictUtf8(body);
    } catch (KmsException e) {
      actual = e.getMessage();
    }
    String shown = java.util.HexFormat.of().formatHex(body);
    String got = actual;
    assertTrue(got.contains(expected), () -> shown + ": expected " + expected + ", got " + got);
  }

  private static boolean decodes(byte[] body) {
    try {
      StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(body));
      return true;
    } catch (CharacterCodingException e) {
      return false;
    }
  }

  // ---- exactly one JSON value, each field once

  @Test
  void trailingData_refused() {
    for (String body : new String[] {"{\"Operation\":\"ListKeys\"} x", "{}{}", "{} 1", "{}]",
        "{\"Operation\":\"ListKeys\"}\n{\"Operation\":\"CreateKey\"}", "{} \"\"", "{}null"}) {
      assertTrue(refused(body).getMessage().contains("exactly one JSON object"), body);
    }
    assertEquals("ListKeys", Json.parseRequest(utf8(" {\"Operation\":\"ListKeys\"}\r\n\t "))
        .get("Operation").textValue(), "whitespace around the object is fine");
  }

  @Test
  void duplicateFields_refusedNamingTheField() {
    assertTrue(refused("{\"Operation\":\"ListKeys\",\"Operation\":\"CreateKey\"}").getMessage()
        .contains("names the field \"Operation\" twice"));
    refused("{\"Operation\":\"Decrypt\",\"Input\":{\"EncryptionContext\":{\"a\":\"1\","
        + "\"\\u0061\":\"2\"}}}");
    refused("{\"a\":[{\"b\":1,\"b\":1}]}");
  }

  @Test
  void overLimitNestingAndNames_refusedNamingTheLimits() {
    assertTrue(refused("{\"a\":" + "[".repeat(40) + "]".repeat(40) + "}").getMessage()
        .contains("at most 32 levels of nesting"));
    assertTrue(refused("{\"" + "k".repeat(60_000) + "\":1}").getMessage()
        .contains("field names of 50,000 characters"));
  }

  @Test
  void notAnObject_refused() {
    for (String body : new String[] {"", " ", "[]", "\"x\"", "1", "null", "{", "{\"a\":}"}) {
      refused(body);
    }
  }

  // ---- canonical base64

  @Test
  void base64_onlyTheCanonicalEncodingIsAccepted() {
    JsonNodeFactory f = JsonNodeFactory.instance;
    assertArrayEquals(utf8("A"), Json.bytes(f.textNode("QQ==")));
    assertArrayEquals(utf8("AB"), Json.bytes(f.textNode("QUI=")));
    assertArrayEquals(new byte[0], Json.bytes(f.textNode("")));
    String[] refusedSpellings = {
        "QR==", "QZ==", "QUJ=", "QUL=",          // non-zero unused bits
        "QQ", "QQ=", "QUI", "QQ===", "QUJDQQ",   // missing or extra padding
        "QUJD\n", " QUJD", "QU JD", "QUJD\r\n", "QU\tJD", // whitespace and line breaks
        "QUJ-", "QUJ_", "QQ=A", "=QQ=", "QUJD=", "QU=D",  // URL alphabet, misplaced padding
    };
    for (String s : refusedSpellings) {
      assertThrows(IllegalArgumentException.class, () -> Json.bytes(f.textNode(s)), s);
    }
  }

  /** Property: a string is accepted exactly when it is the encoding of what it decodes to. */
  @Test
  void randomBase64Strings_acceptedExactlyWhenReEncodingGivesThemBack() {
    SplittableRandom r = new SplittableRandom(4648);
    String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    int accepted = 0;
    for (int i = 0; i < 50_000; i++) {
      StringBuilder s = new StringBuilder();
      if (r.nextInt(3) == 0) {
        byte[] data = new byte[r.nextInt(8)];
        r.nextBytes(data);
        s.append(Base64.getEncoder().encodeToString(data));
        if (s.length() > 0 && r.nextBoolean()) { // flip one character
          int at = r.nextInt(s.length());
          s.setCharAt(at, alphabet.charAt(r.nextInt(64)));
        }
      } else {
        for (int n = r.nextInt(10); n > 0; n--) {
          int k = r.nextInt(80);
          s.append(k < 64 ? alphabet.charAt(k) : k < 72 ? '=' : k < 76 ? '\n' : '-');
        }
      }
      String text = s.toString();
      boolean canonical;
      try {
        canonical = Base64.getEncoder().encodeToString(Base64.getDecoder().decode(text))
            .equals(text);
      } catch (IllegalArgumentException e) {
        canonical = false;
      }
      if (canonical) {
        assertEquals(text, Base64.getEncoder().encodeToString(
            Json.bytes(JsonNodeFactory.instance.textNode(text))));
        accepted++;
      } else {
        assertThrows(IllegalArgumentException.class,
            () -> Json.bytes(JsonNodeFactory.instance.textNode(text)), text);
      }
    }
    assertTrue(accepted > 5000, "canonical strings drawn: " + accepted);
  }

  @Test
  void quote_escapesLoneSurrogatesAndCapsLength() {
    assertEquals("\"a\\ud800\\u000a\ud83d\ude00\"", WellFormedText.quote("a\ud800\n\ud83d\ude00"));
    String longName = "x".repeat(90_000);
    assertTrue(WellFormedText.quote(longName).length() < 100);
    assertFalse(WellFormedText.quote("\ud83d".repeat(100)).contains("\ud83d"));
  }
}
