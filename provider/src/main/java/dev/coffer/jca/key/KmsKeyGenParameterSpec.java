package dev.coffer.jca.key;

import java.security.spec.AlgorithmParameterSpec;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * What {@code KeyGenerator.getInstance("KMS")} (or {@code "AES"} under Coffer) creates: a
 * description, an optional alias that will point at the new key, and tags. Immutable; build with
 * {@link #builder()}. {@code init(256)} alone uses {@link #defaults()}.
 */
public final class KmsKeyGenParameterSpec implements AlgorithmParameterSpec {

  private static final KmsKeyGenParameterSpec DEFAULTS = builder().build();

  private final String description;
  private final String alias;
  private final Map<String, String> tags;

  private KmsKeyGenParameterSpec(Builder b) {
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

  /** Builder; checks happen here so a built spec is always well formed. */
  public static final class Builder {
    private String description = "";
    private String alias;
    private final Map<String, String> tags = new LinkedHashMap<>();

    private Builder() {}

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
