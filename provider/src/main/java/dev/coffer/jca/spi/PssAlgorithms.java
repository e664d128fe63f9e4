package dev.coffer.jca.spi;

import java.security.InvalidAlgorithmParameterException;
import java.security.spec.AlgorithmParameterSpec;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;
import java.util.Locale;

/**
 * The PSS parameter sets AWS KMS signs with, and only those: {@code RSASSA_PSS_SHA_256/384/512}
 * use MGF1 with the same digest as the message and a salt as long as the digest, trailer field
 * 1 (AWS KMS API reference, {@code SigningAlgorithmSpec}; RFC 8017 section 9.1).
 */
final class PssAlgorithms {
  private PssAlgorithms() {}

  static final String SUPPORTED = "SHA-256, SHA-384 or SHA-512 for both the message and MGF1,"
      + " salt length equal to the digest length (32, 48, 64), trailer field 1";

  /** A supported parameter set: the JDK digest name and the AWS signing algorithm. */
  record Choice(String digestName, String signingAlgorithm) {}

  static Choice of(AlgorithmParameterSpec params) throws InvalidAlgorithmParameterException {
    if (!(params instanceof PSSParameterSpec p)) {
      throw new InvalidAlgorithmParameterException("RSASSA-PSS takes a PSSParameterSpec, got "
          + (params == null ? "null" : params.getClass().getName()));
    }
    String digest = p.getDigestAlgorithm().toUpperCase(Locale.ROOT).replace("SHA256", "SHA-256")
        .replace("SHA384", "SHA-384").replace("SHA512", "SHA-512");
    int length = switch (digest) {
      case "SHA-256" -> 32;
      case "SHA-384" -> 48;
      case "SHA-512" -> 64;
      default -> -1;
    };
    boolean mgfMatches = "MGF1".equalsIgnoreCase(p.getMGFAlgorithm())
        && p.getMGFParameters() instanceof MGF1ParameterSpec m
        && digest.equalsIgnoreCase(m.getDigestAlgorithm());
    if (length < 0 || !mgfMatches || p.getSaltLength() != length || p.getTrailerField() != 1) {
      throw new InvalidAlgorithmParameterException("AWS KMS does not sign with these PSS"
          + " parameters (" + describe(p) + "); supported: " + SUPPORTED);
    }
    return new Choice(digest, "RSASSA_PSS_SHA_" + digest.substring(4));
  }

  private static String describe(PSSParameterSpec p) {
    String mgfDigest = p.getMGFParameters() instanceof MGF1ParameterSpec m
        ? m.getDigestAlgorithm() : String.valueOf(p.getMGFParameters());
    return "digest " + p.getDigestAlgorithm() + ", " + p.getMGFAlgorithm() + " with "
        + mgfDigest + ", salt " + p.getSaltLength() + ", trailer " + p.getTrailerField();
  }
}
