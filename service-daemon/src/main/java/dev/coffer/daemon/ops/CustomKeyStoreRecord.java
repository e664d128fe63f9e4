package dev.coffer.daemon.ops;

import dev.coffer.daemon.keystore.pkcs11.Pkcs11Config;
import java.time.Instant;

/**
 * One custom key store as stored: its token and its crypto-user PIN, wrapped under the root key
 * ({@link StorePins}).
 *
 * @param id {@code cks-} and 17 hex digits
 * @param name the {@code CustomKeyStoreName}, unique
 * @param config where its PKCS#11 token is
 * @param wrappedPin the PIN, wrapped; never the PIN itself
 * @param created the store's {@code CreationDate}
 */
record CustomKeyStoreRecord(String id, String name, Pkcs11Config config, byte[] wrappedPin,
    Instant created) {}
