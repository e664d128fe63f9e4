package dev.coffer.daemon.keystore;

import java.io.IOException;
import java.nio.file.Path;
import java.security.SecureRandom;
import javax.crypto.AEADBadTagException;

/**
 * The root (domain) key that protects everything the daemon keeps at rest: it wraps backing
 * keys, custom key store PINs and import wrapping keys, and keys the fingerprints of imported
 * material. Its own material never leaves its implementation: {@link SoftwareRootKey} (the
 * embedded default, a 0600 file) or a non-extractable key in a PKCS#11 token ({@code
 * keystore.pkcs11.Pkcs11RootKey}, chosen with {@code root-key-store=pkcs11}).
 */
public interface RootKey {

  /** Loads the software root key from {@code home}, creating it on first start. */
  static RootKey loadOrCreate(Path home, SecureRandom random) throws IOException {
    return SoftwareRootKey.loadOrCreate(home, random);
  }

  /** Wraps {@code material} under AES-GCM: returns {@code iv || ciphertext || tag}. */
  byte[] wrap(byte[] material, byte[] aad);

  /** Unwraps what {@link #wrap} produced; a wrong AAD or a modified blob fails. */
  byte[] unwrap(byte[] wrapped, byte[] aad) throws AEADBadTagException;

  /**
   * A keyed digest (HMAC-SHA256) of {@code data} for the purpose named by {@code label} and
   * {@code context}: only this daemon can compute it.
   */
  byte[] mac(String label, byte[] context, byte[] data);
}
