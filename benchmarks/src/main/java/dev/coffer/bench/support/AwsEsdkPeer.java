package dev.coffer.bench.support;

import com.amazonaws.encryptionsdk.AwsCrypto;
import com.amazonaws.encryptionsdk.CommitmentPolicy;
import com.amazonaws.encryptionsdk.CryptoAlgorithm;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import software.amazon.cryptography.materialproviders.IKeyring;
import software.amazon.cryptography.materialproviders.MaterialProviders;
import software.amazon.cryptography.materialproviders.model.AesWrappingAlg;
import software.amazon.cryptography.materialproviders.model.CreateRawAesKeyringInput;
import software.amazon.cryptography.materialproviders.model.MaterialProvidersConfig;

/**
 * The AWS Encryption SDK for Java with a raw AES-256 keyring (no KMS, no network): a fresh data
 * key per message, wrapped by the keyring. {@code signed} selects the SDK's default suite
 * (key commitment and an ECDSA P-384 signature per message); otherwise the committing suite
 * without a signature, the fastest one the default commitment policy accepts.
 */
public final class AwsEsdkPeer implements AeadPeer {

  private final AwsCrypto crypto;
  private final IKeyring keyring;

  public AwsEsdkPeer(boolean signed) {
    byte[] kek = new byte[32];
    new SecureRandom().nextBytes(kek);
    MaterialProviders mpl = MaterialProviders.builder()
        .MaterialProvidersConfig(MaterialProvidersConfig.builder().build()).build();
    keyring = mpl.CreateRawAesKeyring(CreateRawAesKeyringInput.builder()
        .keyNamespace("coffer-bench").keyName("kek").wrappingKey(ByteBuffer.wrap(kek))
        .wrappingAlg(AesWrappingAlg.ALG_AES256_GCM_IV12_TAG16).build());
    AwsCrypto.Builder b = AwsCrypto.builder()
        .withCommitmentPolicy(CommitmentPolicy.RequireEncryptRequireDecrypt);
    if (!signed) {
      b.withEncryptionAlgorithm(CryptoAlgorithm.ALG_AES_256_GCM_HKDF_SHA512_COMMIT_KEY);
    }
    crypto = b.build();
  }

  @Override
  public Sealed encrypt(byte[] plaintext) throws GeneralSecurityException {
    return new Sealed(crypto.encryptData(keyring, plaintext).getResult(), null);
  }

  @Override
  public byte[] decrypt(Sealed sealed) throws GeneralSecurityException {
    return crypto.decryptData(keyring, sealed.ciphertext()).getResult();
  }
}
