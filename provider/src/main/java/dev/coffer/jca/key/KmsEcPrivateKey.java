package dev.coffer.jca.key;

import java.nio.file.Path;
import java.security.interfaces.ECKey;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECParameterSpec;
import java.util.List;

/**
 * The private half of an ECC KMS key pair ({@code ECC_NIST_P256}, {@code ECC_NIST_P384}, {@code
 * ECC_NIST_P521}, {@code ECC_SECG_P256K1}): algorithm {@code EC}, the curve through {@link
 * ECKey#getParams()}; no private value (see {@link KmsPrivateKey}).
 */
public final class KmsEcPrivateKey extends KmsPrivateKey implements ECKey {

  private static final long serialVersionUID = 1L;

  KmsEcPrivateKey(String arn, String keyId, String keySpec, ECPublicKey publicKey,
      List<String> grantTokens, Path socket, String keyUsage) {
    super(arn, keyId, keySpec, publicKey, grantTokens, socket, keyUsage);
  }

  @Override
  public String getAlgorithm() {
    return "EC";
  }

  /** The curve, the same as the public key's. */
  @Override
  public ECParameterSpec getParams() {
    return publicKey().getParams();
  }

  @Override
  public ECPublicKey publicKey() {
    return (ECPublicKey) super.publicKey();
  }
}
