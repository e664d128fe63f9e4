package dev.coffer.daemon.keystore;

import javax.crypto.AEADBadTagException;

/**
 * One usable version of a KMS key's backing key, inside a key store. Callers never see its
 * material; they hand it data to seal or open.
 */
public interface BackingKey {

  /**
   * Encrypts under a key derived for this request.
   *
   * @param nonce random per-request value that the derivation binds (may be ignored by stores
   *     that cannot derive, e.g. a token without HMAC on AES keys)
   * @param iv 12-byte GCM IV, fresh per request
   * @param aad authenticated header and encryption context
   * @return ciphertext followed by the 16-byte tag
   */
  byte[] seal(byte[] nonce, byte[] iv, byte[] plaintext, byte[] aad);

  /** Inverse of {@link #seal}; a wrong tag, key or AAD is an {@link AEADBadTagException}. */
  byte[] open(byte[] nonce, byte[] iv, byte[] sealed, byte[] aad) throws AEADBadTagException;

  /** Erases any material this object holds; it is unusable afterwards. */
  void destroy();
}
