package dev.coffer.jca.key;

import java.security.spec.AlgorithmParameterSpec;
import java.util.Map;
import java.util.TreeMap;

/**
 * The AWS KMS encryption context for {@code Cipher.getInstance("KMS")}: a string map bound to the
 * ciphertext as authenticated data. Decryption must present exactly the same map (order free,
 * case-sensitive). The context is not secret; it is logged in the daemon's audit trail.
 */
public final class KmsEncryptionContextSpec implements AlgorithmParameterSpec {

  private static final KmsEncryptionContextSpec EMPTY = new KmsEncryptionContextSpec(Map.of());

  private final Map<String, String> context;

  private KmsEncryptionContextSpec(Map<String, String> context) {
    this.context = context;
  }

  public static KmsEncryptionContextSpec empty() {
    return EMPTY;
  }

  public static KmsEncryptionContextSpec of(Map<String, String> context) {
    return new KmsEncryptionContextSpec(
        java.util.Collections.unmodifiableMap(new TreeMap<>(Map.copyOf(context))));
  }

  /** The pairs, sorted by key. */
  public Map<String, String> context() {
    return context;
  }

  @Override
  public String toString() {
    return "KmsEncryptionContextSpec" + context;
  }
}
