package dev.coffer.esdk;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * An encryption context as the message header stores it: UTF-8 key/value pairs, serialized as a
 * UInt16 pair count and then each pair as UInt16 length + bytes, sorted by the keys' UTF-8
 * bytes (ESDK spec, framework/structures.md "Serialization"); the empty context serializes to
 * no bytes. The whole serialization must fit the header's UInt16 AAD length: at most 65535
 * bytes.
 */
public final class EncryptionContext {

  /** The signed suites' context entry: the base64 compressed ECDSA public key (default CMM). */
  public static final String PUBLIC_KEY = "aws-crypto-public-key";
  /** Key prefix the Encryption SDK reserves for itself. */
  public static final String RESERVED_PREFIX = "aws-crypto-";

  private static final java.util.Comparator<String> UTF8_ORDER = (a, b) -> Arrays.compareUnsigned(
      a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));

  private final Map<String, String> pairs;

  private EncryptionContext(Map<String, String> pairs) {
    TreeMap<String, String> sorted = new TreeMap<>(UTF8_ORDER);
    sorted.putAll(pairs);
    this.pairs = Collections.unmodifiableMap(sorted);
    if (serialize().length > 0xFFFF) {
      throw new IllegalArgumentException("the encryption context serializes to more than 65535"
          + " bytes, the most a message header holds");
    }
  }

  /** A context from user-given pairs; keys with the reserved {@code aws-crypto-} prefix refused. */
  public static EncryptionContext of(Map<String, String> pairs) {
    for (Map.Entry<String, String> e : pairs.entrySet()) {
      if (e.getKey().isEmpty()) {
        throw new IllegalArgumentException("encryption context keys must not be empty");
      }
      if (e.getKey().startsWith(RESERVED_PREFIX)) {
        throw new IllegalArgumentException("encryption context key '" + e.getKey() + "' uses"
            + " the prefix " + RESERVED_PREFIX + " that the Encryption SDK reserves; choose"
            + " another key");
      }
    }
    return new EncryptionContext(pairs);
  }

  public static EncryptionContext empty() {
    return new EncryptionContext(Map.of());
  }

  /** This context plus the signed suites' public-key entry. */
  EncryptionContext withPublicKey(String base64) {
    TreeMap<String, String> m = new TreeMap<>(pairs);
    m.put(PUBLIC_KEY, base64);
    return new EncryptionContext(m);
  }

  /** The pairs, sorted by the keys' UTF-8 bytes. */
  public Map<String, String> asMap() {
    return pairs;
  }

  /** The serialization above (empty for the empty context). */
  public byte[] serialize() {
    if (pairs.isEmpty()) {
      return new byte[0];
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeShort(pairs.size());
      for (Map.Entry<String, String> e : pairs.entrySet()) {
        writeField(out, e.getKey().getBytes(StandardCharsets.UTF_8));
        writeField(out, e.getValue().getBytes(StandardCharsets.UTF_8));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  private static void writeField(DataOutputStream out, byte[] b) throws IOException {
    if (b.length > 0xFFFF) {
      throw new IllegalArgumentException("an encryption context key or value exceeds 65535"
          + " UTF-8 bytes");
    }
    out.writeShort(b.length);
    out.write(b);
  }

  /**
   * Parses a serialization read from a header.
   *
   * @throws BadCiphertextException when it is cut short, has trailing bytes, a zero count,
   *     a duplicate key or text that is not UTF-8
   */
  static EncryptionContext parse(byte[] b) throws BadCiphertextException {
    if (b.length == 0) {
      return empty();
    }
    ByteBuffer in = ByteBuffer.wrap(b);
    try {
      int count = Short.toUnsignedInt(in.getShort());
      if (count == 0) {
        throw new BadCiphertextException("the header's encryption context has a pair count of 0"
            + " with a non-zero length");
      }
      TreeMap<String, String> m = new TreeMap<>(UTF8_ORDER);
      for (int i = 0; i < count; i++) {
        String k = utf8(in);
        String v = utf8(in);
        if (m.put(k, v) != null) {
          throw new BadCiphertextException("the header's encryption context has key '" + k
              + "' twice");
        }
      }
      if (in.hasRemaining()) {
        throw new BadCiphertextException("the header's encryption context has "
            + in.remaining() + " bytes after its last pair");
      }
      return new EncryptionContext(m);
    } catch (java.nio.BufferUnderflowException e) {
      throw new BadCiphertextException("the header's encryption context is cut short");
    }
  }

  private static String utf8(ByteBuffer in) throws BadCiphertextException {
    int n = Short.toUnsignedInt(in.getShort());
    if (n > in.remaining()) {
      throw new java.nio.BufferUnderflowException();
    }
    ByteBuffer slice = in.slice().limit(n);
    in.position(in.position() + n);
    try {
      return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(slice).toString();
    } catch (CharacterCodingException e) {
      throw new BadCiphertextException("the header's encryption context is not valid UTF-8");
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof EncryptionContext c && c.pairs.equals(pairs);
  }

  @Override
  public int hashCode() {
    return pairs.hashCode();
  }

  /** Keys only: values may be sensitive and are not for logs. */
  @Override
  public String toString() {
    return "EncryptionContext" + pairs.keySet();
  }
}
