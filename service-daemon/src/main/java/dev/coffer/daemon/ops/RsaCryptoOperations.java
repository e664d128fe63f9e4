package dev.coffer.daemon.ops;

import dev.coffer.daemon.asymmetric.AsymmetricKeys;
import dev.coffer.daemon.asymmetric.KmsKeySpec;
import dev.coffer.daemon.asymmetric.RsaEncryption;
import dev.coffer.daemon.crypto.EncryptionContext;
import dev.coffer.daemon.keys.KeyRecord;
import dev.coffer.protocol.ErrorType;
import dev.coffer.protocol.KmsException;

/**
 * {@code Encrypt}, {@code Decrypt} and {@code ReEncrypt} on RSA keys with KeyUsage
 * ENCRYPT_DECRYPT (KMS API reference): an explicit {@code RSAES_OAEP_SHA_1} or {@code
 * RSAES_OAEP_SHA_256}, no encryption context, the plaintext within the key's OAEP limit. The
 * ciphertext is the bare RSAES-OAEP output, as AWS's, so anyone can encrypt with the public key
 * ({@code GetPublicKey}) and KMS decrypts it.
 */
final class RsaCryptoOperations {

  private final AsymmetricKeys keys;

  RsaCryptoOperations(AsymmetricKeys keys) {
    this.keys = keys;
  }

  /**
   * The algorithm to use with a non-symmetric key {@code k} named by an Encrypt, Decrypt or
   * ReEncrypt: {@code InvalidKeyUsageException} unless {@code k} is an RSA ENCRYPT_DECRYPT key
   * and {@code algorithm} one of its algorithms; {@code ValidationException} for an encryption
   * context, which AWS supports only with symmetric keys.
   */
  String algorithm(KeyRecord k, String algorithm, EncryptionContext ctx, String contextField) {
    if (!KmsKeySpec.ENCRYPT_DECRYPT.equals(k.keyUsage())) {
      throw new KmsException(ErrorType.INVALID_KEY_USAGE, "key " + k.id() + " has KeyUsage "
          + k.keyUsage() + " (KeySpec " + k.keySpec() + "); encryption needs a key with KeyUsage"
          + " ENCRYPT_DECRYPT");
    }
    String alg = RsaEncryption.forKey(algorithm, KmsKeySpec.ofStored(k.keySpec()));
    if (!ctx.isEmpty()) {
      throw new KmsException(ErrorType.VALIDATION, contextField + " is supported only with"
          + " symmetric encryption keys; " + k.id() + " is a " + k.keySpec() + " key: omit it");
    }
    return alg;
  }

  byte[] encrypt(KeyRecord k, String algorithm, byte[] plaintext) {
    return RsaEncryption.encrypt(keys.publicKey(k), KmsKeySpec.ofStored(k.keySpec()), algorithm,
        plaintext, keys.random());
  }

  byte[] decrypt(KeyRecord k, String algorithm, byte[] ciphertext) {
    return RsaEncryption.decrypt(keys.privateKey(k), algorithm, ciphertext);
  }
}
