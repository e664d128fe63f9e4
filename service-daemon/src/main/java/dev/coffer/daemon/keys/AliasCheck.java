package dev.coffer.daemon.keys;

import java.util.List;

/**
 * Checks an alias's target, in the writing transaction, before the alias is written
 * ({@link KeyRegistry#createAlias}, {@link KeyRegistry#updateAlias}); may refuse by throwing a
 * {@link dev.coffer.protocol.KmsException}.
 */
@FunctionalInterface
public interface AliasCheck {
  /**
   * @param target the target key's stored record
   * @param aliases the aliases stored for it now
   */
  void check(KeyRecord target, List<AliasRecord> aliases);
}
