package dev.coffer.jca.spi;

import dev.coffer.jca.core.JcaErrors;
import dev.coffer.jca.core.KmsService;
import dev.coffer.protocol.KmsException;
import java.security.SecureRandomSpi;
import java.util.Arrays;

/**
 * {@code SecureRandom KMS}: bytes from the daemon's {@code GenerateRandom} (its HSM or its
 * DRBG), fetched 1024 at a time and handed out once each; used bytes are zeroed. Seeding is
 * ignored (the daemon's generator cannot be seeded from outside), which the SecureRandom contract
 * allows since it never reduces randomness.
 */
public final class KmsSecureRandomSpi extends SecureRandomSpi {
  private static final long serialVersionUID = 1L;
  private static final int CHUNK = 1024;

  private final transient byte[] pool = new byte[CHUNK];
  private transient int available;

  @Override
  protected void engineSetSeed(byte[] seed) {
    // Deliberately ignored; see class comment.
  }

  @Override
  protected synchronized void engineNextBytes(byte[] bytes) {
    int off = 0;
    while (off < bytes.length) {
      if (available == 0) {
        refill();
      }
      int n = Math.min(available, bytes.length - off);
      int from = CHUNK - available;
      System.arraycopy(pool, from, bytes, off, n);
      Arrays.fill(pool, from, from + n, (byte) 0);
      available -= n;
      off += n;
    }
  }

  @Override
  protected byte[] engineGenerateSeed(int numBytes) {
    byte[] out = new byte[numBytes];
    engineNextBytes(out);
    return out;
  }

  private void refill() {
    byte[] fresh;
    try {
      fresh = KmsService.forSocket(null).generateRandom(CHUNK);
    } catch (KmsException e) {
      throw JcaErrors.provider(e);
    }
    if (fresh.length != CHUNK) {
      throw new java.security.ProviderException("GenerateRandom returned a short answer");
    }
    System.arraycopy(fresh, 0, pool, 0, CHUNK);
    Arrays.fill(fresh, (byte) 0);
    available = CHUNK;
  }
}
