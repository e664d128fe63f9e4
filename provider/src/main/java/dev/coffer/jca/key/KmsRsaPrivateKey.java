package dev.coffer.jca.key;

import java.math.BigInteger;
import java.nio.file.Path;
import java.security.interfaces.RSAKey;
import java.security.interfaces.RSAPublicKey;
import java.util.List;

/**
 * The private half of an RSA KMS key pair ({@code RSA_2048}, {@code RSA_3072}, {@code
 * RSA_4096}): algorithm {@code RSA}, the modulus through {@link RSAKey#getModulus()}; no private
 * exponent (see {@link KmsPrivateKey}).
 */
public final class KmsRsaPrivateKey extends KmsPrivateKey implements RSAKey {

  private static final long serialVersionUID = 1L;

  KmsRsaPrivateKey(String arn, String keyId, String keySpec, RSAPublicKey publicKey,
      List<String> grantTokens, Path socket, String keyUsage) {
    super(arn, keyId, keySpec, publicKey, grantTokens, socket, keyUsage);
  }

  @Override
  public String getAlgorithm() {
    return "RSA";
  }

  /** The modulus, the same as the public key's (public information). */
  @Override
  public BigInteger getModulus() {
    return publicKey().getModulus();
  }

  @Override
  public RSAPublicKey publicKey() {
    return (RSAPublicKey) super.publicKey();
  }
}
