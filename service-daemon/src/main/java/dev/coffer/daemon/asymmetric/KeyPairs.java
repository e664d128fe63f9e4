package dev.coffer.daemon.asymmetric;

import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.RSAKeyGenParameterSpec;
import java.security.spec.X509EncodedKeySpec;
import org.bouncycastle.jce.provider.BouncyCastleProvider;

/**
 * Generates and parses the key pairs of RSA and ECC key specs. The JDK's providers serve every
 * spec but {@code ECC_SECG_P256K1}, whose curve SunEC dropped in JDK 16: Bouncy Castle serves it
 * (its own provider object, not installed in {@link java.security.Security}, so no other
 * algorithm of the daemon changes provider).
 */
public final class KeyPairs {
  private KeyPairs() {}

  private static final Provider BC = new BouncyCastleProvider();

  /** The provider for {@code spec}'s EC operations; null for the JDK's defaults. */
  public static Provider provider(KmsKeySpec spec) {
    return spec == KmsKeySpec.ECC_SECG_P256K1 ? BC : null;
  }

  /** A fresh key pair of an RSA or ECC spec. RSA keys use the public exponent 65537 as AWS's. */
  public static KeyPair generate(KmsKeySpec spec, SecureRandom random) {
    try {
      KeyPairGenerator g;
      if (spec.family() == KmsKeySpec.Family.RSA) {
        g = KeyPairGenerator.getInstance("RSA");
        g.initialize(new RSAKeyGenParameterSpec(spec.bits(), RSAKeyGenParameterSpec.F4), random);
      } else if (spec.family() == KmsKeySpec.Family.EC) {
        Provider p = provider(spec);
        g = p == null ? KeyPairGenerator.getInstance("EC") : KeyPairGenerator.getInstance("EC", p);
        g.initialize(new ECGenParameterSpec(spec.curve()), random);
      } else {
        throw new IllegalArgumentException(spec + " is not a key pair spec");
      }
      return g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot generate a " + spec + " key pair", e);
    }
  }

  /** Parses a PKCS#8 {@code PrivateKeyInfo} of {@code spec}. The caller zeroes the bytes. */
  public static PrivateKey privateKey(KmsKeySpec spec, byte[] pkcs8) {
    try {
      return keyFactory(spec).generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("stored " + spec + " private key does not parse", e);
    }
  }

  /** Parses a DER {@code SubjectPublicKeyInfo} of {@code spec}. */
  public static PublicKey publicKey(KmsKeySpec spec, byte[] spki) throws GeneralSecurityException {
    return keyFactory(spec).generatePublic(new X509EncodedKeySpec(spki));
  }

  private static KeyFactory keyFactory(KmsKeySpec spec) throws GeneralSecurityException {
    String alg = spec.family() == KmsKeySpec.Family.RSA ? "RSA" : "EC";
    Provider p = provider(spec);
    return p == null ? KeyFactory.getInstance(alg) : KeyFactory.getInstance(alg, p);
  }
}
