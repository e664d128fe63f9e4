package dev.coffer.bench;

import dev.coffer.bench.support.AeadPeer;
import dev.coffer.bench.support.AeadPeer.Sealed;
import dev.coffer.bench.support.DaemonRoundTrips;
import dev.coffer.bench.support.InProcessDaemon;
import dev.coffer.bench.support.Peers;
import dev.coffer.bench.support.Shows;
import java.security.GeneralSecurityException;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Envelope AES-GCM with a KMS handle (data-key cache warm) against SunJCE with a plain key, the
 * same SunJCE behind a provider that only forwards (the floor of any provider built on SunJCE),
 * Tink KmsEnvelopeAead and the AWS Encryption SDK.
 */
@Shows("Envelope AES-GCM with a KMS handle (data-key cache warm) against SunJCE with a plain key, "
    + "SunJCE behind a provider that only forwards (PassThrough: the floor of any provider built "
    + "on SunJCE), Tink KmsEnvelopeAead and the AWS Encryption SDK.")
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class EnvelopeCipherBenchmark {

  @Param({Peers.COFFER, Peers.SUNJCE, Peers.PASS_THROUGH, Peers.TINK, Peers.AWS_ESDK, Peers.AWS_ESDK_UNSIGNED})
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
    sealed = Peers.sealChecked(provider, peer, plaintext); // warms the data-key caches
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
