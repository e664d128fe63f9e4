package dev.coffer.daemon.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The AAD encoding of an encryption context is injective: different contexts never give the
 * same bytes. The argument (docs/ciphertext-format.md): the bytes parse back to exactly one map
 * ({@link #decode} is a left inverse of {@code canonicalBytes}), which needs every string to be
 * well-formed so that UTF-8 is one-to-one on it.
 */
class EncryptionContextTest {

  private static byte[] bytes(Map<String, String> m) {
    return EncryptionContext.of(m).canonicalBytes();
  }

  /**
   * Parses canonical bytes back into the context, strictly: the count, each length-prefixed
   * string decoded as strict UTF-8, keys in ascending {@code String} order, nothing left over.
   */
  static Map<String, String> decode(byte[] b) {
    ByteBuffer in = ByteBuffer.wrap(b);
    int count = in.getInt();
    Map<String, String> out = new LinkedHashMap<>();
    String previous = null;
    for (int i = 0; i < count; i++) {
      String k = string(in);
      String v = string(in);
      assertTrue(previous == null || previous.compareTo(k) < 0, "keys ascending");
      out.put(k, v);
      previous = k;
    }
    assertFalse(in.hasRemaining(), "nothing after the last pair");
    return out;
  }

  private static String string(ByteBuffer in) {
    byte[] s = new byte[in.getInt()];
    in.get(s);
    try {
      return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(s)).toString();
    } catch (CharacterCodingException e) {
      throw new AssertionError("not strict UTF-8", e);
    }
  }

  @Test
  void goldenBytes_pinTheFormatOfExistingBlobs() {
    assertEquals("00000000", HexFormat.of().formatHex(bytes(Map.of())));
    assertEquals("00000002" + "00000001" + "61" + "00000001" + "31"
            + "00000001" + "62" + "00000002" + "c3a9",
        HexFormat.of().formatHex(bytes(Map.of("b", "\u00e9", "a", "1"))));
    // Keys sort by String.compareTo (UTF-16 code units): U+1F600 (d83d de00) before U+FFFF,
    // although its UTF-8 (f0 9f 98 80) sorts after ef bf bf. Blobs were sealed this way.
    assertEquals("00000002" + "00000004" + "f09f9880" + "00000000"
            + "00000003" + "efbfbf" + "00000000",
        HexFormat.of().formatHex(bytes(Map.of("\uffff", "", "\ud83d\ude00", ""))));
  }

  @Test
  void adversarialPairs_encodeDifferently() {
    List<Map<String, String>> contexts = List.of(
        Map.of(), Map.of("", ""), Map.of("a", ""), Map.of("", "a"),
        Map.of("a", "bc"), Map.of("ab", "c"), Map.of("abc", ""), Map.of("", "abc"),
        Map.of("a", "b", "c", "d"), Map.of("a", "bcd"), Map.of("a", "b\u0000c\u0000d"),
        Map.of("a", "b\u0000\u0000\u0000\u0001c\u0000\u0000\u0000\u0001d"),  // forged prefixes
        Map.of("a\u0000", "b"), Map.of("a", "\u0000b"), Map.of("\u0000", "ab"),
        Map.of("a", "?"), Map.of("a", "\ufffd"), Map.of("a", "\ud83d\ude00"),
        Map.of("a", "\u00e9"), Map.of("a", "e\u0301"), Map.of("A", "b"), Map.of("a", "B"));
    Map<String, Map<String, String>> seen = new HashMap<>();
    for (Map<String, String> c : contexts) {
      Map<String, String> before = seen.put(HexFormat.of().formatHex(bytes(c)), c);
      assertEquals(null, before, () -> c + " encodes like " + before);
      assertEquals(c, decode(bytes(c)));
    }
  }

  /** Property: over many random contexts from a collision-prone alphabet, bytes decide the map. */
  @Test
  void randomContexts_decodeBackAndNeverCollide() {
    SplittableRandom r = new SplittableRandom(14);
    String[] atoms = {"", "a", "b", "ab", "\u0000", "\u0000\u0000\u0000\u0001", "?", "\ufffd",
        "\u00e9", "e\u0301", "\ud83d\ude00", "\uffff", "\u0001a"};
    Map<String, Map<String, String>> seen = new HashMap<>();
    int distinct = 0;
    for (int i = 0; i < 30_000; i++) {
      Map<String, String> m = new HashMap<>();
      for (int n = r.nextInt(4); n > 0; n--) {
        m.put(draw(r, atoms), draw(r, atoms));
      }
      byte[] b = bytes(m);
      assertEquals(m, decode(b));
      Map<String, String> other = seen.putIfAbsent(HexFormat.of().formatHex(b), m);
      if (other == null) {
        distinct++;
      } else {
        assertEquals(other, m, "two contexts, one encoding");
      }
    }
    assertTrue(distinct > 10_000, "varied enough: " + distinct);
  }

  private static String draw(SplittableRandom r, String[] atoms) {
    StringBuilder s = new StringBuilder();
    for (int n = r.nextInt(3); n > 0; n--) {
      s.append(atoms[r.nextInt(atoms.length)]);
    }
    return s.toString();
  }

  @Test
  void pairOrder_doesNotChangeTheBytes() {
    List<String> keys = new ArrayList<>(List.of("tenant", "purpose", "", "\ud83d\ude00", "Z"));
    byte[] first = null;
    for (int i = 0; i < 20; i++) {
      Collections.shuffle(keys, new java.util.Random(i));
      Map<String, String> m = new LinkedHashMap<>();
      keys.forEach(k -> m.put(k, "v" + k));
      byte[] b = bytes(m);
      if (first != null) {
        assertArrayEquals(first, b);
      }
      first = b;
    }
  }

  @Test
  void unpairedSurrogates_refusedBecauseUtf8WouldCollapseThemToQuestionMarks() {
    // What the encoder did with them: both would have sealed alike.
    assertArrayEquals("?".getBytes(StandardCharsets.UTF_8),
        "\ud800".getBytes(StandardCharsets.UTF_8));
    for (String bad : new String[] {"\ud800", "\udc00", "a\udbffb", "\udc00\ud800", "\ud83d"}) {
      assertThrows(IllegalArgumentException.class,
          () -> EncryptionContext.of(Map.of("a", bad)), bad);
      assertThrows(IllegalArgumentException.class,
          () -> EncryptionContext.of(Map.of(bad, "a")), bad);
    }
    assertNotEquals(EncryptionContext.of(Map.of("a", "?")),
        EncryptionContext.of(new TreeMap<>(Map.of("a", "\ud83d\ude00"))));
  }
}
