package dev.coffer.bench.support;

import java.security.GeneralSecurityException;

/**
 * One way to seal and open a message, so that Coffer and the libraries users would pick instead
 * run the same benchmark body. Instances are used by one thread.
 */
public interface AeadPeer {

  /** Ciphertext and the nonce the caller must keep beside it (empty when self-describing). */
  record Sealed(byte[] ciphertext, byte[] iv) {}

  Sealed encrypt(byte[] plaintext) throws GeneralSecurityException;

  byte[] decrypt(Sealed sealed) throws GeneralSecurityException;
}
