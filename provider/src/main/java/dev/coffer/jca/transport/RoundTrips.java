package dev.coffer.jca.transport;

import java.util.concurrent.atomic.AtomicLong;

/** The JVM-wide count of requests the provider sent to a daemon, by any transport. */
public final class RoundTrips {
  private static final AtomicLong COUNT = new AtomicLong();

  private RoundTrips() {}

  /** Counts one request. */
  public static void increment() {
    COUNT.incrementAndGet();
  }

  static long count() {
    return COUNT.get();
  }
}
