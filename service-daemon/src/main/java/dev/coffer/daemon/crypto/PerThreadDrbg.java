package dev.coffer.daemon.crypto;

import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.security.SecureRandomParameters;

/**
 * The daemon's random source: one NIST SP 800-90A DRBG instance ({@code SecureRandom
 * "DRBG"}, the JDK's default Hash_DRBG with SHA-256) per thread, each seeded separately from the
 * platform's entropy source. One shared instance serialises every request's IVs, nonces and data
 * keys on its lock (the JDK's DRBG is synchronized); SP 800-90A allows any number of
 * instantiations, and one per connection thread removes the queue.
 *
 * <p>Seeding by callers is not offered: {@link #setSeed} only adds to the calling thread's
 * instance, as for the JDK's DRBG.
 */
public final class PerThreadDrbg extends SecureRandom {

  private static final long serialVersionUID = 1L;

  private final transient ThreadLocal<SecureRandom> instances =
      ThreadLocal.withInitial(PerThreadDrbg::newInstance);

  public PerThreadDrbg() {
    super(new byte[0]); // the base class's own generator is never used
  }

  private static SecureRandom newInstance() {
    try {
      return SecureRandom.getInstance("DRBG");
    } catch (NoSuchAlgorithmException e) {
      return new SecureRandom();
    }
  }

  @Override
  public String getAlgorithm() {
    return instances.get().getAlgorithm();
  }

  @Override
  public void nextBytes(byte[] bytes) {
    instances.get().nextBytes(bytes);
  }

  @Override
  public void nextBytes(byte[] bytes, SecureRandomParameters params) {
    instances.get().nextBytes(bytes, params);
  }

  @Override
  public byte[] generateSeed(int numBytes) {
    return instances.get().generateSeed(numBytes);
  }

  @Override
  public void setSeed(byte[] seed) {
    // Called by the base constructor before the field is set: nothing to add to then.
    if (instances != null) {
      instances.get().setSeed(seed);
    }
  }

  @Override
  public void setSeed(long seed) {
    if (instances != null) {
      instances.get().setSeed(seed);
    }
  }

  @Override
  public void reseed() {
    instances.get().reseed();
  }

  @Override
  public String toString() {
    return "PerThreadDrbg";
  }
}
