package dev.coffer.jca;

import java.util.Random;

/** Test inputs. */
public final class TestData {
  private TestData() {}

  /** {@code n} pseudo-random bytes, the same for the same {@code n} (seeded with it). */
  public static byte[] data(int n) {
    byte[] b = new byte[n];
    new Random(n).nextBytes(b);
    return b;
  }
}
