package dev.coffer.jca.spi;

import dev.coffer.jca.core.JcaErrors;
import dev.coffer.jca.core.KeyInfo;
import dev.coffer.jca.core.KmsService;
import dev.coffer.jca.core.Segments;
import dev.coffer.jca.key.KmsKey;
import dev.coffer.jca.key.KmsKeySpec;
import dev.coffer.protocol.KmsException;
import java.security.InvalidKeyException;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.KeySpec;
import javax.crypto.SecretKey;
import javax.crypto.SecretKeyFactorySpi;

/**
 * {@code SecretKeyFactory KMS}: a {@link KmsKeySpec} (alias, key id or ARN) becomes a handle once
 * {@code DescribeKey} confirms the key exists. {@code getKeySpec} gives back a reference, never
 * material; {@code translateKey} accepts handles only.
 */
public final class KmsSecretKeyFactorySpi extends SecretKeyFactorySpi {

  static {
    // Whoever asks for KMS key handles is about to encrypt with them: start the JIT warm-up of
    // large messages now, well before the first one (see Segments).
    Segments.warmUpInBackground();
  }

  @Override
  protected SecretKey engineGenerateSecret(KeySpec keySpec) throws InvalidKeySpecException {
    if (!(keySpec instanceof KmsKeySpec spec)) {
      throw new InvalidKeySpecException(
          "SecretKeyFactory KMS takes a KmsKeySpec, got "
              + (keySpec == null ? "null" : keySpec.getClass().getName()));
    }
    try {
      KeyInfo k =
          KmsService.forSocket(spec.socket()).describeKey(spec.keyReference(), spec.grantTokens());
      return KmsKey.of(
          k.arn(), k.keyId(), k.creationDate(), k.description(), spec.grantTokens(), spec.socket());
    } catch (KmsException e) {
      throw JcaErrors.invalidKeySpec(e);
    }
  }

  @Override
  protected KeySpec engineGetKeySpec(SecretKey key, Class<?> keySpec)
      throws InvalidKeySpecException {
    if (!(key instanceof KmsKey k)) {
      throw new InvalidKeySpecException("not a KMS key handle");
    }
    if (keySpec == null || !keySpec.isAssignableFrom(KmsKeySpec.class)) {
      throw new InvalidKeySpecException("a KMS key handle has only a KmsKeySpec");
    }
    KmsKeySpec s = KmsKeySpec.of(k.arn()).withGrantTokens(k.grantTokens());
    return k.socket() == null ? s : s.withSocket(k.socket());
  }

  @Override
  protected SecretKey engineTranslateKey(SecretKey key) throws InvalidKeyException {
    return Handles.require(key);
  }
}
