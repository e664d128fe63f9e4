package dev.coffer.daemon.storage;

import java.util.UUID;

/**
 * One thing a transaction changed, as far as {@link Tx}'s methods know: what a {@link
 * CommitScope} names its audit record after.
 *
 * @param kind what happened to the key
 * @param keyId the key
 * @param detail for {@link Kind#VERSION_ADDED}, the rotation type ({@code AUTOMATIC}, {@code
 *     ON_DEMAND}, or null for a first or imported version); otherwise null
 */
public record Change(Kind kind, UUID keyId, String detail) {

  /** Kinds of change. */
  public enum Kind { KEY_CREATED, KEY_UPDATED, KEY_DELETED, VERSION_ADDED, VERSIONS_DELETED }
}
