package dev.coffer.jca.core;

import java.time.Instant;

/**
 * Public metadata of one KMS key, as {@code DescribeKey} reports it. {@code keySpec} and {@code
 * keyUsage} use the AWS names ({@code SYMMETRIC_DEFAULT}, {@code ECC_NIST_P256}, {@code
 * HMAC_256}, ...; {@code ENCRYPT_DECRYPT}, {@code SIGN_VERIFY}, {@code GENERATE_VERIFY_MAC});
 * a daemon that does not report them means the symmetric defaults.
 */
public record KeyInfo(
    String arn, String keyId, Instant creationDate, String description, String keyState,
    String keySpec, String keyUsage) {

  /** True for RSA and ECC key pairs ({@code RSA_*}, {@code ECC_*}). */
  public boolean isAsymmetric() {
    return keySpec.startsWith("RSA_") || keySpec.startsWith("ECC_");
  }

  /** True for HMAC keys ({@code HMAC_*}). */
  public boolean isHmac() {
    return keySpec.startsWith("HMAC_");
  }
}
