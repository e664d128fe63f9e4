package dev.coffer.bench.support;

import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Brings the in-process daemon to the state of one that has been serving for a while: four
 * client threads run Encrypt and Decrypt for {@link #SECONDS} seconds before JMH's own warm-up.
 *
 * <p>Why: the daemon shares the benchmark's JVM, and with eight busy threads on two cores the
 * JIT compiler threads get little CPU. Measured at `dae60b2`, 4-thread Encrypt climbs from 7k
 * to 19k ops/s over its first seven seconds and then jumps to a steady 47-51k ops/s; the short
 * profile's two one-second warm-up iterations would report the climb, not the daemon.
 */
@State(Scope.Benchmark)
public class WarmDaemon {

  public static final int SECONDS = 8;
  private static final int THREADS = 4;

  @Setup(Level.Trial)
  public void warm(InProcessDaemon daemon) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(SECONDS);
    AtomicReference<Exception> failure = new AtomicReference<>();
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < THREADS; t++) {
      Thread thread = new Thread(() -> {
        try {
          KmsCipherPeer peer = new KmsCipherPeer(daemon.kmsKey());
          byte[] plaintext = new byte[1024];
          while (System.nanoTime() < deadline) {
            if (!Arrays.equals(plaintext, peer.decrypt(peer.encrypt(plaintext)))) {
              throw new GeneralSecurityException("Cipher KMS does not round-trip");
            }
          }
        } catch (Exception e) {
          failure.compareAndSet(null, e);
        }
      }, "daemon-warm-up-" + t);
      thread.start();
      threads.add(thread);
    }
    for (Thread thread : threads) {
      thread.join();
    }
    if (failure.get() != null) {
      throw failure.get();
    }
  }
}
