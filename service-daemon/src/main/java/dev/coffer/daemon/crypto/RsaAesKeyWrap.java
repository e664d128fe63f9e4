package dev.coffer.daemon.crypto;

import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.interfaces.RSAKey;
import java.security.spec.MGF1ParameterSpec;
import javax.crypto.Cipher;
import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PSource;
import javax.crypto.spec.SecretKeySpec;

/**
 * The wrapping schemes of AWS KMS {@code ImportKeyMaterial} (KMS API reference, "WrappingAlgorithm"):
 * {@code RSAES_OAEP_SHA_*} (the material itself under RSA-OAEP) and {@code RSA_AES_KEY_WRAP_SHA_*}:
 * {@code RSA-OAEP(fresh AES-256 key) || AES-KWP(material)}, AES key wrap with padding as in
 * RFC 5649. One copy for import tokens and for handing the root key to a joining node.
 */
public final class RsaAesKeyWrap {
  private RsaAesKeyWrap() {}

  /** RSA-OAEP with {@code SHA-256} (MGF1-SHA-256) or {@code SHA-1}, empty label. */
  public static OAEPParameterSpec oaep(boolean sha256) {
    return sha256
        ? new OAEPParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256,
            PSource.PSpecified.DEFAULT)
        : new OAEPParameterSpec("SHA-1", "MGF1", MGF1ParameterSpec.SHA1,
            PSource.PSpecified.DEFAULT);
  }

  /** The RSA modulus length in bytes: the length of the RSA-OAEP part. */
  public static int modulusBytes(RSAKey key) {
    return (key.getModulus().bitLength() + 7) / 8;
  }

  /**
   * {@code RSA_AES_KEY_WRAP_SHA_*}: a fresh AES-256 key under RSA-OAEP, then {@code material}
   * under AES-KWP with it. The AES key is zeroed before returning.
   *
   * @return {@code modulusBytes} bytes of RSA-OAEP, then {@code 8 * ceil(len / 8) + 8} bytes
   */
  public static byte[] wrap(PublicKey recipient, byte[] material, boolean sha256,
      SecureRandom random) throws GeneralSecurityException {
    byte[] aesKey = new byte[32];
    random.nextBytes(aesKey);
    try {
      Cipher rsa = Cipher.getInstance("RSA/ECB/OAEPPadding");
      rsa.init(Cipher.ENCRYPT_MODE, recipient, oaep(sha256), random);
      byte[] head = rsa.doFinal(aesKey);
      Cipher kwp = Cipher.getInstance("AES/KWP/NoPadding");
      kwp.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(aesKey, "AES"));
      byte[] tail = kwp.doFinal(material);
      byte[] out = new byte[head.length + tail.length];
      System.arraycopy(head, 0, out, 0, head.length);
      System.arraycopy(tail, 0, out, head.length, tail.length);
      return out;
    } finally {
      Bytes.zero(aesKey);
    }
  }

  /**
   * Reverses {@link #wrap}: the first {@code modulusBytes} bytes of {@code encrypted} are the
   * RSA-OAEP part.
   *
   * @throws GeneralSecurityException if either part does not decrypt (another recipient, a
   *     changed byte: AES-KWP checks its integrity value), or {@code encrypted} is too short
   */
  public static byte[] unwrap(PrivateKey recipient, byte[] encrypted, boolean sha256)
      throws GeneralSecurityException {
    int modulusBytes = modulusBytes((RSAKey) recipient);
    if (encrypted.length <= modulusBytes) {
      throw new GeneralSecurityException("too short for RSA_AES_KEY_WRAP with this key");
    }
    Cipher rsa = Cipher.getInstance("RSA/ECB/OAEPPadding");
    rsa.init(Cipher.DECRYPT_MODE, recipient, oaep(sha256));
    byte[] aesKey = rsa.doFinal(encrypted, 0, modulusBytes);
    try {
      Cipher kwp = Cipher.getInstance("AES/KWP/NoPadding");
      kwp.init(Cipher.DECRYPT_MODE, new SecretKeySpec(aesKey, "AES"));
      return kwp.doFinal(encrypted, modulusBytes, encrypted.length - modulusBytes);
    } finally {
      Bytes.zero(aesKey);
    }
  }
}
