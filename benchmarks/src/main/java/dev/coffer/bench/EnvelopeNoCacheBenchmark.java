package dev.coffer.bench;

import dev.coffer.bench.support.AeadPeer;
import dev.coffer.bench.support.AeadPeer.Sealed;
import dev.coffer.bench.support.DaemonRoundTrips;
import dev.coffer.bench.support.InProcessDaemon;
import dev.coffer.bench.support.Peers;
import dev.coffer.bench.support.Shows;
import dev.coffer.jca.core.CofferStats;
import java.security.GeneralSecurityException;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The price of no caching: envelope AES-GCM with the data-key cache disabled, every message one
 * GenerateDataKey or Decrypt round trip to the daemon.
 */
@Shows(value = "The price of no caching: envelope AES-GCM with the data-key cache disabled, every message "
    + "one GenerateDataKey or Decrypt round trip to the daemon.", baseline = Peers.COFFER)
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
// The provider reads the property when it first encrypts, so it must be set at JVM start.
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-Dcoffer.cache.enabled=false"})
public class EnvelopeNoCacheBenchmark {

  @Param({Peers.COFFER_NO_CACHE})
  public String provider;

  @Param({"1024", "65536", "1048576"})
  public int size;

  private AeadPeer peer;
  private byte[] plaintext;
  private Sealed sealed;

  @Setup(Level.Trial)
  public void setUp(InProcessDaemon daemon) throws GeneralSecurityException {
    peer = Peers.create(provider, daemon);
    plaintext = Peers.message(size);
    sealed = Peers.sealChecked(provider, peer, plaintext);
    long before = CofferStats.daemonRoundTrips();
    peer.decrypt(sealed);
    peer.encrypt(plaintext);
    // Witness that the cache really is off: one decrypt and one encrypt, two round trips.
    long trips = CofferStats.daemonRoundTrips() - before;
    if (trips < 2) {
      throw new IllegalStateException("the data-key cache is still on: " + trips
          + " daemon round trip(s) for one encrypt and one decrypt");
    }
  }

  @Benchmark
  public Sealed encrypt(DaemonRoundTrips trips) throws GeneralSecurityException {
    Sealed s = peer.encrypt(plaintext);
    trips.count();
    return s;
  }

  @Benchmark
  public byte[] decrypt(DaemonRoundTrips trips) throws GeneralSecurityException {
    byte[] p = peer.decrypt(sealed);
    trips.count();
    return p;
  }
}
