package dev.coffer.daemon.keys;

import java.time.Instant;
import java.util.Collections;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.UUID;

/**
 * The durable metadata of one KMS key. Immutable: every change makes a new record through
 * {@link #toBuilder()}.
 *
 * @param currentVersion the backing key version that encrypts (its material is {@code CURRENT});
 *     0 until an imported key's first material. Imported material pending rotation has a higher
 *     version until {@code RotateKeyOnDemand} makes it current.
 * @param rotationPeriodDays automatic rotation period; 0 when automatic rotation is disabled
 * @param nextRotationDate when automatic rotation is next due; null when disabled
 * @param onDemandRotations how many times {@code RotateKeyOnDemand} has rotated this key
 * @param expirationModel for imported material: {@code KEY_MATERIAL_EXPIRES} while any present
 *     permanent material expires, else {@code KEY_MATERIAL_DOES_NOT_EXPIRE}; null without
 *     imported material (kept from the key's {@link KeyMaterial}s)
 * @param validTo the earliest expiry of present permanent imported material; null when none
 *     expires
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
    int rotationPeriodDays,
    Instant nextRotationDate,
    int onDemandRotations,
    String expirationModel,
    Instant validTo,
    SortedMap<String, String> tags) {

  public static final String ORIGIN_AWS_KMS = "AWS_KMS";
  public static final String ORIGIN_EXTERNAL = "EXTERNAL";
  /** A key in a custom key store (AWS's name; here a PKCS#11 token). */
  public static final String ORIGIN_AWS_CLOUDHSM = "AWS_CLOUDHSM";

  public KeyRecord {
    tags = Collections.unmodifiableSortedMap(new TreeMap<>(tags));
  }

  public boolean isExternal() {
    return ORIGIN_EXTERNAL.equals(origin);
  }

  public boolean inCustomKeyStore() {
    return ORIGIN_AWS_CLOUDHSM.equals(origin);
  }

  public boolean rotationEnabled() {
    return rotationPeriodDays > 0;
  }

  public Builder toBuilder() {
    return new Builder(this);
  }

  public static Builder builder(UUID id, Instant creationDate) {
    Builder b = new Builder();
    b.id = id;
    b.creationDate = creationDate;
    return b;
  }

  /** Builds changed copies; unset fields keep their values. */
  public static final class Builder {
    private UUID id;
    private Instant creationDate;
    private String description = "";
    private KeyState state = KeyState.Enabled;
    private String keyUsage = "ENCRYPT_DECRYPT";
    private String keySpec = "SYMMETRIC_DEFAULT";
    private String origin = ORIGIN_AWS_KMS;
    private String keyStore;
    private Instant deletionDate;
    private int pendingWindowInDays;
    private int currentVersion;
    private int rotationPeriodDays;
    private Instant nextRotationDate;
    private int onDemandRotations;
    private String expirationModel;
    private Instant validTo;
    private SortedMap<String, String> tags = new TreeMap<>();

    private Builder() {}

    private Builder(KeyRecord k) {
      id = k.id;
      creationDate = k.creationDate;
      description = k.description;
      state = k.state;
      keyUsage = k.keyUsage;
      keySpec = k.keySpec;
      origin = k.origin;
      keyStore = k.keyStore;
      deletionDate = k.deletionDate;
      pendingWindowInDays = k.pendingWindowInDays;
      currentVersion = k.currentVersion;
      rotationPeriodDays = k.rotationPeriodDays;
      nextRotationDate = k.nextRotationDate;
      onDemandRotations = k.onDemandRotations;
      expirationModel = k.expirationModel;
      validTo = k.validTo;
      tags = k.tags;
    }

    public Builder description(String v) {
      description = v;
      return this;
    }

    /** Sets the state; leaving PendingDeletion clears the deletion date and window. */
    public Builder state(KeyState v) {
      state = v;
      if (v != KeyState.PendingDeletion) {
        deletionDate = null;
        pendingWindowInDays = 0;
      }
      return this;
    }

    public Builder pendingDeletion(Instant when, int days) {
      state = KeyState.PendingDeletion;
      deletionDate = when;
      pendingWindowInDays = days;
      return this;
    }

    public Builder keyUsage(String v) {
      keyUsage = v;
      return this;
    }

    public Builder keySpec(String v) {
      keySpec = v;
      return this;
    }

    public Builder origin(String v) {
      origin = v;
      return this;
    }

    public Builder keyStore(String v) {
      keyStore = v;
      return this;
    }

    public Builder currentVersion(int v) {
      currentVersion = v;
      return this;
    }

    public Builder rotation(int periodDays, Instant next) {
      rotationPeriodDays = periodDays;
      nextRotationDate = next;
      return this;
    }

    public Builder onDemandRotations(int v) {
      onDemandRotations = v;
      return this;
    }

    public Builder importedMaterial(String model, Instant expires) {
      expirationModel = model;
      validTo = expires;
      return this;
    }

    public Builder tags(SortedMap<String, String> v) {
      tags = v;
      return this;
    }

    public KeyRecord build() {
      return new KeyRecord(id, creationDate, description, state, keyUsage, keySpec, origin,
          keyStore, deletionDate, pendingWindowInDays, currentVersion, rotationPeriodDays,
          nextRotationDate, onDemandRotations, expirationModel, validTo, tags);
    }
  }
}
