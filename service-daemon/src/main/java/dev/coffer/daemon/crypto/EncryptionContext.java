package dev.coffer.daemon.crypto;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * An encryption context: a case-sensitive string map bound to a ciphertext as additional
 * authenticated data.
 *
 * <p>The canonical encoding sorts pairs by key and length-prefixes every string, so no two
 * different maps encode alike (a bare key‖value concatenation would let {"ab":"c"} collide with
 * {"a":"bc"}).
 */
public final class EncryptionContext {

  public static final EncryptionContext EMPTY = new EncryptionContext(new TreeMap<>());
  private final SortedMap<String, String> pairs;

  private EncryptionContext(SortedMap<String, String> pairs) {
    this.pairs = pairs;
  }

  public static EncryptionContext of(Map<String, String> map) {
    return map == null || map.isEmpty() ? EMPTY : new EncryptionContext(new TreeMap<>(map));
  }

  public Map<String, String> asMap() {
    return java.util.Collections.unmodifiableSortedMap(pairs);
  }

  public boolean isEmpty() {
    return pairs.isEmpty();
  }

  /** {@code u32 count, then per pair (sorted by key): u32 len, key, u32 len, value} (UTF-8). */
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
