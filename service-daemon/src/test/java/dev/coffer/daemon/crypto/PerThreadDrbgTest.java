package dev.coffer.daemon.crypto;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

class PerThreadDrbgTest {

  @Test
  void eachThreadDrawsFromItsOwnDrbg_andNoTwoDrawsRepeat() throws Exception {
    PerThreadDrbg random = new PerThreadDrbg();
    assertEquals("DRBG", random.getAlgorithm());
    Set<String> seen = ConcurrentHashMap.newKeySet();
    Thread[] threads = new Thread[4];
    for (int t = 0; t < threads.length; t++) {
      threads[t] = new Thread(() -> {
        for (int i = 0; i < 2_000; i++) {
          byte[] b = new byte[16];
          random.nextBytes(b);
          seen.add(java.util.HexFormat.of().formatHex(b));
        }
      });
      threads[t].start();
    }
    for (Thread t : threads) {
      t.join();
    }
    // Separately seeded instances: 8,000 draws of 128 bits, all distinct.
    assertEquals(8_000, seen.size());
  }

  @Test
  void seedingAddsToTheDrbg_andNeverMakesItRepeatable() {
    PerThreadDrbg a = new PerThreadDrbg();
    PerThreadDrbg b = new PerThreadDrbg();
    a.setSeed(42L);
    b.setSeed(42L);
    byte[] x = new byte[32];
    byte[] y = new byte[32];
    a.nextBytes(x);
    b.nextBytes(y);
    assertNotEquals(java.util.HexFormat.of().formatHex(x), java.util.HexFormat.of().formatHex(y));
    Set<Integer> ints = new HashSet<>();
    for (int i = 0; i < 100; i++) {
      ints.add(a.nextInt());
    }
    assertFalse(ints.size() < 95, "nextInt draws from the DRBG too");
  }
}
