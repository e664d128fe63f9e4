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
import java.util.EnumMap;
import java.util.Map;
import java.util.Set;

/**
 * What an operator watches: keys per state and, for every key with expiring imported material,
 * the seconds left. Served as the Coffer operation {@code GetMetrics} ({@code coffer metrics})
 * and written in Prometheus text format to {@code $COFFER_HOME/metrics.prom} for a
 * node_exporter textfile collector.
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

  ObjectNode snapshot() {
    Instant now = clock.instant();
    ObjectNode out = Json.object();
    Map<KeyState, Integer> byState = new EnumMap<>(KeyState.class);
    for (KeyState s : KeyState.values()) {
      byState.put(s, 0);
    }
    ArrayNode expiring = Json.MAPPER.createArrayNode();
    for (KeyRecord k : registry.all()) {
      byState.merge(k.state(), 1, Integer::sum);
      if (k.validTo() != null) {
        expiring.addObject().put("KeyId", k.id().toString()).put("Arn", resolver.keyArn(k.id()))
            .put("ValidTo", Responses.epochSeconds(k.validTo()))
            .put("SecondsUntilExpiry",
                Math.max(0, Duration.between(now, k.validTo()).toSeconds()));
      }
    }
    ObjectNode states = out.putObject("KeysByState");
    byState.forEach((s, n) -> states.put(s.name(), n));
    out.put("KeyCount", registry.count());
    out.set("ImportedKeyMaterialExpiry", expiring);
    return out;
  }

  /** The same figures in Prometheus text exposition format. */
  public String prometheus() {
    ObjectNode m = snapshot();
    StringBuilder b = new StringBuilder();
    b.append("# HELP coffer_keys KMS keys by key state.\n# TYPE coffer_keys gauge\n");
    m.get("KeysByState").fields().forEachRemaining(e ->
        b.append("coffer_keys{state=\"").append(e.getKey()).append("\"} ")
            .append(e.getValue().asInt()).append('\n'));
    b.append("# HELP coffer_imported_key_material_expiry_seconds Seconds until imported key"
        + " material expires.\n# TYPE coffer_imported_key_material_expiry_seconds gauge\n");
    m.get("ImportedKeyMaterialExpiry").forEach(e ->
        b.append("coffer_imported_key_material_expiry_seconds{key_id=\"")
            .append(e.get("KeyId").asText()).append("\"} ")
            .append(e.get("SecondsUntilExpiry").asLong()).append('\n'));
    return b.toString();
  }
}
