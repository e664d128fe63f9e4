package dev.coffer.daemon.keys;

/** AWS KMS key states Coffer implements. */
public enum KeyState {
  Enabled,
  Disabled,
  PendingDeletion,
  PendingImport,
  Unavailable
}
