package dev.coffer.daemon.asymmetric;

import dev.coffer.protocol.ErrorType;
import dev.coffer.protocol.KmsException;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.spec.MGF1ParameterSpec;
import java.util.List;
import javax.crypto.BadPaddingException;
import javax.crypto.Cipher;
import javax.crypto.IllegalBlockSizeException;
import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PSource;

/**
 * RSAES-OAEP with KMS's two algorithms (RFC 8017 section 7.1): {@code RSAES_OAEP_SHA_1} and
 * {@code RSAES_OAEP_SHA_256}, each with MGF1 over the same digest and an empty label, as AWS
 * uses them (KMS Developer Guide, "RSA key specs for encryption and decryption").
 */
public final class RsaEncryption {
  private RsaEncryption() {}

  public static final String OAEP_SHA_1 = "RSAES_OAEP_SHA_1";
  public static final String OAEP_SHA_256 = "RSAES_OAEP_SHA_256";

  /**
   * The algorithm named {@code name} if an RSA ENCRYPT_DECRYPT key of {@code spec} allows it;
   * {@code InvalidKeyUsageException} otherwise (also when {@code name} is null: asymmetric keys
   * need an explicit algorithm, AWS: "EncryptionAlgorithm ... required for asymmetric keys").
   */
  public static String forKey(String name, KmsKeySpec spec) {
    List<String> allowed = spec.encryptionAlgorithms();
    if (name == null || !allowed.contains(name)) {
      throw new KmsException(ErrorType.INVALID_KEY_USAGE, "EncryptionAlgorithm "
          + (name == null ? "(absent)" : name) + " is not valid for a " + spec + " key; pass"
          + " EncryptionAlgorithm " + String.join(" or ", allowed));
    }
    return name;
  }

  /**
   * The largest plaintext in bytes: modulus bytes - 2 * digest bytes - 2 (RFC 8017 section
   * 7.1.1), which gives AWS's published limits (RSA_2048: 214 with SHA-1, 190 with SHA-256;
   * RSA_3072: 342 / 318; RSA_4096: 470 / 446).
   */
  public static int maxPlaintext(KmsKeySpec spec, String algorithm) {
    int h = algorithm.equals(OAEP_SHA_1) ? 20 : 32;
    return spec.bits() / 8 - 2 * h - 2;
  }

  public static byte[] encrypt(PublicKey key, KmsKeySpec spec, String algorithm,
      byte[] plaintext, SecureRandom random) {
    int max = maxPlaintext(spec, algorithm);
    if (plaintext.length > max) {
      throw new KmsException(ErrorType.VALIDATION, "Plaintext is " + plaintext.length
          + " bytes; a " + spec + " key encrypts at most " + max + " bytes with " + algorithm
          + " (KMS API reference, Encrypt); encrypt a data key instead");
    }
    try {
      Cipher c = cipher();
      c.init(Cipher.ENCRYPT_MODE, key, params(algorithm), random);
      return c.doFinal(plaintext);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(algorithm + " encryption failed", e);
    }
  }

  /**
   * Decrypts; a ciphertext that does not decrypt under this key and algorithm is {@code
   * InvalidCiphertextException}.
   */
  public static byte[] decrypt(PrivateKey key, String algorithm, byte[] ciphertext) {
    try {
      Cipher c = cipher();
      c.init(Cipher.DECRYPT_MODE, key, params(algorithm));
      return c.doFinal(ciphertext);
    } catch (BadPaddingException | IllegalBlockSizeException | IllegalArgumentException e) {
      throw new KmsException(ErrorType.INVALID_CIPHERTEXT, "the ciphertext does not decrypt"
          + " under this key with " + algorithm + "; check the key, the EncryptionAlgorithm and"
          + " that the ciphertext is intact");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(algorithm + " decryption failed", e);
    }
  }

  private static Cipher cipher() throws GeneralSecurityException {
    return Cipher.getInstance("RSA/ECB/OAEPPadding");
  }

  private static OAEPParameterSpec params(String algorithm) {
    return algorithm.equals(OAEP_SHA_1)
        ? new OAEPParameterSpec("SHA-1", "MGF1", MGF1ParameterSpec.SHA1,
            PSource.PSpecified.DEFAULT)
        : new OAEPParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256,
            PSource.PSpecified.DEFAULT);
  }
}
