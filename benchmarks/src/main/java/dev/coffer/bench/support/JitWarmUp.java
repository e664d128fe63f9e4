package dev.coffer.bench.support;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Runs a benchmark's call on its client threads until its rate has stopped climbing, before
 * JMH's own warm-up, so that the measured iterations see the code the JIT compiler made of the
 * call rather than the compiler at work.
 *
 * <p>Why: a call that crosses the AWS SDK v2, the Apache HTTP client, JSSE's TLS, Jetty and the
 * daemon touches about ten thousand methods. Measured on the shared 2-core machine (JFR {@code
 * jdk.CompilerStatistics}, {@code HttpsEncryptBenchmark.httpsEcho_4threads}): the compiler
 * threads were busy for the whole first 30 s of the fork (about one second of compilation per
 * wall-clock second, 2,200 to 10,100 methods compiled) and the rate climbed with them, 430 to
 * 3,100 ops/s over 25 one-second iterations. The profiles' warm-up (2 x 1 s, or 3 x 2 s) ended
 * on that slope, so each row reported how far the JIT had got (errors larger than the scores),
 * not the endpoint.
 *
 * <p>Stopped climbing means: at least {@link #MIN_CALLS} calls (HotSpot compiles a method with
 * C2 once it has run about 5,000 to 15,000 times, {@code Tier4InvocationThreshold} and {@code
 * Tier4CompileThreshold}, and most of the path runs once per call), and then the best rate of
 * the last {@link #PLATEAU_WINDOWS} windows of {@link #WINDOW_MS} ms at most {@link
 * #PLATEAU_GAIN} above the best rate before them; {@link #MAX_SECONDS} s at most. (Two simpler
 * rules failed on the loaded machine: a quiet-JIT rule, compilation time per window, never
 * settled, as compiler threads waiting for a core count their waiting as compilation; a short
 * plateau stopped on noise after 2,500 calls, with the rate still rising.)
 */
public final class JitWarmUp {
  private JitWarmUp() {}

  static final long WINDOW_MS = 2_000;
  static final int PLATEAU_WINDOWS = 4;
  static final double PLATEAU_GAIN = 0.05;
  static final long MIN_CALLS = 20_000;
  static final int MAX_SECONDS = 90;

  /**
   * Calls {@code call} on {@code threads} threads until its rate stops climbing; prints what it
   * did.
   *
   * @param what names the warmed path in the printed line
   * @throws Exception the first failure of {@code call}
   */
  public static void untilSteady(String what, int threads, Callable<?> call) throws Exception {
    CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
    AtomicBoolean stop = new AtomicBoolean();
    AtomicLong calls = new AtomicLong();
    AtomicReference<Exception> failure = new AtomicReference<>();
    List<Thread> running = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      Thread thread = new Thread(() -> {
        try {
          while (!stop.get()) {
            call.call();
            calls.incrementAndGet();
          }
        } catch (Exception e) {
          failure.compareAndSet(null, e);
          stop.set(true);
        }
      }, "jit-warm-up-" + t);
      thread.start();
      running.add(thread);
    }
    long start = System.nanoTime();
    long jitAtStart = jit.getTotalCompilationTime();
    List<Double> rates = new ArrayList<>();
    long lastCalls = 0;
    long elapsed = 0;
    boolean steady = false;
    while (!stop.get() && elapsed < TimeUnit.SECONDS.toMillis(MAX_SECONDS)) {
      Thread.sleep(WINDOW_MS);
      long n = calls.get();
      rates.add((n - lastCalls) * 1000.0 / WINDOW_MS);
      lastCalls = n;
      elapsed = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      int k = rates.size();
      if (n >= MIN_CALLS && k > PLATEAU_WINDOWS) {
        double recent = rates.subList(k - PLATEAU_WINDOWS, k).stream()
            .mapToDouble(Double::doubleValue).max().orElseThrow();
        double before = rates.subList(0, k - PLATEAU_WINDOWS).stream()
            .mapToDouble(Double::doubleValue).max().orElseThrow();
        if (recent <= before * (1 + PLATEAU_GAIN)) {
          steady = true;
          break;
        }
      }
    }
    stop.set(true);
    for (Thread thread : running) {
      thread.join();
    }
    if (failure.get() != null) {
      throw failure.get();
    }
    System.out.printf("JIT warm-up of %s on %d threads: %.1f s, %d calls, %.1f s of compilation;"
        + " rate per %d ms window %s%s%n", what, threads, elapsed / 1000.0, calls.get(),
        (jit.getTotalCompilationTime() - jitAtStart) / 1000.0, WINDOW_MS,
        rates.stream().map(r -> Long.toString(Math.round(r))).toList(),
        steady ? "" : " (still climbing at the limit)");
  }
}
