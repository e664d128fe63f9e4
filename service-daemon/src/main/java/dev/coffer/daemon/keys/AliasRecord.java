package dev.coffer.daemon.keys;

import java.time.Instant;
import java.util.UUID;

/** An alias: a friendly name pointing at one KMS key. */
public record AliasRecord(String name, UUID targetKeyId, Instant creationDate, Instant lastUpdatedDate) {

  public AliasRecord retarget(UUID target, Instant now) {
    return new AliasRecord(name, target, creationDate, now);
  }
}
