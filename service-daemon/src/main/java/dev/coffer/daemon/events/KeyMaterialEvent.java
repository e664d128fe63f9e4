package dev.coffer.daemon.events;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.protocol.Json;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.UUID;

/**
 * One imported-key-material event in Amazon EventBridge's shape (version, id, detail-type,
 * source, account, time, region, resources, detail), as AWS KMS sends {@code KMS Imported Key
 * Material Expiration} (AWS KMS Developer Guide, "Monitor KMS keys with Amazon EventBridge").
 * The warning before expiry is Coffer's own: AWS has a CloudWatch metric for it instead ({@code
 * SecondsUntilKeyMaterialExpiration}), so it has its own detail-type and the same source.
 *
 * @param id the event's id (a UUID): the same on every delivery attempt, so a receiver can
 *     drop repeats
 * @param time when the daemon raised it
 * @param keyId the KMS key
 * @param keyArn its ARN
 * @param materialId the imported key material's id (64 hex digits)
 * @param validTo when the material expires (or expired)
 * @param leadDays for a warning, the configured lead time it answers, days; 0 for the
 *     expiration itself
 */
public record KeyMaterialEvent(UUID id, Instant time, UUID keyId, String keyArn,
    String materialId, Instant validTo, int leadDays) {

  /** AWS KMS's detail-type for expired imported material. */
  public static final String EXPIRATION = "KMS Imported Key Material Expiration";
  /** Coffer's detail-type for the warnings before it. */
  public static final String WARNING = "KMS Imported Key Material Expiration Warning";
  /** The {@code source} of AWS KMS's events. */
  public static final String SOURCE = "aws.kms";

  public KeyMaterialEvent {
    if (leadDays < 0) {
      throw new IllegalArgumentException("leadDays must be 0 (expiration) or more (warning)");
    }
  }

  /** True for a warning, false for the expiration. */
  public boolean warning() {
    return leadDays > 0;
  }

  /** {@link #EXPIRATION} or {@link #WARNING}. */
  public String detailType() {
    return warning() ? WARNING : EXPIRATION;
  }

  /** The audit record's {@code eventName}. */
  public String auditEventName() {
    return warning() ? "ImportedKeyMaterialExpirationWarning" : "ImportedKeyMaterialExpiration";
  }

  /**
   * The event as JSON: {@code detail} holds {@code key-id} (the key's id, as AWS's KMS events
   * do) and {@code key-material-id}; a warning adds {@code expiration-time} (ISO-8601 UTC),
   * {@code warning-days} and {@code seconds-until-expiration}.
   */
  public ObjectNode toJson(String region, String account) {
    ObjectNode e = Json.object();
    e.put("version", "0");
    e.put("id", id.toString());
    e.put("detail-type", detailType());
    e.put("source", SOURCE);
    e.put("account", account);
    e.put("time", time.truncatedTo(ChronoUnit.SECONDS).toString());
    e.put("region", region);
    e.putArray("resources").add(keyArn);
    ObjectNode d = e.putObject("detail");
    d.put("key-id", keyId.toString());
    d.put("key-material-id", materialId);
    if (warning()) {
      d.put("expiration-time", validTo.truncatedTo(ChronoUnit.SECONDS).toString());
      d.put("warning-days", leadDays);
      d.put("seconds-until-expiration",
          Math.max(0, Duration.between(time, validTo).toSeconds()));
    }
    return e;
  }
}
