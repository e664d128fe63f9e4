package dev.coffer.daemon.asymmetric;

import dev.coffer.protocol.ErrorType;
import dev.coffer.protocol.KmsException;

/**
 * The KMS signing algorithms Coffer implements ({@code SigningAlgorithmSpec}), each with the
 * digest it signs. AWS's PSS signatures use MGF1 with the same digest and a salt as long as the
 * digest (KMS Developer Guide, "RSA key specs for signing and verification").
 */
public enum SigningAlgorithm {
  RSASSA_PSS_SHA_256(Scheme.RSA_PSS, Digest.SHA_256),
  RSASSA_PSS_SHA_384(Scheme.RSA_PSS, Digest.SHA_384),
  RSASSA_PSS_SHA_512(Scheme.RSA_PSS, Digest.SHA_512),
  RSASSA_PKCS1_V1_5_SHA_256(Scheme.RSA_PKCS1, Digest.SHA_256),
  RSASSA_PKCS1_V1_5_SHA_384(Scheme.RSA_PKCS1, Digest.SHA_384),
  RSASSA_PKCS1_V1_5_SHA_512(Scheme.RSA_PKCS1, Digest.SHA_512),
  ECDSA_SHA_256(Scheme.ECDSA, Digest.SHA_256),
  ECDSA_SHA_384(Scheme.ECDSA, Digest.SHA_384),
  ECDSA_SHA_512(Scheme.ECDSA, Digest.SHA_512);

  /** The signature scheme. */
  public enum Scheme { RSA_PSS, RSA_PKCS1, ECDSA }

  private final Scheme scheme;
  private final Digest digest;

  SigningAlgorithm(Scheme scheme, Digest digest) {
    this.scheme = scheme;
    this.digest = digest;
  }

  public Scheme scheme() {
    return scheme;
  }

  public Digest digest() {
    return digest;
  }

  /**
   * The algorithm named {@code name} if the key's spec allows it, else {@code
   * InvalidKeyUsageException} naming the ones it allows (as AWS answers a mismatched {@code
   * SigningAlgorithm}).
   */
  public static SigningAlgorithm forKey(String name, KmsKeySpec spec) {
    for (SigningAlgorithm a : spec.signingAlgorithms()) {
      if (a.name().equals(name)) {
        return a;
      }
    }
    throw new KmsException(ErrorType.INVALID_KEY_USAGE, "SigningAlgorithm " + name
        + " is not valid for a " + spec + " key; use one of " + spec.signingAlgorithms());
  }
}
