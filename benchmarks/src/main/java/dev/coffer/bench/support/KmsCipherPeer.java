package dev.coffer.bench.support;

import java.security.GeneralSecurityException;
import java.security.Key;
import javax.crypto.Cipher;

/**
 * Coffer's direct {@code Encrypt}/{@code Decrypt} ({@code Cipher KMS}): every message is one
 * round trip to the daemon, which seals it under the KMS key wherever that key lives.
 */
public final class KmsCipherPeer implements AeadPeer {

  private final Cipher encryptor;
  private final Cipher decryptor;
  private final Key key;

  public KmsCipherPeer(Key key) throws GeneralSecurityException {
    this.encryptor = Cipher.getInstance("KMS", "Coffer");
    this.decryptor = Cipher.getInstance("KMS", "Coffer");
    this.key = key;
  }

  @Override
  public Sealed encrypt(byte[] plaintext) throws GeneralSecurityException {
    encryptor.init(Cipher.ENCRYPT_MODE, key);
    return new Sealed(encryptor.doFinal(plaintext), null);
  }

  @Override
  public byte[] decrypt(Sealed sealed) throws GeneralSecurityException {
    decryptor.init(Cipher.DECRYPT_MODE, key);
    return decryptor.doFinal(sealed.ciphertext());
  }
}
