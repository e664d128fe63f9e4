package dev.coffer.bench.support;

import com.google.crypto.tink.Aead;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.aead.AeadConfig;
import com.google.crypto.tink.aead.KmsEnvelopeAead;
import com.google.crypto.tink.aead.PredefinedAeadParameters;
import java.security.GeneralSecurityException;

/**
 * Google Tink's {@code KmsEnvelopeAead} with a local AES-256-GCM key standing in for the remote
 * KEK (no network): every message gets a fresh AES-256-GCM data key wrapped by the KEK, which is
 * what Tink users get from a KMS-backed envelope without a cache.
 */
public final class TinkEnvelopePeer implements AeadPeer {

  private static final byte[] NO_AAD = new byte[0];
  private final Aead envelope;

  public TinkEnvelopePeer() throws GeneralSecurityException {
    AeadConfig.register();
    Aead kek = KeysetHandle.generateNew(PredefinedAeadParameters.AES256_GCM)
        .getPrimitive(Aead.class);
    envelope = KmsEnvelopeAead.create(PredefinedAeadParameters.AES256_GCM, kek);
  }

  @Override
  public Sealed encrypt(byte[] plaintext) throws GeneralSecurityException {
    return new Sealed(envelope.encrypt(plaintext, NO_AAD), null);
  }

  @Override
  public byte[] decrypt(Sealed sealed) throws GeneralSecurityException {
    return envelope.decrypt(sealed.ciphertext(), NO_AAD);
  }
}
