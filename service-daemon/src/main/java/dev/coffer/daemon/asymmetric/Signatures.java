package dev.coffer.daemon.asymmetric;

import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.SignatureException;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.interfaces.RSAPublicKey;
import java.util.HexFormat;
import org.bouncycastle.crypto.CryptoException;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.digests.SHA384Digest;
import org.bouncycastle.crypto.digests.SHA512Digest;
import org.bouncycastle.crypto.engines.RSABlindedEngine;
import org.bouncycastle.crypto.params.ParametersWithRandom;
import org.bouncycastle.crypto.params.RSAKeyParameters;
import org.bouncycastle.crypto.params.RSAPrivateCrtKeyParameters;
import org.bouncycastle.crypto.signers.PSSSigner;

/**
 * Signs and verifies a message digest with the KMS signing algorithms. Every operation takes the
 * digest (AWS's {@code MessageType DIGEST}; a {@code RAW} message is digested first by the
 * caller), so one code path serves both message types and a 1 GB file costs one digest.
 *
 * <ul>
 *   <li>ECDSA: {@code NONEwithECDSA} over the digest, the signature DER-encoded ({@code
 *       Ecdsa-Sig-Value}, RFC 3279) as AWS returns it.
 *   <li>RSASSA-PKCS1-v1_5: {@code NONEwithRSA} over the DER {@code DigestInfo} of the digest
 *       (RFC 8017 section 9.2).
 *   <li>RSASSA-PSS: Bouncy Castle's raw PSS signer on the digest, MGF1 with the same digest,
 *       salt length = digest length, trailer 0xBC (RFC 8017 section 9.1), which is what the
 *       JDK's {@code RSASSA-PSS} computes from the message.
 * </ul>
 */
public final class Signatures {
  private Signatures() {}

  /** RFC 8017 section 9.2 note 1: the DER DigestInfo prefix of each digest. */
  private static byte[] digestInfoPrefix(Digest d) {
    String hex = switch (d) {
      case SHA_224 -> "302d300d06096086480165030402040500041c";
      case SHA_256 -> "3031300d060960864801650304020105000420";
      case SHA_384 -> "3041300d060960864801650304020205000430";
      case SHA_512 -> "3051300d060960864801650304020305000440";
    };
    return HexFormat.of().parseHex(hex);
  }

  /**
   * Signs {@code digest} (exactly {@code alg.digest().length()} bytes).
   *
   * @param provider the provider for EC keys on curves the JDK lacks (secp256k1); null for the
   *     JDK's own
   */
  public static byte[] sign(PrivateKey key, SigningAlgorithm alg, byte[] digest,
      Provider provider, SecureRandom random) {
    checkLength(alg, digest);
    try {
      return switch (alg.scheme()) {
        case ECDSA -> {
          Signature s = provider == null ? Signature.getInstance("NONEwithECDSA")
              : Signature.getInstance("NONEwithECDSA", provider);
          s.initSign(key, random);
          s.update(digest);
          yield s.sign();
        }
        case RSA_PKCS1 -> {
          Signature s = Signature.getInstance("NONEwithRSA");
          s.initSign(key, random);
          s.update(digestInfo(alg.digest(), digest));
          yield s.sign();
        }
        case RSA_PSS -> {
          RSAPrivateCrtKey k = (RSAPrivateCrtKey) key;
          PSSSigner signer = pss(alg.digest());
          signer.init(true, new ParametersWithRandom(new RSAPrivateCrtKeyParameters(
              k.getModulus(), k.getPublicExponent(), k.getPrivateExponent(), k.getPrimeP(),
              k.getPrimeQ(), k.getPrimeExponentP(), k.getPrimeExponentQ(),
              k.getCrtCoefficient()), random));
          signer.update(digest, 0, digest.length);
          yield signer.generateSignature();
        }
      };
    } catch (GeneralSecurityException | CryptoException e) {
      throw new IllegalStateException(alg + " signing failed", e);
    }
  }

  /** True when {@code signature} is a valid {@code alg} signature of {@code digest}. */
  public static boolean verify(PublicKey key, SigningAlgorithm alg, byte[] digest,
      byte[] signature, Provider provider) {
    checkLength(alg, digest);
    try {
      return switch (alg.scheme()) {
        case ECDSA -> {
          Signature s = provider == null ? Signature.getInstance("NONEwithECDSA")
              : Signature.getInstance("NONEwithECDSA", provider);
          s.initVerify(key);
          s.update(digest);
          yield s.verify(signature);
        }
        case RSA_PKCS1 -> {
          Signature s = Signature.getInstance("NONEwithRSA");
          s.initVerify(key);
          s.update(digestInfo(alg.digest(), digest));
          yield s.verify(signature);
        }
        case RSA_PSS -> {
          RSAPublicKey k = (RSAPublicKey) key;
          PSSSigner signer = pss(alg.digest());
          signer.init(false, new RSAKeyParameters(false, k.getModulus(), k.getPublicExponent()));
          signer.update(digest, 0, digest.length);
          yield signer.verifySignature(signature);
        }
      };
    } catch (SignatureException | IllegalArgumentException | org.bouncycastle.crypto
        .DataLengthException e) {
      return false; // malformed: not DER, or not the modulus' length
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(alg + " verification failed", e);
    }
  }

  private static void checkLength(SigningAlgorithm alg, byte[] digest) {
    if (digest.length != alg.digest().length()) {
      throw new IllegalArgumentException("a " + alg + " digest is " + alg.digest().length()
          + " bytes");
    }
  }

  private static byte[] digestInfo(Digest d, byte[] digest) {
    byte[] prefix = digestInfoPrefix(d);
    return ByteBuffer.allocate(prefix.length + digest.length).put(prefix).put(digest).array();
  }

  private static PSSSigner pss(Digest d) {
    int salt = d.length();
    return switch (d) {
      case SHA_256 -> PSSSigner.createRawSigner(new RSABlindedEngine(), new SHA256Digest(),
          new SHA256Digest(), salt, PSSSigner.TRAILER_IMPLICIT);
      case SHA_384 -> PSSSigner.createRawSigner(new RSABlindedEngine(), new SHA384Digest(),
          new SHA384Digest(), salt, PSSSigner.TRAILER_IMPLICIT);
      case SHA_512 -> PSSSigner.createRawSigner(new RSABlindedEngine(), new SHA512Digest(),
          new SHA512Digest(), salt, PSSSigner.TRAILER_IMPLICIT);
      case SHA_224 -> throw new IllegalArgumentException("KMS has no PSS with SHA-224");
    };
  }
}
