package dev.coffer.jca.spi;

import dev.coffer.jca.core.JcaErrors;
import dev.coffer.jca.key.KmsKey;
import dev.coffer.protocol.ErrorType;
import dev.coffer.protocol.KmsException;
import java.security.InvalidAlgorithmParameterException;
import java.security.InvalidKeyException;
import java.security.Key;
import java.security.spec.AlgorithmParameterSpec;
import java.util.Arrays;
import javax.crypto.MacSpi;

/**
 * {@code Mac} {@code HmacSHA224} ... {@code HmacSHA512} under Coffer, on HMAC KMS key handles
 * ({@code KeySpec HMAC_*}): {@code doFinal} is one {@code GenerateMac} in the daemon.
 *
 * <p>HMAC cannot be split like a signature (the key enters the first block), so the message
 * itself crosses to the daemon, and AWS KMS takes at most 4096 bytes ({@code GenerateMac}
 * {@code Message}, KMS API reference). The input is buffered here up to that limit; the update
 * that would pass it throws {@link dev.coffer.jca.core.KmsProviderException} ({@code
 * ValidationException}) at once rather than at {@code doFinal}, and the buffer is dropped. For
 * longer data MAC a digest of it, or sign it ({@code Signature}, digest only). The buffer is
 * zeroed after every {@code doFinal} and {@code reset}.
 */
public abstract class KmsMacSpi extends MacSpi {

  static final int MAX_MESSAGE = 4096;

  private final KmsAlgorithms.Hmac algorithm;
  private KmsKey key;
  private final byte[] buf = new byte[MAX_MESSAGE];
  private int len;

  KmsMacSpi(KmsAlgorithms.Hmac algorithm) {
    this.algorithm = algorithm;
  }

  @Override
  protected int engineGetMacLength() {
    return algorithm.macLength();
  }

  @Override
  protected void engineInit(Key k, AlgorithmParameterSpec params)
      throws InvalidKeyException, InvalidAlgorithmParameterException {
    if (params != null) {
      throw new InvalidAlgorithmParameterException(
          algorithm.jcaName() + " takes no parameters, got " + params.getClass().getName());
    }
    KmsKey handle = Handles.require(k);
    if (!algorithm.jcaName().equalsIgnoreCase(handle.getAlgorithm())) {
      throw new InvalidKeyException(algorithm.jcaName() + " needs an HMAC KMS key of KeySpec "
          + algorithm.keySpec() + "; " + handle.arn() + " is a " + handle.getAlgorithm()
          + " key (AWS KMS computes each MacAlgorithm only with its own key spec)");
    }
    engineReset();
    key = handle;
  }

  @Override
  protected void engineUpdate(byte input) {
    engineUpdate(new byte[] {input}, 0, 1);
  }

  @Override
  protected void engineUpdate(byte[] input, int offset, int n) {
    if (key == null) {
      throw new IllegalStateException("Mac not initialized");
    }
    if (n > MAX_MESSAGE - len) {
      engineReset();
      throw JcaErrors.provider(new KmsException(ErrorType.VALIDATION, algorithm.jcaName()
          + " under Coffer MACs at most " + MAX_MESSAGE + " bytes (the AWS KMS GenerateMac"
          + " message limit); MAC a digest of longer data, or sign it"));
    }
    System.arraycopy(input, offset, buf, len, n);
    len += n;
  }

  @Override
  protected byte[] engineDoFinal() {
    byte[] message = Arrays.copyOf(buf, len);
    try {
      return Handles.service(key).asymmetric().generateMac(
          key.arn(), message, algorithm.macAlgorithm(), key.grantTokens());
    } catch (KmsException e) {
      throw JcaErrors.provider(e);
    } finally {
      Arrays.fill(message, (byte) 0);
      engineReset();
    }
  }

  @Override
  protected void engineReset() {
    Arrays.fill(buf, 0, len, (byte) 0);
    len = 0;
  }

  public static final class HmacSha224 extends KmsMacSpi {
    public HmacSha224() {
      super(KmsAlgorithms.HMAC_SHA_224);
    }
  }

  public static final class HmacSha256 extends KmsMacSpi {
    public HmacSha256() {
      super(KmsAlgorithms.HMAC_SHA_256);
    }
  }

  public static final class HmacSha384 extends KmsMacSpi {
    public HmacSha384() {
      super(KmsAlgorithms.HMAC_SHA_384);
    }
  }

  public static final class HmacSha512 extends KmsMacSpi {
    public HmacSha512() {
      super(KmsAlgorithms.HMAC_SHA_512);
    }
  }
}
