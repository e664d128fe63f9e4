package dev.coffer.jca.spi;

import dev.coffer.jca.core.JcaErrors;
import dev.coffer.jca.core.KeyInfo;
import dev.coffer.jca.core.KmsService;
import dev.coffer.jca.core.Segments;
import dev.coffer.jca.key.KmsKey;
import dev.coffer.jca.key.KmsKeyGenParameterSpec;
import dev.coffer.protocol.KmsException;
import java.security.InvalidAlgorithmParameterException;
import java.security.InvalidParameterException;
import java.security.SecureRandom;
import java.security.spec.AlgorithmParameterSpec;
import java.util.List;
import javax.crypto.KeyGeneratorSpi;
import javax.crypto.SecretKey;

/**
 * {@code KeyGenerator KMS} and {@code AES} (under provider {@code Coffer}): {@code generateKey}
 * creates a new KMS key in the daemon ({@code CreateKey}, then {@code CreateAlias} if the spec
 * names one) and returns its handle. The material is made in, and stays in, the daemon; the
 * caller's {@code SecureRandom} is not used. Key size is 256 bits (SYMMETRIC_DEFAULT).
 * {@code KeyGenerator HmacSHA224} ... {@code HmacSHA512} (the nested classes) create HMAC keys
 * ({@code KeySpec HMAC_224} ... {@code HMAC_512}, {@code KeyUsage GENERATE_VERIFY_MAC}) whose
 * handles {@code Mac} under Coffer uses; their size is the digest size.
 */
public class KmsKeyGeneratorSpi extends KeyGeneratorSpi {

  static {
    // Whoever asks for KMS key handles is about to encrypt with them: start the JIT warm-up of
    // large messages now, well before the first one (see Segments).
    Segments.warmUpInBackground();
  }

  private KmsKeyGenParameterSpec spec = KmsKeyGenParameterSpec.defaults();
  /** Null for SYMMETRIC_DEFAULT. */
  private final KmsAlgorithms.Hmac hmac;

  public KmsKeyGeneratorSpi() {
    this(null);
  }

  KmsKeyGeneratorSpi(KmsAlgorithms.Hmac hmac) {
    this.hmac = hmac;
  }

  private int keySize() {
    return hmac == null ? 256 : hmac.bits();
  }

  @Override
  protected void engineInit(SecureRandom random) {
    spec = KmsKeyGenParameterSpec.defaults();
  }

  @Override
  protected void engineInit(AlgorithmParameterSpec params, SecureRandom random)
      throws InvalidAlgorithmParameterException {
    if (!(params instanceof KmsKeyGenParameterSpec s)) {
      throw new InvalidAlgorithmParameterException(
          "KeyGenerator KMS takes a KmsKeyGenParameterSpec, got "
              + (params == null ? "null" : params.getClass().getName()));
    }
    spec = s;
  }

  @Override
  protected void engineInit(int keysize, SecureRandom random) {
    if (keysize != keySize()) {
      throw new InvalidParameterException(hmac == null
          ? "KMS keys are 256-bit AES keys; got " + keysize
          : hmac.jcaName() + " KMS keys (" + hmac.keySpec() + ") are " + hmac.bits()
              + " bits; got " + keysize);
    }
    spec = KmsKeyGenParameterSpec.defaults();
  }

  @Override
  protected SecretKey engineGenerateKey() {
    KmsService service = KmsService.forSocket(null);
    try {
      KeyInfo k = hmac == null
          ? service.createKey(spec.description(), spec.tags())
          : service.createKey(hmac.keySpec(), "GENERATE_VERIFY_MAC", spec.description(),
              spec.tags());
      if (spec.alias() != null) {
        service.createAlias(spec.alias(), k.keyId());
      }
      return KmsKey.of(k.arn(), k.keyId(), k.creationDate(), k.description(), List.of(), null,
          hmac == null ? "AES" : hmac.jcaName());
    } catch (KmsException e) {
      throw JcaErrors.provider(e);
    }
  }

  public static final class HmacSha224 extends KmsKeyGeneratorSpi {
    public HmacSha224() {
      super(KmsAlgorithms.HMAC_SHA_224);
    }
  }

  public static final class HmacSha256 extends KmsKeyGeneratorSpi {
    public HmacSha256() {
      super(KmsAlgorithms.HMAC_SHA_256);
    }
  }

  public static final class HmacSha384 extends KmsKeyGeneratorSpi {
    public HmacSha384() {
      super(KmsAlgorithms.HMAC_SHA_384);
    }
  }

  public static final class HmacSha512 extends KmsKeyGeneratorSpi {
    public HmacSha512() {
      super(KmsAlgorithms.HMAC_SHA_512);
    }
  }
}
