package dev.coffer.daemon.keystore.pkcs11;

/**
 * Why a custom key store is {@code FAILED}: the {@code ConnectionErrorCode} of {@code
 * DescribeCustomKeyStores}. AWS names where one fits; the rest name the PKCS#11 equivalent of a
 * CloudHSM failure.
 */
public enum ConnectionErrorCode {
  /** The crypto-user PIN was refused (CKR_PIN_INCORRECT, CKR_PIN_LEN_RANGE). AWS name. */
  INVALID_CREDENTIALS,
  /** The token locked the user after too many wrong PINs (CKR_PIN_LOCKED). AWS name. */
  USER_LOCKED_OUT,
  /**
   * The PKCS#11 library file does not exist or is not a loadable PKCS#11 module (Coffer's
   * equivalent of AWS {@code CLUSTER_NOT_FOUND} for the module).
   */
  LIBRARY_NOT_FOUND,
  /** No token with the configured label or slot index is present (AWS: CLUSTER_NOT_FOUND). */
  TOKEN_NOT_FOUND,
  /**
   * The token stopped answering while connected: removed, re-initialised, or its store became
   * unreadable (Coffer's equivalent of AWS {@code NETWORK_ERRORS}).
   */
  TOKEN_ERRORS,
  /** Anything else; the daemon log has the detail. AWS name. */
  INTERNAL_ERROR
}
