package dev.coffer.jca.key;

import dev.coffer.protocol.WellFormedText;
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

  /**
   * The context {@code context}, copied.
   *
   * @throws IllegalArgumentException if a key or value holds an unpaired UTF-16 surrogate: the
   *     daemon refuses such text ({@code ValidationException}), since UTF-8 cannot carry it and
   *     it would otherwise collapse into another context (docs/protocol.md)
   */
  public static KmsEncryptionContextSpec of(Map<String, String> context) {
    String bad = WellFormedText.firstIllFormedPair(context);
    if (bad != null) {
      throw new IllegalArgumentException("encryption context pair " + WellFormedText.quote(bad)
          + " holds an unpaired UTF-16 surrogate; use well-formed text (a character above U+FFFF"
          + " is a high-low surrogate pair)");
    }
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
