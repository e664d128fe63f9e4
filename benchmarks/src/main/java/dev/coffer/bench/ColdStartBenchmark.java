package dev.coffer.bench;

import dev.coffer.bench.support.AeadPeer;
import dev.coffer.bench.support.AeadPeer.Sealed;
import dev.coffer.bench.support.InProcessDaemon;
import dev.coffer.bench.support.Peers;
import dev.coffer.bench.support.Shows;
import java.io.IOException;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.BenchmarkParams;

/**
 * Large messages in a fresh JVM: the first 32 one-shot doFinal calls on 1 MiB, Coffer's
 * envelope against SunJCE AES-GCM, timed from the first 1 MiB call (one 1 KiB message before
 * it puts the data key in the cache).
 *
 * <p>Single-shot: {@code benchmarks/run.sh} runs this class on its own, with no warm-up
 * iteration and one measured call per fork (the profile's iterations would warm it). The
 * decrypt case's input is made by one 1 MiB encrypt in the set-up. Only Coffer's forks start
 * a daemon; SunJCE's JVM holds nothing of Coffer's, so it shows the JDK's own cold rate.
 */
@Shows("Large messages in a fresh JVM: the first 32 one-shot doFinal calls on 1 MiB, Coffer's "
    + "envelope against SunJCE AES-GCM, timed from the first 1 MiB call (one 1 KiB message before "
    + "it puts the data key in the cache).")
@State(Scope.Thread)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 3, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 0)
@Measurement(iterations = 1)
public class ColdStartBenchmark {

  static final int MESSAGE = 1 << 20;
  static final int MESSAGES = 32;

  @Param({Peers.COFFER, Peers.SUNJCE})
  public String provider;

  /** Bytes processed by one measured call (for the report's MB/s). */
  @Param({"33554432"})
  public int size;

  private InProcessDaemon daemon;
  private AeadPeer peer;
  private byte[] plaintext;
  private Sealed sealed;

  @Setup(Level.Trial)
  public void setUp(BenchmarkParams params) throws GeneralSecurityException, IOException {
    if (size != MESSAGE * MESSAGES) {
      throw new IllegalArgumentException("size is fixed at " + MESSAGE * MESSAGES);
    }
    if (provider.equals(Peers.COFFER)) {
      // Started here rather than injected, so that SunJCE's forks load no Coffer class at all
      // (Coffer's JIT warm-up would speed up SunJCE's AES-GCM in the same JVM too).
      daemon = new InProcessDaemon();
      daemon.start();
    }
    peer = Peers.create(provider, daemon);
    Peers.sealChecked(provider, peer, new byte[1024]); // puts the data key in the cache
    plaintext = Peers.message(MESSAGE);
    if (params.getBenchmark().endsWith(".decrypt")) {
      sealed = peer.encrypt(plaintext); // only the decrypt case pays this before its timing
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() throws IOException {
    if (daemon != null) {
      daemon.stop();
    }
  }

  @Benchmark
  public Sealed encrypt() throws GeneralSecurityException {
    Sealed last = null;
    for (int i = 0; i < MESSAGES; i++) {
      last = peer.encrypt(plaintext);
    }
    return last;
  }

  @Benchmark
  public byte[] decrypt() throws GeneralSecurityException {
    byte[] last = null;
    for (int i = 0; i < MESSAGES; i++) {
      last = peer.decrypt(sealed);
    }
    return last;
  }
}
