package dev.coffer.daemon.ops;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.daemon.keys.KeyRecord;
import dev.coffer.daemon.keys.KeyRegistry;
import dev.coffer.daemon.keys.KeyResolver;
import dev.coffer.daemon.keys.KeyState;
import dev.coffer.protocol.Json;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * What an operator watches: keys per state and, for every key with expiring imported material,
 * the seconds left. Served as the Coffer operation {@code GetMetrics} ({@code coffer metrics});
 * the same figures are gauges of {@code dev.coffer.daemon.metrics.DaemonMetrics} (the {@code
 * /metrics} endpoint and {@code $COFFER_HOME/metrics.prom}).
 */
public final class MetricsOperations {

  private final KeyRegistry registry;
  private final KeyResolver resolver;
  private final Clock clock;

  MetricsOperations(KeyRegistry registry, KeyResolver resolver, Clock clock) {
    this.registry = registry;
    this.resolver = resolver;
    this.clock = clock;
  }

  void register(OperationTable table) {
    table.register("GetMetrics", Set.of(), (caller, in) -> snapshot());
  }

  /**
   * Imported material that expires, per key: the key's earliest {@code ValidTo}.
   *
   * @param keyId the key
   * @param arn its ARN
   * @param validTo when its first imported material expires
   */
  public record Expiry(UUID keyId, String arn, Instant validTo) {

    /** Seconds from {@code now} to {@link #validTo}; 0 once it has passed. */
    public long secondsLeft(Instant now) {
      return Math.max(0, Duration.between(now, validTo).toSeconds());
    }
  }

  /** KMS keys per key state, every state present (0 for none). */
  public Map<KeyState, Integer> keysByState() {
    Map<KeyState, Integer> byState = new EnumMap<>(KeyState.class);
    for (KeyState s : KeyState.values()) {
      byState.put(s, 0);
    }
    for (KeyRecord k : registry.all()) {
      byState.merge(k.state(), 1, Integer::sum);
    }
    return byState;
  }

  /** Every key whose imported material expires, in the registry's order. */
  public List<Expiry> expiring() {
    List<Expiry> out = new ArrayList<>();
    for (KeyRecord k : registry.all()) {
      if (k.validTo() != null) {
        out.add(new Expiry(k.id(), resolver.keyArn(k.id()), k.validTo()));
      }
    }
    return out;
  }

  ObjectNode snapshot() {
    Instant now = clock.instant();
    ObjectNode out = Json.object();
    ArrayNode expiring = Json.MAPPER.createArrayNode();
    for (Expiry e : expiring()) {
      expiring.addObject().put("KeyId", e.keyId().toString()).put("Arn", e.arn())
          .put("ValidTo", Responses.epochSeconds(e.validTo()))
          .put("SecondsUntilExpiry", e.secondsLeft(now));
    }
    ObjectNode states = out.putObject("KeysByState");
    keysByState().forEach((s, n) -> states.put(s.name(), n));
    out.put("KeyCount", registry.count());
    out.set("ImportedKeyMaterialExpiry", expiring);
    return out;
  }
}
