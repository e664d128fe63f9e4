package dev.coffer.daemon.keys;

import java.time.Instant;
import java.util.Collections;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.UUID;

/**
 * The durable metadata of one KMS key. Immutable: every change makes a new record.
 *
 * @param stateBeforeDeletion not used by AWS semantics (cancel always goes to Disabled), kept
 *     null; reserved for custom key stores' Unavailable state
 */
public record KeyRecord(
    UUID id,
    Instant creationDate,
    String description,
    KeyState state,
    String keyUsage,
    String keySpec,
    String origin,
    String keyStore,
    Instant deletionDate,
    int pendingWindowInDays,
    int currentVersion,
    SortedMap<String, String> tags) {

  public KeyRecord {
    tags = Collections.unmodifiableSortedMap(new TreeMap<>(tags));
  }

  public KeyRecord withState(KeyState s) {
    return new KeyRecord(id, creationDate, description, s, keyUsage, keySpec, origin, keyStore,
        s == KeyState.PendingDeletion ? deletionDate : null,
        s == KeyState.PendingDeletion ? pendingWindowInDays : 0, currentVersion, tags);
  }

  public KeyRecord withPendingDeletion(Instant when, int days) {
    return new KeyRecord(id, creationDate, description, KeyState.PendingDeletion, keyUsage,
        keySpec, origin, keyStore, when, days, currentVersion, tags);
  }

  public KeyRecord withDescription(String d) {
    return new KeyRecord(id, creationDate, d, state, keyUsage, keySpec, origin, keyStore,
        deletionDate, pendingWindowInDays, currentVersion, tags);
  }

  public KeyRecord withTags(SortedMap<String, String> t) {
    return new KeyRecord(id, creationDate, description, state, keyUsage, keySpec, origin,
        keyStore, deletionDate, pendingWindowInDays, currentVersion, t);
  }
}
