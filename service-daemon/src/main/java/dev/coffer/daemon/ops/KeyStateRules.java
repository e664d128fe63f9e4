package dev.coffer.daemon.ops;

import dev.coffer.daemon.keys.KeyRecord;
import dev.coffer.daemon.keys.KeyState;
import dev.coffer.protocol.ErrorType;
import dev.coffer.protocol.KmsException;

/**
 * Which operation is allowed in which key state, and the AWS exception otherwise: the table of
 * AWS's key-state reference ({@code developerguide/key-state.html}), reproduced in {@code
 * docs/operations.md}. Each method returns the key when allowed.
 *
 * <p>The pattern AWS follows: a <em>disabled</em> key refuses use with {@code
 * DisabledException}; every other unusable state (pending deletion, pending import,
 * unavailable) is {@code KMSInvalidStateException}.
 */
final class KeyStateRules {
  private KeyStateRules() {}

  /**
   * Encrypt, Decrypt, ReEncrypt, GenerateDataKey*, CreateGrant: only Enabled keys. Disabled is
   * {@code DisabledException}; pending deletion, pending import and unavailable are {@code
   * KMSInvalidStateException}.
   */
  static KeyRecord requireUsable(KeyRecord k) {
    switch (k.state()) {
      case Enabled:
        return k;
      case Disabled:
        throw disabled(k);
      case PendingDeletion:
        throw pendingDeletion(k, "it cannot be used; cancel-key-deletion (then enable-key) to use"
            + " it again");
      case PendingImport:
        throw pendingImport(k);
      default:
        throw new KmsException(ErrorType.INVALID_STATE,
            "key " + k.id() + " is unavailable; connect its custom key store");
    }
  }

  /** EnableKey, DisableKey. */
  static KeyRecord requireEnableable(KeyRecord k) {
    requireNotPendingDeletion(k);
    if (k.state() == KeyState.PendingImport) {
      throw pendingImport(k);
    }
    return k;
  }

  /** CreateAlias, UpdateAlias targets, tags, description, ScheduleKeyDeletion. */
  static KeyRecord requireNotPendingDeletion(KeyRecord k) {
    if (k.state() == KeyState.PendingDeletion) {
      throw pendingDeletion(k, "cancel-key-deletion first");
    }
    return k;
  }

  static KmsException pendingDeletion(KeyRecord k, String what) {
    return new KmsException(ErrorType.INVALID_STATE,
        "key " + k.id() + " is pending deletion; " + what);
  }

  /** Enable/DisableKeyRotation, GetKeyRotationStatus, RotateKeyOnDemand. */
  static KeyRecord requireRotatable(KeyRecord k) {
    requireRotatableOrigin(k);
    if (k.state() == KeyState.Disabled) {
      throw disabled(k);
    }
    requireNotPendingDeletion(k);
    return requireUsable(k);
  }

  private static void requireRotatableOrigin(KeyRecord k) {
    if (!SymmetricCryptoOperations.isSymmetric(k)) {
      // AWS: "Automatic key rotation is supported only on symmetric encryption KMS keys"; nor
      // does RotateKeyOnDemand rotate asymmetric or HMAC keys.
      throw new KmsException(ErrorType.UNSUPPORTED_OPERATION,
          "key " + k.id() + " is a " + k.keySpec() + " key; only SYMMETRIC_DEFAULT keys rotate."
              + " Create a new key and move the alias to it");
    }
    if (k.inCustomKeyStore()) {
      throw new KmsException(ErrorType.UNSUPPORTED_OPERATION,
          "key " + k.id() + " is in custom key store " + k.keyStore() + ", whose keys are never"
              + " rotated; create a new key in the store and move the alias to it");
    }
    if (k.isExternal()) {
      throw new KmsException(ErrorType.UNSUPPORTED_OPERATION,
          "key " + k.id() + " has imported key material (origin EXTERNAL), which Coffer cannot"
              + " rotate; create a new key, import new material, and move the alias");
    }
  }

  /**
   * GetKeyRotationStatus: the key's origin must allow rotation, but AWS answers in every state
   * but PendingImport and Unavailable (a disabled key keeps its setting; a key pending deletion
   * reports rotation disabled).
   */
  static KeyRecord requireRotationStatusReadable(KeyRecord k) {
    if (k.state() == KeyState.Disabled || k.state() == KeyState.PendingDeletion) {
      requireRotatableOrigin(k);
      return k;
    }
    return requireRotatable(k);
  }

  /** GetParametersForImport, ImportKeyMaterial, DeleteImportedKeyMaterial. */
  static KeyRecord requireExternal(KeyRecord k) {
    if (!k.isExternal()) {
      throw new KmsException(ErrorType.UNSUPPORTED_OPERATION,
          "key " + k.id() + " has origin " + k.origin() + "; key material can only be imported"
              + " into keys created with --origin EXTERNAL");
    }
    return k;
  }

  static KmsException disabled(KeyRecord k) {
    return new KmsException(ErrorType.DISABLED,
        "key " + k.id() + " is disabled; enable it with enable-key");
  }

  static KmsException pendingImport(KeyRecord k) {
    return new KmsException(ErrorType.INVALID_STATE,
        "key " + k.id() + " is pending import; import its key material with"
            + " get-parameters-for-import and import-key-material");
  }
}
