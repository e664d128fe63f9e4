package dev.coffer.daemon.keystore;

import java.util.UUID;

/**
 * Where backing keys live and where cryptography with them happens: the seam between the
 * operation layer and the software store or a PKCS#11 token.
 *
 * <p>Contract: {@link #generate} returns the <em>stored form</em> the daemon persists — wrapped
 * material or a token reference, never plaintext key material. The operation layer only ever
 * holds stored forms and {@link BackingKey} objects.
 */
public interface KeyStoreBackend {

  /** Stable identifier persisted with every key version created here. */
  String id();

  /** Creates backing key material for a key version and returns its stored form. */
  byte[] generate(UUID keyId, int version);

  /**
   * Stores caller-supplied key material (BYOK import) for a key version and returns its stored
   * form.
   *
   * @throws UnsupportedOperationException when this store cannot accept material (e.g. a token
   *     whose keys must be generated inside it)
   */
  byte[] importMaterial(UUID keyId, int version, byte[] material);

  /**
   * A keyed fingerprint of key material: equal for equal material of one key, useless to anyone
   * without this store's secret. Lets re-import check "same material" after the material itself
   * was erased.
   */
  byte[] fingerprint(UUID keyId, byte[] material);

  /** Makes a stored backing key usable. */
  BackingKey open(UUID keyId, int version, byte[] stored);

  /** Destroys the material behind a stored form (the key was deleted). */
  void destroy(UUID keyId, int version, byte[] stored);
}
