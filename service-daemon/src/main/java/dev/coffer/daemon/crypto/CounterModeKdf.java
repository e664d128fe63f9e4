package dev.coffer.daemon.crypto;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * NIST SP 800-108 key derivation in counter mode with HMAC-SHA256, as the AWS KMS cryptographic
 * details describe for per-request keys: {@code K(i) = HMAC(K_in, [i]_32 || Label || 0x00 ||
 * Context || [L]_32)}, here with one 256-bit block.
 */
public final class CounterModeKdf {
  private CounterModeKdf() {}

  private static final ThreadLocal<Mac> MAC =
      ThreadLocal.withInitial(
          () -> {
            try {
              return Mac.getInstance("HmacSHA256");
            } catch (GeneralSecurityException e) {
              throw new IllegalStateException("HmacSHA256 is missing from this JDK", e);
            }
          });

  /**
   * Derives a 32-byte key.
   *
   * @param keyIn the backing key (32 bytes); not retained
   * @param label purpose label
   * @param context binds the derived key to the request (nonce, key id, version)
   * @return a fresh array the caller must zero when done
   */
  public static byte[] derive256(byte[] keyIn, String label, byte[] context) {
    byte[] labelBytes = label.getBytes(StandardCharsets.US_ASCII);
    ByteBuffer input = ByteBuffer.allocate(4 + labelBytes.length + 1 + context.length + 4);
    input.putInt(1).put(labelBytes).put((byte) 0).put(context).putInt(256);
    Mac mac = MAC.get();
    try {
      mac.init(new SecretKeySpec(keyIn, "HmacSHA256"));
    } catch (InvalidKeyException e) {
      throw new IllegalStateException("HMAC rejected a backing key", e);
    }
    return mac.doFinal(input.array());
  }
}
