package dev.coffer.conformance;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.UUID;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Builds a Coffer ciphertext blob outside the daemon, from raw key material, exactly as
 * {@code docs/ciphertext-format.md} specifies: an independent implementation of the format, used
 * to prove that imported material is really the key the daemon uses.
 */
public final class BlobBuilder {
  private BlobBuilder() {}

  public static byte[] seal(byte[] material, UUID keyId, int version, byte[] plaintext) throws Exception {
    SecureRandom random = new SecureRandom();
    byte[] nonce = new byte[16];
    byte[] iv = new byte[12];
    random.nextBytes(nonce);
    random.nextBytes(iv);
    byte[] header = ByteBuffer.allocate(49).put((byte) 1)
        .putLong(keyId.getMostSignificantBits()).putLong(keyId.getLeastSignificantBits())
        .putInt(version).put(nonce).put(iv).array();
    byte[] label = "coffer-v1-request-key".getBytes(StandardCharsets.US_ASCII);
    byte[] context = ByteBuffer.allocate(36).put(nonce).putLong(keyId.getMostSignificantBits())
        .putLong(keyId.getLeastSignificantBits()).putInt(version).array();
    Mac kdf = Mac.getInstance("HmacSHA256");
    kdf.init(new SecretKeySpec(material, "HmacSHA256"));
    byte[] requestKey = kdf.doFinal(ByteBuffer.allocate(4 + label.length + 1 + 36 + 4)
        .putInt(1).put(label).put((byte) 0).put(context).putInt(256).array());
    Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding");
    gcm.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(requestKey, "AES"),
        new GCMParameterSpec(128, iv));
    gcm.updateAAD(header);
    gcm.updateAAD(new byte[4]); // canonical empty encryption context: zero pairs
    byte[] sealed = gcm.doFinal(plaintext);
    return ByteBuffer.allocate(header.length + sealed.length).put(header).put(sealed).array();
  }
}
