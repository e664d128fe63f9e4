package dev.coffer.daemon.asymmetric;

import dev.coffer.protocol.ErrorType;
import dev.coffer.protocol.KmsException;

/**
 * The KMS MAC algorithms ({@code MacAlgorithmSpec}): HMAC (RFC 2104) with a SHA-2 digest. An
 * HMAC key supports exactly the algorithm of its spec's size (KMS Developer Guide, "HMAC key
 * specs").
 */
public enum MacAlgorithm {
  HMAC_SHA_224("HmacSHA224", Digest.SHA_224),
  HMAC_SHA_256("HmacSHA256", Digest.SHA_256),
  HMAC_SHA_384("HmacSHA384", Digest.SHA_384),
  HMAC_SHA_512("HmacSHA512", Digest.SHA_512);

  private final String jcaName;
  private final Digest digest;

  MacAlgorithm(String jcaName, Digest digest) {
    this.jcaName = jcaName;
    this.digest = digest;
  }

  /** The JCA {@code Mac} name. */
  public String jcaName() {
    return jcaName;
  }

  public Digest digest() {
    return digest;
  }

  /**
   * The algorithm named {@code name} if the key's spec allows it, else {@code
   * InvalidKeyUsageException} naming the one it allows.
   */
  public static MacAlgorithm forKey(String name, KmsKeySpec spec) {
    MacAlgorithm allowed = spec.macAlgorithm();
    if (allowed != null && allowed.name().equals(name)) {
      return allowed;
    }
    throw new KmsException(ErrorType.INVALID_KEY_USAGE, "MacAlgorithm " + name
        + " is not valid for a " + spec + " key; use " + allowed);
  }
}
