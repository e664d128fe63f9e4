package dev.coffer.daemon.asymmetric;

import dev.coffer.protocol.ErrorType;
import dev.coffer.protocol.KmsException;
import java.util.List;
import java.util.Set;

/**
 * The KMS key specs Coffer creates, with what AWS allows for each: key usages, signing, MAC and
 * encryption algorithms (KMS Developer Guide, "Key spec reference"; API reference, {@code
 * CreateKey} {@code KeySpec} and {@code KeyUsage}).
 */
public enum KmsKeySpec {
  SYMMETRIC_DEFAULT(Family.SYMMETRIC, 256, null),
  RSA_2048(Family.RSA, 2048, null),
  RSA_3072(Family.RSA, 3072, null),
  RSA_4096(Family.RSA, 4096, null),
  ECC_NIST_P256(Family.EC, 256, "secp256r1"),
  ECC_NIST_P384(Family.EC, 384, "secp384r1"),
  ECC_NIST_P521(Family.EC, 521, "secp521r1"),
  ECC_SECG_P256K1(Family.EC, 256, "secp256k1"),
  HMAC_224(Family.HMAC, 224, null),
  HMAC_256(Family.HMAC, 256, null),
  HMAC_384(Family.HMAC, 384, null),
  HMAC_512(Family.HMAC, 512, null);

  /** What kind of key a spec makes. */
  public enum Family { SYMMETRIC, RSA, EC, HMAC }

  public static final String ENCRYPT_DECRYPT = "ENCRYPT_DECRYPT";
  public static final String SIGN_VERIFY = "SIGN_VERIFY";
  public static final String GENERATE_VERIFY_MAC = "GENERATE_VERIFY_MAC";

  private final Family family;
  private final int bits;
  private final String curve;

  KmsKeySpec(Family family, int bits, String curve) {
    this.family = family;
    this.bits = bits;
    this.curve = curve;
  }

  public Family family() {
    return family;
  }

  /** RSA modulus bits, EC field bits, HMAC key bits (= the digest's), or 256 for AES. */
  public int bits() {
    return bits;
  }

  /** The SEC 2 curve name of an EC spec ({@code secp256r1} ...); null otherwise. */
  public String curve() {
    return curve;
  }

  /** True for the specs whose keys are pairs (a public key exists). */
  public boolean isAsymmetric() {
    return family == Family.RSA || family == Family.EC;
  }

  /**
   * The key usages AWS accepts with this spec. (AWS also allows {@code KEY_AGREEMENT} for ECC
   * NIST specs; Coffer does not implement key agreement, which {@link #checkUsage} reports as
   * unsupported rather than invalid.)
   */
  public Set<String> usages() {
    return switch (family) {
      case SYMMETRIC -> Set.of(ENCRYPT_DECRYPT);
      case RSA -> Set.of(ENCRYPT_DECRYPT, SIGN_VERIFY);
      case EC -> Set.of(SIGN_VERIFY);
      case HMAC -> Set.of(GENERATE_VERIFY_MAC);
    };
  }

  /**
   * Checks a {@code CreateKey} pair: {@code ValidationException} for a usage AWS refuses with
   * this spec, {@code UnsupportedOperationException} for {@code KEY_AGREEMENT}, which AWS allows
   * with ECC keys but Coffer does not implement.
   */
  public void checkUsage(String usage) {
    if (usages().contains(usage)) {
      return;
    }
    if ("KEY_AGREEMENT".equals(usage) && family == Family.EC) {
      throw new KmsException(ErrorType.UNSUPPORTED_OPERATION, "KeyUsage KEY_AGREEMENT is not"
          + " supported by Coffer; create ECC keys with KeyUsage SIGN_VERIFY");
    }
    throw new KmsException(ErrorType.VALIDATION, "KeyUsage " + usage + " is not compatible with"
        + " KeySpec " + name() + "; use " + String.join(" or ", usages().stream().sorted()
            .toList()) + " (KMS API reference, CreateKey)");
  }

  /** {@code SigningAlgorithms} of a SIGN_VERIFY key of this spec, in AWS's order. */
  public List<SigningAlgorithm> signingAlgorithms() {
    return switch (this) {
      case RSA_2048, RSA_3072, RSA_4096 -> List.of(
          SigningAlgorithm.RSASSA_PSS_SHA_256, SigningAlgorithm.RSASSA_PSS_SHA_384,
          SigningAlgorithm.RSASSA_PSS_SHA_512, SigningAlgorithm.RSASSA_PKCS1_V1_5_SHA_256,
          SigningAlgorithm.RSASSA_PKCS1_V1_5_SHA_384, SigningAlgorithm.RSASSA_PKCS1_V1_5_SHA_512);
      case ECC_NIST_P256, ECC_SECG_P256K1 -> List.of(SigningAlgorithm.ECDSA_SHA_256);
      case ECC_NIST_P384 -> List.of(SigningAlgorithm.ECDSA_SHA_384);
      case ECC_NIST_P521 -> List.of(SigningAlgorithm.ECDSA_SHA_512);
      default -> List.of();
    };
  }

  /** {@code EncryptionAlgorithms} of an ENCRYPT_DECRYPT key of this spec. */
  public List<String> encryptionAlgorithms() {
    return switch (family) {
      case SYMMETRIC -> List.of("SYMMETRIC_DEFAULT");
      case RSA -> List.of(RsaEncryption.OAEP_SHA_1, RsaEncryption.OAEP_SHA_256);
      default -> List.of();
    };
  }

  /** The one {@code MacAlgorithm} of an HMAC spec; null for other specs. */
  public MacAlgorithm macAlgorithm() {
    return switch (this) {
      case HMAC_224 -> MacAlgorithm.HMAC_SHA_224;
      case HMAC_256 -> MacAlgorithm.HMAC_SHA_256;
      case HMAC_384 -> MacAlgorithm.HMAC_SHA_384;
      case HMAC_512 -> MacAlgorithm.HMAC_SHA_512;
      default -> null;
    };
  }

  /**
   * The spec named {@code name}, or {@code UnsupportedOperationException} for a spec the model
   * knows but Coffer does not implement (SM2, ML-DSA, Ed25519).
   */
  public static KmsKeySpec of(String name) {
    for (KmsKeySpec s : values()) {
      if (s.name().equals(name)) {
        return s;
      }
    }
    throw new KmsException(ErrorType.UNSUPPORTED_OPERATION, "KeySpec " + name + " is not"
        + " supported by Coffer; use SYMMETRIC_DEFAULT, RSA_2048/3072/4096, ECC_NIST_P256/P384/"
        + "P521, ECC_SECG_P256K1 or HMAC_224/256/384/512");
  }

  /** The spec of a stored key record (always one Coffer created). */
  public static KmsKeySpec ofStored(String name) {
    return valueOf(name);
  }
}
