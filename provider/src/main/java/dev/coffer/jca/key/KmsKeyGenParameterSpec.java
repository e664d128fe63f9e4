package dev.coffer.jca.key;

import java.security.spec.AlgorithmParameterSpec;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * What {@code KeyGenerator.getInstance("KMS")} (or {@code "AES"} under Coffer) creates: a
 * description, an optional alias that will point at the new key, and tags. Immutable; build with
 * {@link #builder()}. {@code init(256)} alone uses {@link #defaults()}.
 *
 * <p>{@code KeyPairGenerator} {@code EC}/{@code RSA} under Coffer takes it too, after the curve
 * or size ({@code initialize(spec)} keeps the key spec chosen before): there {@link #keyUsage()}
 * chooses {@code SIGN_VERIFY} (the default) or, for RSA, {@code ENCRYPT_DECRYPT}.
 */
public final class KmsKeyGenParameterSpec implements AlgorithmParameterSpec {

  private static final KmsKeyGenParameterSpec DEFAULTS = builder().build();

  private final String description;
  private final String alias;
  private final Map<String, String> tags;
  private final String keyUsage;

  private KmsKeyGenParameterSpec(Builder b) {
    this.keyUsage = b.keyUsage;
    this.description = b.description;
    this.alias = b.alias;
    this.tags = Map.copyOf(b.tags);
  }

  public static KmsKeyGenParameterSpec defaults() {
    return DEFAULTS;
  }

  public static Builder builder() {
    return new Builder();
  }

  public String description() {
    return description;
  }

  /** The alias to create for the new key, or null. */
  public String alias() {
    return alias;
  }

  public Map<String, String> tags() {
    return tags;
  }

  /** The AWS {@code KeyUsage} for the new key, or null for the key spec's default. */
  public String keyUsage() {
    return keyUsage;
  }

  /** Builder; checks happen here so a built spec is always well formed. */
  public static final class Builder {
    private String description = "";
    private String alias;
    private final Map<String, String> tags = new LinkedHashMap<>();
    private String keyUsage;

    private Builder() {}

    /**
     * The AWS {@code KeyUsage}: {@code ENCRYPT_DECRYPT}, {@code SIGN_VERIFY} or {@code
     * GENERATE_VERIFY_MAC}; the daemon refuses a usage the key spec does not allow ({@code
     * ValidationException}).
     */
    public Builder keyUsage(String keyUsage) {
      if (!java.util.Set.of("ENCRYPT_DECRYPT", "SIGN_VERIFY", "GENERATE_VERIFY_MAC")
          .contains(keyUsage)) {
        throw new IllegalArgumentException("KeyUsage is ENCRYPT_DECRYPT, SIGN_VERIFY or"
            + " GENERATE_VERIFY_MAC, not " + keyUsage);
      }
      this.keyUsage = keyUsage;
      return this;
    }

    public Builder description(String description) {
      this.description = Objects.requireNonNull(description, "description");
      return this;
    }

    /** An alias name of the form {@code alias/name}. */
    public Builder alias(String alias) {
      if (alias == null || !alias.startsWith("alias/") || alias.length() == "alias/".length()) {
        throw new IllegalArgumentException("an alias name looks like alias/name");
      }
      this.alias = alias;
      return this;
    }

    public Builder tag(String key, String value) {
      tags.put(Objects.requireNonNull(key, "tag key"), Objects.requireNonNull(value, "tag value"));
      return this;
    }

    public KmsKeyGenParameterSpec build() {
      return new KmsKeyGenParameterSpec(this);
    }
  }
}
