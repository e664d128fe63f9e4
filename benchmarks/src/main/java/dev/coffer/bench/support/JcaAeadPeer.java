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

  public JcaAeadPeer(String provider, Key key) throws GeneralSecurityException {
    this.encryptor = Cipher.getInstance("AES/GCM/NoPadding", provider);
    this.decryptor = Cipher.getInstance("AES/GCM/NoPadding", provider);
    this.key = key;
  }

  @Override
  public Sealed encrypt(byte[] plaintext) throws GeneralSecurityException {
    encryptor.init(Cipher.ENCRYPT_MODE, key);
    byte[] ct = encryptor.doFinal(plaintext);
    return new Sealed(ct, encryptor.getIV());
  }

  @Override
  public byte[] decrypt(Sealed sealed) throws GeneralSecurityException {
    decryptor.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(128, sealed.iv()));
    return decryptor.doFinal(sealed.ciphertext());
  }
}
