package dev.coffer.daemon.ops;

import dev.coffer.daemon.keystore.RootKey;
import dev.coffer.protocol.ErrorType;
import dev.coffer.protocol.KmsException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import javax.crypto.AEADBadTagException;

/**
 * A custom key store's crypto-user PIN, kept only wrapped under the root key with the store's
 * id in the AAD, so a wrapped PIN copied to another store's row does not unwrap. Every buffer
 * that held the PIN is zeroed; callers zero the {@code char[]} they pass or get.
 */
final class StorePins {
  private final RootKey root;

  StorePins(RootKey root) {
    this.root = root;
  }

  byte[] wrap(String storeId, char[] pin) {
    ByteBuffer bb = StandardCharsets.UTF_8.encode(CharBuffer.wrap(pin));
    byte[] raw = new byte[bb.remaining()];
    bb.get(raw);
    try {
      return root.wrap(raw, aad(storeId));
    } finally {
      Arrays.fill(raw, (byte) 0);
      if (bb.hasArray()) {
        Arrays.fill(bb.array(), (byte) 0);
      }
    }
  }

  /**
   * @throws KmsException {@code KMSInternalException} when the PIN does not unwrap: the database
   *     and the root key do not belong together
   */
  char[] unwrap(CustomKeyStoreRecord st) {
    byte[] raw;
    try {
      raw = root.unwrap(st.wrappedPin(), aad(st.id()));
    } catch (AEADBadTagException e) {
      throw new KmsException(ErrorType.INTERNAL, "the password of custom key store " + st.id()
          + " does not unwrap under this root key; the database and root key do not belong"
          + " together");
    }
    CharBuffer cb = StandardCharsets.UTF_8.decode(ByteBuffer.wrap(raw));
    char[] pin = new char[cb.remaining()];
    cb.get(pin);
    Arrays.fill(raw, (byte) 0);
    if (cb.hasArray()) {
      Arrays.fill(cb.array(), '\0');
    }
    return pin;
  }

  private static byte[] aad(String id) {
    byte[] label = "coffer-custom-key-store-pin-v1".getBytes(StandardCharsets.US_ASCII);
    byte[] idb = id.getBytes(StandardCharsets.US_ASCII);
    return ByteBuffer.allocate(8 + label.length + idb.length).putInt(label.length).put(label)
        .putInt(idb.length).put(idb).array();
  }
}
