package dev.coffer.bench.support;

import java.security.GeneralSecurityException;
import java.security.Key;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;

/**
 * {@code AES/GCM/NoPadding} from a named JCA provider, used the way applications use it: a
 * fresh random IV chosen by the provider at every encrypt, the IV passed back at decrypt.
 */
public final class JcaAeadPeer implements AeadPeer {

  private final Cipher encryptor;
  private final Cipher decryptor;
  private final Key key;
  private final byte[] aad;

  public JcaAeadPeer(String provider, Key key) throws GeneralSecurityException {
    this(provider, key, null);
  }

  /** With {@code aad} (may be null) passed by {@code updateAAD} before every message. */
  public JcaAeadPeer(String provider, Key key, byte[] aad) throws GeneralSecurityException {
    this.encryptor = Cipher.getInstance("AES/GCM/NoPadding", provider);
    this.decryptor = Cipher.getInstance("AES/GCM/NoPadding", provider);
    this.key = key;
    this.aad = aad == null ? null : aad.clone();
  }

  @Override
  public Sealed encrypt(byte[] plaintext) throws GeneralSecurityException {
    encryptor.init(Cipher.ENCRYPT_MODE, key);
    if (aad != null) {
      encryptor.updateAAD(aad);
    }
    byte[] ct = encryptor.doFinal(plaintext);
    return new Sealed(ct, encryptor.getIV());
  }

  @Override
  public byte[] decrypt(Sealed sealed) throws GeneralSecurityException {
    decryptor.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(128, sealed.iv()));
    if (aad != null) {
      decryptor.updateAAD(aad);
    }
    return decryptor.doFinal(sealed.ciphertext());
  }
}
