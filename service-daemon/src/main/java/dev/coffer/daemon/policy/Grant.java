package dev.coffer.daemon.policy;

import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * A grant: lets {@code grantee} perform {@code operations} on one key, optionally only with
 * encryption contexts that satisfy the constraints.
 *
 * @param contextEquals when non-null, the request's context must equal it exactly
 * @param contextSubset when non-null, the request's context must contain all of its pairs
 */
public record Grant(String grantId, UUID keyId, String name, String grantee,
    String retiringPrincipal, Set<String> operations, Map<String, String> contextEquals,
    Map<String, String> contextSubset, Instant creationDate, String token) {

  public static final Set<String> OPERATIONS = Set.of("Decrypt", "Encrypt", "GenerateDataKey",
      "GenerateDataKeyWithoutPlaintext", "ReEncryptFrom", "ReEncryptTo", "CreateGrant",
      "RetireGrant", "DescribeKey");

  /** True when the grant allows {@code operation} with this encryption context. */
  public boolean allows(String operation, Map<String, String> context) {
    if (!operations.contains(operation)) {
      return false;
    }
    if (contextEquals != null && !contextEquals.equals(context)) {
      return false;
    }
    if (contextSubset != null) {
      for (Map.Entry<String, String> e : contextSubset.entrySet()) {
        if (!e.getValue().equals(context.get(e.getKey()))) {
          return false;
        }
      }
    }
    return true;
  }
}
