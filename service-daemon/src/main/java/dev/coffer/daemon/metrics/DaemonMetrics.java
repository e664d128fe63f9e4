package dev.coffer.daemon.metrics;

import com.github.benmanes.caffeine.cache.stats.CacheStats;
import dev.coffer.daemon.ops.MetricsOperations;
import dev.coffer.daemon.ops.RequestObserver;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.datapoints.DistributionDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The daemon's live metrics, in one Prometheus registry ({@code docs/operations.md},
 * "Metrics"): what the request pipeline reports ({@link RequestObserver}), and gauges read at
 * scrape time from the key registry, the audit outbox, the backing-key cache and the doors'
 * connection counts. Served at {@code /metrics} by {@link MetricsServer}; the key gauges alone
 * are also written to {@code metrics.prom} ({@link #keyGaugesText}).
 *
 * <p>Label values come from closed sets (operations the daemon serves, AWS error names, key
 * states, key ids of this daemon), so no client can grow the registry with made-up values.
 */
public final class DaemonMetrics implements RequestObserver {

  /** Seconds: from half a millisecond (a cached Encrypt) to ten (a slow disk's fsync). */
  private static final double[] LATENCY_BUCKETS = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
      0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

  static final String KEYS = "coffer_keys";
  static final String EXPIRY = "coffer_imported_key_material_expiry_seconds";
  private static final Set<String> KEY_GAUGES = Set.of(KEYS, EXPIRY);

  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final Counter requests;
  private final Histogram requestSeconds;
  private final Histogram auditWriteSeconds;
  /** Door name (socket, https, http) to its open connections; doors join as they start. */
  private final Map<String, IntSupplier> doors = new ConcurrentSkipListMap<>();

  /**
   * @param keys keys per state and imported-material expiry
   * @param clock the daemon's clock, for seconds to expiry
   * @param auditOutbox audit records held in the database outbox, not yet in the log
   * @param backingKeyCache statistics of the cache of opened backing keys
   */
  public DaemonMetrics(MetricsOperations keys, Clock clock, LongSupplier auditOutbox,
      Supplier<CacheStats> backingKeyCache) {
    requests = Counter.builder().name("coffer_requests_total")
        .help("Requests answered, by operation and outcome (success or the AWS error name).")
        .labelNames("operation", "outcome").register(registry);
    requestSeconds = Histogram.builder().name("coffer_request_duration_seconds")
        .help("Time from receiving a request to its answer, seconds, by operation and outcome.")
        .labelNames("operation", "outcome").classicOnly().classicUpperBounds(LATENCY_BUCKETS)
        .register(registry);
    auditWriteSeconds = Histogram.builder().name("coffer_audit_write_duration_seconds")
        .help("Time to write one request's audit record (fsynced for management events),"
            + " seconds.")
        .classicOnly().classicUpperBounds(LATENCY_BUCKETS).register(registry);
    GaugeWithCallback.builder().name("coffer_audit_outbox_records")
        .help("Audit records committed with their change but not yet written to the audit log"
            + " (the backlog; non-zero for long means the log cannot be written).")
        .callback(cb -> cb.call(auditOutbox.getAsLong())).register(registry);
    GaugeWithCallback.builder().name(KEYS).help("KMS keys by key state.").labelNames("state")
        .callback(cb -> keys.keysByState().forEach((s, n) -> cb.call(n, s.name())))
        .register(registry);
    GaugeWithCallback.builder().name(EXPIRY)
        .help("Seconds until a key's imported key material expires (0 once expired).")
        .labelNames("key_id")
        .callback(cb -> {
          Instant now = clock.instant();
          keys.expiring().forEach(e -> cb.call(e.secondsLeft(now), e.keyId().toString()));
        })
        .register(registry);
    CounterWithCallback.builder().name("coffer_backing_key_cache_requests_total")
        .help("Look-ups of opened backing keys (the daemon has no data-key cache: every data"
            + " key is generated fresh), by result: hit, or miss (unwrapped from the store).")
        .labelNames("result")
        .callback(cb -> {
          CacheStats s = backingKeyCache.get();
          cb.call(s.hitCount(), "hit");
          cb.call(s.missCount(), "miss");
        })
        .register(registry);
    GaugeWithCallback.builder().name("coffer_connections")
        .help("Client connections open now, by door (socket, https, http).")
        .labelNames("door")
        .callback(cb -> doors.forEach((door, open) -> cb.call(open.getAsInt(), door)))
        .register(registry);
  }

  /** Counts the open connections of {@code door} ({@code socket}, {@code https}, {@code http}). */
  public void addDoor(String door, IntSupplier openConnections) {
    doors.put(door, openConnections);
  }

  /** The registry {@link MetricsServer} serves. */
  public PrometheusRegistry registry() {
    return registry;
  }

  /** The two data points one (operation, outcome) pair counts into. */
  private record RequestSeries(CounterDataPoint count, DistributionDataPoint seconds) {}

  /**
   * Operation to outcome to its series: looked up by the two strings, instead of the library's
   * per-call label list and its hash on every request (the pairs form closed sets, see the
   * class comment, so this map stays as small as the registry's own).
   */
  private final Map<String, Map<String, RequestSeries>> series = new ConcurrentHashMap<>();

  @Override
  public void requestAnswered(String operation, String outcome, long nanos) {
    RequestSeries s = series.computeIfAbsent(operation, o -> new ConcurrentHashMap<>())
        .computeIfAbsent(outcome, o -> new RequestSeries(requests.labelValues(operation, o),
            requestSeconds.labelValues(operation, o)));
    s.count().inc();
    s.seconds().observe(nanos / 1e9);
  }

  @Override
  public void auditWritten(long nanos) {
    auditWriteSeconds.observe(nanos / 1e9);
  }

  /**
   * The key gauges ({@code coffer_keys}, {@code coffer_imported_key_material_expiry_seconds})
   * in Prometheus text format, as {@code metrics.prom} holds them for a node_exporter textfile
   * collector (counts only: request metrics start from zero with each daemon and belong to a
   * scrape of {@code /metrics}).
   */
  public byte[] keyGaugesText() {
    MetricSnapshots gauges = registry.scrape(KEY_GAUGES::contains);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      PrometheusTextFormatWriter.create().write(out, gauges);
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a ByteArrayOutputStream does not fail
    }
    return out.toByteArray();
  }
}
