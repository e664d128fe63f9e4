package dev.coffer.daemon.crypto;

import java.security.MessageDigest;
import java.util.Arrays;

/** Small helpers for secret byte arrays. */
public final class Bytes {
  private Bytes() {}

  /** Overwrites a buffer that held secret bytes; null-safe. */
  public static void zero(byte[] b) {
    if (b != null) {
      Arrays.fill(b, (byte) 0);
    }
  }

  /** Constant-time equality (for secrets; the length is not secret). */
  public static boolean equal(byte[] a, byte[] b) {
    return MessageDigest.isEqual(a, b);
  }
}
