package dev.coffer.bench.support;

import dev.coffer.jca.core.CofferStats;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Counts the provider's daemon round trips beside a benchmark's operations, so the report can
 * show round trips per message: 0 for a message whose data key the cache held, 1 without the
 * cache. JMH reports the counter as a rate; {@code ResultsReport} divides it by the score.
 */
@State(Scope.Thread)
@AuxCounters(AuxCounters.Type.OPERATIONS)
public class DaemonRoundTrips {

  /** JMH names the secondary metric after this field: {@code ResultsReport.ROUND_TRIPS}. */
  public long daemonRoundTrips;
  private long seen;

  @Setup(Level.Iteration)
  public void start() {
    daemonRoundTrips = 0;
    seen = CofferStats.daemonRoundTrips();
  }

  /** Adds the round trips made since the last call (by this JVM's provider: one thread runs). */
  public void count() {
    long now = CofferStats.daemonRoundTrips();
    daemonRoundTrips += now - seen;
    seen = now;
  }
}
