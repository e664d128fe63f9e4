package dev.coffer.jca.spi;

import java.util.Arrays;
import javax.crypto.ShortBufferException;

/** The output-buffer form of {@code CipherSpi.engineDoFinal} for SPIs that answer whole arrays. */
final class CipherOutput {
  private CipherOutput() {}

  /**
   * Copies {@code result} into {@code output} at {@code outOff} and zeroes {@code result}, which
   * may be plaintext, whether or not it fits.
   *
   * @return the bytes copied
   * @throws ShortBufferException if {@code output} has fewer than {@code result.length} bytes
   *     from {@code outOff} (the {@code Cipher.doFinal(byte[], int, int, byte[], int)} contract)
   */
  static int copyAndZero(byte[] result, byte[] output, int outOff) throws ShortBufferException {
    try {
      if (output == null || output.length - outOff < result.length) {
        throw new ShortBufferException("output buffer too short: need " + result.length);
      }
      System.arraycopy(result, 0, output, outOff, result.length);
      return result.length;
    } finally {
      Arrays.fill(result, (byte) 0);
    }
  }
}
