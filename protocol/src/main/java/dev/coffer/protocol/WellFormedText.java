package dev.coffer.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Map;

/**
 * Checks that request text has exactly one reading: every string is a sequence of Unicode scalar
 * values that UTF-8 encodes and decodes back to itself.
 *
 * <p>Why: a string that does not round-trip can mean two things. Java's UTF-8 encoder writes an
 * unpaired surrogate (JSON {@code "\u005Cud800"}) as {@code '?'}, so a context value
 * {@code "a\u005Cud800b"} would seal to the same additional authenticated data as {@code "a?b"}
 * while a key policy {@code Deny} on {@code "a?b"} compares it as another string and lets it
 * through. Overlong UTF-8 ({@code C0 AF} for {@code '/'}) and surrogates encoded in UTF-8 (CESU-8,
 * {@code ED A0 80}) are decoded by Jackson without complaint and give other spellings of the same
 * characters, or lone surrogates again. So the daemon refuses all of these with
 * {@code ValidationException} before any field is read (RFC 3629 section 3 forbids overlong forms
 * and encoded surrogates; RFC 8259 section 8.1 requires UTF-8 without a byte order mark between
 * systems; section 8.2 leaves unpaired surrogates undefined).
 *
 * <p>Escapes that spell a valid character ({@code "\u005Cu0061"}, {@code "\/"}, a pair like
 * {@code "\u005Cud83d\u005Cude00"}) are accepted: they give the same string as the plain spelling,
 * so the request still means one thing. Strings are not Unicode-normalised (as in AWS, a
 * precomposed and a decomposed {@code "é"} are different context values).
 */
public final class WellFormedText {
  private WellFormedText() {}

  private static final int MAX_QUOTED_CHARS = 64;
  private static final String HOW_TO_FIX = "; send text as well-formed UTF-8 (RFC 3629), and in"
      + " JSON escapes write a character above U+FFFF as a high-low surrogate pair"
      + " (\\ud83d\\ude00), never a lone or reversed surrogate";

  /**
   * Refuses a frame body that is not strict UTF-8 JSON text, before Jackson sees it.
   *
   * <p>Refused: a byte order mark, a NUL byte (never legal in JSON text; it would also make
   * Jackson guess UTF-16 or UTF-32), and any ill-formed UTF-8: stray continuation bytes,
   * truncated sequences, overlong forms, encoded surrogates, code points above U+10FFFF.
   *
   * @return whether the body holds a backslash, i.e. JSON escapes that may spell surrogates and
   *     must be checked on the parsed tree with {@link #requireWellFormed(JsonNode)}
   * @throws KmsException {@code ValidationException} naming the byte offset and the fault
   */
  public static boolean requireStrictUtf8(byte[] body) {
    if (body.length >= 3 && body[0] == (byte) 0xEF && body[1] == (byte) 0xBB
        && body[2] == (byte) 0xBF) {
      throw invalid("the message body starts with a UTF-8 byte order mark; send the JSON text"
          + " without one (RFC 8259 section 8.1)");
    }
    boolean nonAscii = false;
    boolean escapes = false;
    int i = 0;
    while (i < body.length) {
      // Eight bytes at once while they are plain: every request body passes here, and one
      // branch per byte cost the hot path more than the JSON parser's own scan of the text.
      if (i + Long.BYTES <= body.length && isPlain((long) LONGS.get(body, i))) {
        i += Long.BYTES;
        continue;
      }
      // A word with something to look at: these eight bytes (or the tail) one by one.
      for (int end = Math.min(body.length, i + Long.BYTES); i < end; i++) {
        byte b = body[i];
        if (b < 0) {
          nonAscii = true;
        } else if (b == '\\') {
          escapes = true;
        } else if (b == 0) {
          throw invalid("the message body holds a NUL byte at offset " + i + "; JSON text never"
              + " does: write U+0000 inside a string as \\u0000, and encode the body as UTF-8");
        }
      }
    }
    if (nonAscii) {
      decodeStrictly(body);
    }
    return escapes;
  }

  private static final VarHandle LONGS =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final long LOW_BITS = 0x0101010101010101L;
  private static final long HIGH_BITS = 0x8080808080808080L;
  private static final long BACKSLASHES = 0x5C5C5C5C5C5C5C5CL;

  /**
   * True when none of the eight bytes in {@code w} is non-ASCII (high bit set), NUL or a
   * backslash. {@code (x - 0x01..01) & ~x & 0x80..80} is non-zero exactly when some byte of
   * {@code x} is zero; a backslash is a zero byte of {@code w ^ 0x5C..5C}.
   */
  private static boolean isPlain(long w) {
    long nul = (w - LOW_BITS) & ~w;
    long b = w ^ BACKSLASHES;
    long backslash = (b - LOW_BITS) & ~b;
    return ((w | nul | backslash) & HIGH_BITS) == 0;
  }

  /** Runs the JDK's UTF-8 decoder with every error reported; keeps no decoded text. */
  private static void decodeStrictly(byte[] body) {
    CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT);
    ByteBuffer in = ByteBuffer.wrap(body);
    CharBuffer out = CharBuffer.allocate(1024);
    try {
      while (true) {
        CoderResult r = decoder.decode(in, out, true);
        if (r.isError()) {
          throw invalid("the message body is not well-formed UTF-8: the byte sequence at offset "
              + in.position() + " is " + describe(body, in.position()) + HOW_TO_FIX);
        }
        // The text may hold plaintext-bearing fields: overwrite each chunk before reusing it.
        java.util.Arrays.fill(out.array(), '\0');
        out.clear();
        if (r.isUnderflow()) {
          decoder.flush(out);
          return;
        }
      }
    } finally {
      java.util.Arrays.fill(out.array(), '\0');
    }
  }

  /** Names the kind of ill-formed sequence starting at {@code at} (RFC 3629 section 4). */
  private static String describe(byte[] b, int at) {
    int b0 = b[at] & 0xFF;
    int b1 = at + 1 < b.length ? b[at + 1] & 0xFF : -1;
    if (b0 >= 0x80 && b0 <= 0xBF) {
      return "a continuation byte with no lead byte";
    }
    if (b0 == 0xC0 || b0 == 0xC1 || (b0 == 0xE0 && b1 >= 0x80 && b1 < 0xA0)
        || (b0 == 0xF0 && b1 >= 0x80 && b1 < 0x90)) {
      return "an overlong (non-shortest) encoding";
    }
    if (b0 == 0xED && b1 >= 0xA0 && b1 <= 0xBF) {
      return "a UTF-16 surrogate encoded as UTF-8 (CESU-8)";
    }
    if (b0 >= 0xF5) {
      return "a lead byte F5..FF, which UTF-8 never uses (it would start a code point above"
          + " U+10FFFF)";
    }
    if (b0 == 0xF4 && b1 >= 0x90) {
      return "a code point above U+10FFFF";
    }
    return "a truncated multi-byte sequence";
  }

  /**
   * Refuses a parsed tree in which any string, value or field name, at any depth, holds an
   * unpaired UTF-16 surrogate (what JSON escapes like {@code "\u005Cud800"},
   * {@code "\u005Cudc00"} or a reversed pair {@code "\u005Cudc00\u005Cud800"} decode to).
   *
   * @throws KmsException {@code ValidationException} naming the field and the surrogate
   */
  public static void requireWellFormed(JsonNode tree) {
    walk(tree, "");
  }

  private static void walk(JsonNode n, String path) {
    if (n.isTextual()) {
      check(n.textValue(), path.isEmpty() ? "the message body" : path);
    } else if (n.isObject()) {
      Iterator<Map.Entry<String, JsonNode>> it = n.fields();
      while (it.hasNext()) {
        Map.Entry<String, JsonNode> e = it.next();
        String name = e.getKey();
        check(name, "a field name in " + (path.isEmpty() ? "the message body" : path)
            + " (" + quote(name) + ")");
        walk(e.getValue(), path.isEmpty() ? shown(name) : path + "." + shown(name));
      }
    } else if (n.isArray()) {
      for (int i = 0; i < n.size(); i++) {
        walk(n.get(i), path + "[" + i + "]");
      }
    }
  }

  private static void check(String s, String where) {
    int bad = firstUnpairedSurrogate(s);
    if (bad >= 0) {
      throw invalid(where + " holds an unpaired UTF-16 surrogate (\\u"
          + Integer.toHexString(s.charAt(bad)) + " at character " + bad + ")" + HOW_TO_FIX);
    }
  }

  /**
   * The index of the first surrogate in {@code s} that is not part of a high-low pair, or -1 when
   * {@code s} is well-formed UTF-16 (and so UTF-8 encodes it to bytes that decode back to it).
   */
  public static int firstUnpairedSurrogate(CharSequence s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c)) {
        if (i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
          i++;
        } else {
          return i;
        }
      } else if (Character.isLowSurrogate(c)) {
        return i;
      }
    }
    return -1;
  }

  /**
   * The key of the first pair of {@code pairs} whose key or value holds an unpaired surrogate,
   * or {@code null} when every string is well-formed (for maps built outside a request, such as
   * the provider's encryption contexts).
   */
  public static String firstIllFormedPair(Map<String, String> pairs) {
    for (Map.Entry<String, String> e : pairs.entrySet()) {
      if (firstUnpairedSurrogate(e.getKey()) >= 0 || firstUnpairedSurrogate(e.getValue()) >= 0) {
        return e.getKey();
      }
    }
    return null;
  }

  /**
   * A field name as an error message may show it: as it is when it is a short run of letters,
   * digits and {@code _ - : /}, else {@link #quote quoted} (a message naming a 90 KB key, or one
   * with dots or quotes in it, would be unreadable or ambiguous).
   */
  public static String shown(String name) {
    if (name.isEmpty() || name.length() > MAX_QUOTED_CHARS) {
      return quote(name);
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (!(c < 0x80 && (Character.isLetterOrDigit(c) || c == '_' || c == '-' || c == ':'
          || c == '/'))) {
        return quote(name);
      }
    }
    return name;
  }

  /**
   * A request string as an error message may show it: quoted, unpaired surrogates and control
   * characters as {@code \}{@code uXXXX} escapes, at most 64 characters (never splitting a pair).
   */
  public static String quote(String s) {
    StringBuilder b = new StringBuilder(Math.min(s.length(), MAX_QUOTED_CHARS) + 8).append('"');
    int shown = 0;
    for (int i = 0; i < s.length(); i++) {
      if (shown >= MAX_QUOTED_CHARS) {
        return b.append("...(").append(s.length()).append(" characters)\"").toString();
      }
      char c = s.charAt(i);
      boolean pair = Character.isHighSurrogate(c) && i + 1 < s.length()
          && Character.isLowSurrogate(s.charAt(i + 1));
      if (pair) {
        b.append(c).append(s.charAt(++i));
      } else if (Character.isSurrogate(c) || c < 0x20 || c == 0x7F || c == '"' || c == '\\') {
        b.append(String.format("\\u%04x", (int) c));
      } else {
        b.append(c);
      }
      shown++;
    }
    return b.append('"').toString();
  }

  private static KmsException invalid(String message) {
    return new KmsException(ErrorType.VALIDATION, message);
  }
}
