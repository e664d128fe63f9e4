package dev.coffer.jca.core;

import dev.coffer.jca.transport.KmsTransport;

/** Counters an operator or a test can read without JMX. */
public final class CofferStats {
  private CofferStats() {}

  /** Requests this JVM's provider has sent to any Coffer daemon (cache hits send none). */
  public static long daemonRoundTrips() {
    return KmsTransport.roundTrips();
  }
}
