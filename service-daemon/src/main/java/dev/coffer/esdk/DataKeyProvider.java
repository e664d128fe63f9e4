package dev.coffer.esdk;

/**
 * Where data keys come from: for Coffer the daemon's {@code GenerateDataKey} and {@code
 * Decrypt}, called as the AWS KMS keyring calls AWS KMS (ESDK spec,
 * framework/aws-kms/aws-kms-keyring.md).
 */
public interface DataKeyProvider {

  /** A fresh data key: its plaintext (which the caller zeroes) and its header entry. */
  record DataKey(byte[] plaintext, EncryptedDataKey encrypted) {}

  /**
   * A new 32-byte data key bound to {@code context} (the whole header context, including the
   * signed suites' public key), as {@code GenerateDataKey} with {@code NumberOfBytes} 32.
   */
  DataKey generate(EncryptionContext context) throws Exception;

  /**
   * The plaintext of one of {@code keys} (the header's entries in order; the provider picks
   * the ones it can use), decrypted with the header's {@code context}.
   *
   * @throws Exception naming why no entry could be decrypted
   */
  byte[] decrypt(java.util.List<EncryptedDataKey> keys, EncryptionContext context)
      throws Exception;
}
