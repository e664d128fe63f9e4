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
      "RetireGrant", "DescribeKey", "Sign", "Verify", "GetPublicKey", "GenerateMac", "VerifyMac",
      "GenerateDataKeyPair", "GenerateDataKeyPairWithoutPlaintext");

  /**
   * True when the grant allows {@code operation} with this encryption context.
   *
   * <p>As in AWS (API reference, GrantConstraints), a constraint's keys match the request's keys
   * ignoring case and its values match exactly. When the request holds several keys that differ
   * only by case, every one of them must carry the constraint's value: a grant only ever allows,
   * so an ambiguous context must not widen what it allows.
   */
  public boolean allows(String operation, Map<String, String> context) {
    if (!operations.contains(operation)) {
      return false;
    }
    if (contextEquals != null) {
      // Every request pair is named by the constraint, and every constraint pair is present.
      for (Map.Entry<String, String> e : context.entrySet()) {
        if (!hasPairIgnoringKeyCase(contextEquals, e.getKey(), e.getValue())) {
          return false;
        }
      }
      if (!containsAll(context, contextEquals)) {
        return false;
      }
    }
    return contextSubset == null || containsAll(context, contextSubset);
  }

  /**
   * Whether each pair of {@code required} is in {@code context}: its key present ignoring case,
   * and every request key that matches it ignoring case carrying exactly its value.
   */
  private static boolean containsAll(Map<String, String> context, Map<String, String> required) {
    for (Map.Entry<String, String> r : required.entrySet()) {
      boolean found = false;
      for (Map.Entry<String, String> e : context.entrySet()) {
        if (e.getKey().equalsIgnoreCase(r.getKey())) {
          if (!e.getValue().equals(r.getValue())) {
            return false;
          }
          found = true;
        }
      }
      if (!found) {
        return false;
      }
    }
    return true;
  }

  private static boolean hasPairIgnoringKeyCase(Map<String, String> pairs, String key,
      String value) {
    for (Map.Entry<String, String> p : pairs.entrySet()) {
      if (p.getKey().equalsIgnoreCase(key) && p.getValue().equals(value)) {
        return true;
      }
    }
    return false;
  }
}
