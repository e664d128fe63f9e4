package dev.coffer.daemon.ops;

import java.util.Set;

/** How each operation is classified for audit: cryptographic (data plane) and read-only. */
public final class OperationKinds {
  private OperationKinds() {}

  private static final Set<String> CRYPTOGRAPHIC = Set.of("Encrypt", "Decrypt", "ReEncrypt",
      "GenerateDataKey", "GenerateDataKeyWithoutPlaintext", "GenerateRandom", "Sign", "Verify",
      "GenerateMac", "VerifyMac", "GenerateDataKeyPair", "GenerateDataKeyPairWithoutPlaintext");

  private static final Set<String> READ_ONLY = Set.of("Encrypt", "Decrypt", "ReEncrypt",
      "GenerateDataKey", "GenerateDataKeyWithoutPlaintext", "GenerateRandom", "DescribeKey",
      "ListKeys", "ListAliases", "ListResourceTags", "GetKeyRotationStatus", "ListKeyRotations",
      "GetKeyPolicy", "ListKeyPolicies", "ListGrants", "ListRetirableGrants",
      "DescribeCustomKeyStores", "GetMetrics", "GetUsage", "ListAccessKeys", "Sign", "Verify",
      "GenerateMac", "VerifyMac", "GetPublicKey", "GenerateDataKeyPair",
      "GenerateDataKeyPairWithoutPlaintext", "GetCertificateChain");

  /** The data plane: CloudTrail's data events, as opposed to management events. */
  public static boolean isCryptographic(String operation) {
    return CRYPTOGRAPHIC.contains(operation);
  }

  /** Operations that change no state (CloudTrail's {@code readOnly}). */
  public static boolean isReadOnly(String operation) {
    return READ_ONLY.contains(operation);
  }
}
