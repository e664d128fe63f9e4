package dev.coffer.daemon.crypto;

import dev.coffer.protocol.WellFormedText;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * An encryption context: a case-sensitive string map bound to a ciphertext as additional
 * authenticated data.
 *
 * <p>The canonical encoding ({@link #canonicalBytes}) is injective: no two different contexts
 * encode alike. It length-prefixes every string, so {"ab":"c"} and {"a":"bc"} differ (a bare
 * key‖value concatenation would not), and the bytes parse back to exactly one list of pairs. UTF-8
 * is one-to-one only on well-formed text, so a context holding an unpaired surrogate is refused
 * here: Java's encoder would write it as {@code '?'}, and {"a":"\u005Cud800"} would seal
 * like {"a":"?"}. (Requests never get this far with one: {@code Json.parseRequest} refuses them.)
 * The format and the argument are in docs/ciphertext-format.md.
 */
public final class EncryptionContext {

  public static final EncryptionContext EMPTY = new EncryptionContext(new TreeMap<>());
  private final SortedMap<String, String> pairs;

  private EncryptionContext(SortedMap<String, String> pairs) {
    this.pairs = pairs;
  }

  /**
   * The context of {@code map}.
   *
   * @throws IllegalArgumentException if a key or value is not well-formed UTF-16 (holds an
   *     unpaired surrogate), since it would not encode to distinct bytes
   */
  public static EncryptionContext of(Map<String, String> map) {
    if (map == null || map.isEmpty()) {
      return EMPTY;
    }
    String bad = WellFormedText.firstIllFormedPair(map);
    if (bad != null) {
      throw new IllegalArgumentException("encryption context pair " + WellFormedText.quote(bad)
          + " holds an unpaired UTF-16 surrogate");
    }
    return new EncryptionContext(new TreeMap<>(map));
  }

  public Map<String, String> asMap() {
    return java.util.Collections.unmodifiableSortedMap(pairs);
  }

  public boolean isEmpty() {
    return pairs.isEmpty();
  }

  /**
   * {@code u32 count, then per pair: u32 len, key, u32 len, value}: big-endian lengths in bytes,
   * strings in UTF-8, pairs in {@link String#compareTo} order of their keys (UTF-16 code units;
   * it differs from UTF-8 byte order only for keys mixing U+E000..U+FFFF with characters above
   * U+FFFF, and must stay as it is: existing blobs were sealed with it).
   */
  public byte[] canonicalBytes() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    writeInt(out, pairs.size());
    for (Map.Entry<String, String> e : pairs.entrySet()) {
      writeString(out, e.getKey());
      writeString(out, e.getValue());
    }
    return out.toByteArray();
  }

  private static void writeString(ByteArrayOutputStream out, String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    writeInt(out, b.length);
    out.writeBytes(b);
  }

  private static void writeInt(ByteArrayOutputStream out, int v) {
    out.write(v >>> 24);
    out.write(v >>> 16);
    out.write(v >>> 8);
    out.write(v);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof EncryptionContext c && c.pairs.equals(pairs);
  }

  @Override
  public int hashCode() {
    return pairs.hashCode();
  }
}
