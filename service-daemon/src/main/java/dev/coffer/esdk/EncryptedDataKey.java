package dev.coffer.esdk;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * One encrypted data key entry of the header. For the AWS KMS keyring (and so for Coffer):
 * {@code providerId} "aws-kms", {@code providerInfo} the key ARN as UTF-8, {@code ciphertext} the
 * KMS {@code CiphertextBlob}. Each field is at most 65535 bytes (UInt16 length prefix).
 */
public final class EncryptedDataKey {
  /** The key provider ID of the AWS KMS keyring (ESDK spec, aws-kms-keyring.md). */
  public static final String AWS_KMS = "aws-kms";

  private final String providerId;
  private final byte[] providerInfo;
  private final byte[] ciphertext;

  public EncryptedDataKey(String providerId, byte[] providerInfo, byte[] ciphertext) {
    this.providerId = providerId;
    this.providerInfo = providerInfo.clone();
    this.ciphertext = ciphertext.clone();
    if (providerId.getBytes(StandardCharsets.UTF_8).length > 0xFFFF
        || providerInfo.length > 0xFFFF || ciphertext.length > 0xFFFF) {
      throw new IllegalArgumentException("an encrypted data key field exceeds 65535 bytes");
    }
  }

  /** An AWS KMS keyring entry for {@code keyArn}. */
  public static EncryptedDataKey awsKms(String keyArn, byte[] ciphertextBlob) {
    return new EncryptedDataKey(AWS_KMS, keyArn.getBytes(StandardCharsets.UTF_8), ciphertextBlob);
  }

  public String providerId() {
    return providerId;
  }

  public byte[] providerInfo() {
    return providerInfo.clone();
  }

  /** The provider info as text: for "aws-kms", the key ARN. */
  public String providerInfoText() {
    return new String(providerInfo, StandardCharsets.UTF_8);
  }

  public byte[] ciphertext() {
    return ciphertext.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof EncryptedDataKey e && e.providerId.equals(providerId)
        && Arrays.equals(e.providerInfo, providerInfo) && Arrays.equals(e.ciphertext, ciphertext);
  }

  @Override
  public int hashCode() {
    return providerId.hashCode() * 31 + Arrays.hashCode(ciphertext);
  }
}
