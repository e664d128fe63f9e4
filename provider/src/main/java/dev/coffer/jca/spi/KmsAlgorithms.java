package dev.coffer.jca.spi;

import java.math.BigInteger;
import java.security.InvalidAlgorithmParameterException;
import java.security.spec.ECGenParameterSpec;
import java.util.Locale;
import java.util.Map;

/**
 * The names the JCA and AWS KMS give the same things: curves and key sizes to {@code KeySpec},
 * {@code Mac} algorithms to {@code MacAlgorithm}. Sources: the AWS KMS API reference ({@code
 * CreateKey} KeySpec, {@code GenerateMac} MacAlgorithm) and the JDK's standard names.
 */
final class KmsAlgorithms {
  private KmsAlgorithms() {}

  /** The ECC key specs by every curve name the JDK accepts for them (lower case). */
  private static final Map<String, String> CURVES = Map.ofEntries(
      Map.entry("secp256r1", "ECC_NIST_P256"), Map.entry("nist p-256", "ECC_NIST_P256"),
      Map.entry("p-256", "ECC_NIST_P256"), Map.entry("prime256v1", "ECC_NIST_P256"),
      Map.entry("x9.62 prime256v1", "ECC_NIST_P256"),
      Map.entry("1.2.840.10045.3.1.7", "ECC_NIST_P256"),
      Map.entry("secp384r1", "ECC_NIST_P384"), Map.entry("nist p-384", "ECC_NIST_P384"),
      Map.entry("p-384", "ECC_NIST_P384"), Map.entry("1.3.132.0.34", "ECC_NIST_P384"),
      Map.entry("secp521r1", "ECC_NIST_P521"), Map.entry("nist p-521", "ECC_NIST_P521"),
      Map.entry("p-521", "ECC_NIST_P521"), Map.entry("1.3.132.0.35", "ECC_NIST_P521"),
      Map.entry("secp256k1", "ECC_SECG_P256K1"), Map.entry("1.3.132.0.10", "ECC_SECG_P256K1"));

  static final String SUPPORTED_CURVES = "secp256r1, secp384r1, secp521r1, secp256k1";

  /** {@code ECC_*} for a curve name; InvalidAlgorithmParameterException naming the supported. */
  static String eccKeySpec(ECGenParameterSpec spec) throws InvalidAlgorithmParameterException {
    String s = CURVES.get(spec.getName().toLowerCase(Locale.ROOT));
    if (s == null) {
      throw new InvalidAlgorithmParameterException("AWS KMS has no key spec for curve "
          + spec.getName() + "; supported: " + SUPPORTED_CURVES);
    }
    return s;
  }

  /** {@code ECC_NIST_*} for a key size in bits (256, 384, 521), else null. */
  static String eccKeySpec(int bits) {
    return switch (bits) {
      case 256 -> "ECC_NIST_P256";
      case 384 -> "ECC_NIST_P384";
      case 521 -> "ECC_NIST_P521";
      default -> null;
    };
  }

  /** {@code RSA_*} for a modulus size (2048, 3072, 4096), else null. */
  static String rsaKeySpec(int bits) {
    return bits == 2048 || bits == 3072 || bits == 4096 ? "RSA_" + bits : null;
  }

  /** AWS KMS RSA keys use the public exponent 65537 (F4). */
  static final BigInteger RSA_EXPONENT = BigInteger.valueOf(65537);

  /** One HMAC algorithm in both worlds: JCA name, AWS KeySpec and MacAlgorithm, MAC length. */
  record Hmac(String jcaName, String keySpec, String macAlgorithm, int bits) {
    int macLength() {
      return bits / 8;
    }
  }

  static final Hmac HMAC_SHA_224 = new Hmac("HmacSHA224", "HMAC_224", "HMAC_SHA_224", 224);
  static final Hmac HMAC_SHA_256 = new Hmac("HmacSHA256", "HMAC_256", "HMAC_SHA_256", 256);
  static final Hmac HMAC_SHA_384 = new Hmac("HmacSHA384", "HMAC_384", "HMAC_SHA_384", 384);
  static final Hmac HMAC_SHA_512 = new Hmac("HmacSHA512", "HMAC_512", "HMAC_SHA_512", 512);

  /** The HMAC algorithm of a JCA name ({@code HmacSHA256}, any case), else null. */
  static Hmac hmacByJcaName(String jcaName) {
    for (Hmac h : new Hmac[] {HMAC_SHA_224, HMAC_SHA_256, HMAC_SHA_384, HMAC_SHA_512}) {
      if (h.jcaName().equalsIgnoreCase(jcaName)) {
        return h;
      }
    }
    return null;
  }

  /** The JCA algorithm of an HMAC key spec ({@code HMAC_256} to {@code HmacSHA256}), else null. */
  static String hmacJcaName(String keySpec) {
    for (Hmac h : new Hmac[] {HMAC_SHA_224, HMAC_SHA_256, HMAC_SHA_384, HMAC_SHA_512}) {
      if (h.keySpec().equals(keySpec)) {
        return h.jcaName();
      }
    }
    return null;
  }
}
