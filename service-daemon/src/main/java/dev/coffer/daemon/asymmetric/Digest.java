package dev.coffer.daemon.asymmetric;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** The SHA-2 digests of the signing and MAC algorithms, with their output lengths in bytes. */
public enum Digest {
  SHA_224("SHA-224", 28),
  SHA_256("SHA-256", 32),
  SHA_384("SHA-384", 48),
  SHA_512("SHA-512", 64);

  private final String jcaName;
  private final int length;

  Digest(String jcaName, int length) {
    this.jcaName = jcaName;
    this.length = length;
  }

  /** The JCA {@link MessageDigest} name. */
  public String jcaName() {
    return jcaName;
  }

  /** Output length in bytes. */
  public int length() {
    return length;
  }

  public byte[] digest(byte[] message) {
    try {
      return MessageDigest.getInstance(jcaName).digest(message);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(jcaName + " is missing from this JDK", e);
    }
  }
}
