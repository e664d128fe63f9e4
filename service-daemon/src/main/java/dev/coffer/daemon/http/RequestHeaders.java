package dev.coffer.daemon.http;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * HTTP request headers as received: names compared without regard to case (RFC 9110 §5.1), each
 * name mapped to its values in arrival order. Immutable.
 *
 * <p>Names are stored lower-cased, the form SigV4's canonical headers use. Values are kept
 * exactly as received (no trimming): canonicalisation is the verifier's job.
 */
public final class RequestHeaders {

  private final Map<String, List<String>> byName;

  private RequestHeaders(Map<String, List<String>> byName) {
    this.byName = byName;
  }

  /** A builder; {@link Builder#add} may be called several times for one name. */
  public static Builder builder() {
    return new Builder();
  }

  /** All values of {@code name} in arrival order; empty when the header is absent. */
  public List<String> all(String name) {
    List<String> values = byName.get(name.toLowerCase(Locale.ROOT));
    return values == null ? List.of() : values;
  }

  /** The first value of {@code name}, if present. */
  public Optional<String> first(String name) {
    List<String> values = all(name);
    return values.isEmpty() ? Optional.empty() : Optional.of(values.get(0));
  }

  /** Whether {@code name} appears at least once. */
  public boolean contains(String name) {
    return byName.containsKey(name.toLowerCase(Locale.ROOT));
  }

  /** Lower-cased header names in ascending order. */
  public List<String> names() {
    return List.copyOf(byName.keySet());
  }

  /** Accumulates headers; not thread-safe. */
  public static final class Builder {
    private final TreeMap<String, List<String>> byName = new TreeMap<>();

    private Builder() {}

    public Builder add(String name, String value) {
      byName.computeIfAbsent(name.toLowerCase(Locale.ROOT), n -> new ArrayList<>()).add(value);
      return this;
    }

    public RequestHeaders build() {
      TreeMap<String, List<String>> copy = new TreeMap<>();
      byName.forEach((name, values) -> copy.put(name, List.copyOf(values)));
      return new RequestHeaders(Collections.unmodifiableMap(copy));
    }
  }
}
