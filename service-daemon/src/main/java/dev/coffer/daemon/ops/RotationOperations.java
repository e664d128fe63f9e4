package dev.coffer.daemon.ops;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.daemon.keys.BackingKeys;
import dev.coffer.daemon.keys.KeyMaterial;
import dev.coffer.daemon.keys.KeyRecord;
import dev.coffer.daemon.keys.KeyRegistry;
import dev.coffer.daemon.keys.KeyResolver;
import dev.coffer.daemon.keys.KeyState;
import dev.coffer.protocol.ErrorType;
import dev.coffer.protocol.Json;
import dev.coffer.protocol.KmsException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Key rotation: automatic (a period of 90–2560 days, default 365) and on demand (at most 25 per
 * key). A rotation adds a backing key version; the newest encrypts, every version keeps
 * decrypting, so no ciphertext needs rewriting. A key with imported material rotates only on
 * demand, to material imported beforehand with {@code ImportType NEW_KEY_MATERIAL} (see {@link
 * KeyMaterials}).
 */
final class RotationOperations {

  private static final Logger LOG = Logger.getLogger(RotationOperations.class.getName());
  static final int DEFAULT_PERIOD_DAYS = 365;
  static final int MIN_PERIOD_DAYS = 90;
  static final int MAX_PERIOD_DAYS = 2560;
  static final int MAX_ON_DEMAND_ROTATIONS = 25;
  static final String AUTOMATIC = "AUTOMATIC";
  static final String ON_DEMAND = "ON_DEMAND";
  static final String ALL_KEY_MATERIAL = "ALL_KEY_MATERIAL";
  static final String ROTATIONS_ONLY = "ROTATIONS_ONLY";

  private final KeyRegistry registry;
  private final KeyResolver resolver;
  private final BackingKeys backingKeys;
  private final Clock clock;

  private final KeyEvents events;

  RotationOperations(KeyRegistry registry, KeyResolver resolver, BackingKeys backingKeys,
      Clock clock, KeyEvents events) {
    this.events = events;
    this.registry = registry;
    this.resolver = resolver;
    this.backingKeys = backingKeys;
    this.clock = clock;
  }

  void register(OperationTable table) {
    table.register("EnableKeyRotation", Set.of("KeyId", "RotationPeriodInDays"),
        this::enableKeyRotation);
    table.register("DisableKeyRotation", Set.of("KeyId"), this::disableKeyRotation);
    table.register("GetKeyRotationStatus", Set.of("KeyId"), this::getKeyRotationStatus);
    table.register("RotateKeyOnDemand", Set.of("KeyId"), this::rotateKeyOnDemand);
    table.register("ListKeyRotations", Set.of("KeyId", "Limit", "Marker", "IncludeKeyMaterial"),
        this::listKeyRotations);
  }

  private ObjectNode enableKeyRotation(Caller caller, Input in) {
    KeyRecord k = resolver.resolveKeyOnly(in.requiredString("KeyId"));
    int period = in.integer("RotationPeriodInDays", MIN_PERIOD_DAYS, MAX_PERIOD_DAYS,
        DEFAULT_PERIOD_DAYS);
    Instant now = clock.instant();
    registry.update(k.id(), cur -> {
      requireAutomaticRotation(cur);
      // A changed period counts from the start of the current one, as AWS does.
      Instant start = cur.rotationEnabled()
          ? cur.nextRotationDate().minus(Duration.ofDays(cur.rotationPeriodDays())) : now;
      return cur.toBuilder().rotation(period, start.plus(Duration.ofDays(period))).build();
    });
    return Json.object();
  }

  private ObjectNode disableKeyRotation(Caller caller, Input in) {
    KeyRecord k = resolver.resolveKeyOnly(in.requiredString("KeyId"));
    registry.update(k.id(),
        cur -> requireAutomaticRotation(cur).toBuilder().rotation(0, null).build());
    return Json.object();
  }

  private ObjectNode getKeyRotationStatus(Caller caller, Input in) {
    KeyRecord k = requireRotationStatusReadable(
        resolver.resolveKeyOnly(in.requiredString("KeyId")));
    // AWS: a key pending deletion reports rotation disabled; cancelling restores the setting.
    boolean enabled = k.rotationEnabled() && k.state() != KeyState.PendingDeletion;
    ObjectNode out = Json.object();
    out.put("KeyId", resolver.keyArn(k.id()));
    out.put("KeyRotationEnabled", enabled);
    if (enabled) {
      out.put("RotationPeriodInDays", k.rotationPeriodDays());
      out.put("NextRotationDate", Responses.epochSeconds(k.nextRotationDate()));
    }
    return out;
  }

  /**
   * The key-state checks of the rotation operations, in AWS's order: state first, so a key with
   * imported material that is pending import is {@code KMSInvalidStateException} (and a
   * disabled one {@code DisabledException}), not an origin refusal.
   */
  private static KeyRecord requireRotatableState(KeyRecord k) {
    if (!k.isExternal()) {
      return KeyStateRules.requireRotatable(k);
    }
    KeyStateRules.requireNotPendingDeletion(k);
    return KeyStateRules.requireUsable(k);
  }

  /**
   * GetKeyRotationStatus: an EXTERNAL key (never rotated automatically, so its status is off)
   * answers in every state but PendingImport, the state AWS checks first.
   */
  private static KeyRecord requireRotationStatusReadable(KeyRecord k) {
    if (!k.isExternal()) {
      return KeyStateRules.requireRotationStatusReadable(k);
    }
    if (k.state() == KeyState.PendingImport) {
      throw KeyStateRules.pendingImport(k);
    }
    return k;
  }

  /** Enable/DisableKeyRotation: automatic rotation never applies to imported material. */
  private static KeyRecord requireAutomaticRotation(KeyRecord k) {
    requireRotatableState(k);
    if (k.isExternal()) {
      throw new KmsException(ErrorType.UNSUPPORTED_OPERATION,
          "key " + k.id() + " has imported key material (origin EXTERNAL), which is never"
              + " rotated automatically; import new material with import-key-material"
              + " --import-type NEW_KEY_MATERIAL, then rotate-key-on-demand");
    }
    return k;
  }

  private static void requireOnDemandQuota(KeyRecord cur) {
    if (cur.onDemandRotations() >= MAX_ON_DEMAND_ROTATIONS) {
      throw new KmsException(ErrorType.LIMIT_EXCEEDED,
          "key " + cur.id() + " has been rotated on demand " + MAX_ON_DEMAND_ROTATIONS
              + " times, the limit; create a new key and move its alias (keys of origin AWS_KMS"
              + " can also rotate automatically: enable-key-rotation)");
    }
  }

  private ObjectNode rotateKeyOnDemand(Caller caller, Input in) {
    KeyRecord k = resolver.resolveKeyOnly(in.requiredString("KeyId"));
    Instant now = clock.instant();
    if (k.isExternal()) {
      // Imported material: the material imported with NEW_KEY_MATERIAL becomes current.
      registry.changeMaterials(k.id(), now, null, (cur, materials) -> {
        requireRotatableState(cur);
        requireOnDemandQuota(cur);
        return KeyMaterials.planRotation(cur, materials, now);
      });
    } else {
      registry.addVersion(k.id(), now, ON_DEMAND, cur -> {
        requireRotatableState(cur);
        requireOnDemandQuota(cur);
        return cur.toBuilder().onDemandRotations(cur.onDemandRotations() + 1).build();
      }, this::newVersion);
    }
    ObjectNode out = Json.object();
    out.put("KeyId", resolver.keyArn(k.id()));
    return out;
  }

  /**
   * Lists a key's materials (AWS {@code RotationsListEntry}): by default those that rotations
   * made current; with {@code IncludeKeyMaterial ALL_KEY_MATERIAL} also the first material and
   * imported material pending rotation. Import fields only for keys with imported material.
   */
  private ObjectNode listKeyRotations(Caller caller, Input in) {
    String keyRef = in.requiredString("KeyId");
    String include = in.string("IncludeKeyMaterial");
    if (include != null && !include.equals(ALL_KEY_MATERIAL) && !include.equals(ROTATIONS_ONLY)) {
      throw Input.invalid("IncludeKeyMaterial", "must be " + ALL_KEY_MATERIAL + " or "
          + ROTATIONS_ONLY + ", got " + include);
    }
    KeyRecord k = resolver.resolveKeyOnly(keyRef);
    boolean all = ALL_KEY_MATERIAL.equals(include);
    List<KeyMaterial> listed = new ArrayList<>();
    for (KeyMaterial m : registry.materials(k.id())) {
      if (all || m.rotationType() != null) {
        listed.add(m);
      }
    }
    ObjectNode out = Json.object();
    Paging.page(listed, m -> String.format("%010d", m.version()), m -> rotationJson(k, m), in,
        100, 1000, "Rotations", out);
    return out;
  }

  private ObjectNode rotationJson(KeyRecord k, KeyMaterial m) {
    ObjectNode e = Json.object().put("KeyId", resolver.keyArn(k.id()))
        .put("KeyMaterialId", m.id())
        .put("KeyMaterialState", m.state(k));
    if (m.rotationType() != null) {
      e.put("RotationDate", Responses.epochSeconds(m.rotationDate()))
          .put("RotationType", m.rotationType());
    }
    if (k.isExternal()) {
      e.put("ImportState", m.imported() ? "IMPORTED" : "PENDING_IMPORT");
      if (m.expirationModel() != null) {
        e.put("ExpirationModel", m.expirationModel());
      }
      if (m.validTo() != null) {
        e.put("ValidTo", Responses.epochSeconds(m.validTo()));
      }
      if (m.description() != null) {
        e.put("KeyMaterialDescription", m.description());
      }
    }
    return e;
  }

  private byte[] newVersion(KeyRecord key, int version) {
    return backingKeys.store(key.keyStore()).generate(key.id(), version);
  }

  /**
   * Rotates every Enabled key whose automatic rotation is due. Each rotation is one
   * transaction that also moves the next due date, so a crash never rotates a due date twice
   * and a rotation missed while the daemon was down happens once at the next check.
   *
   * @return how many keys were rotated
   */
  int rotateDueKeys() {
    Instant now = clock.instant();
    int rotated = 0;
    for (KeyRecord k : registry.all()) {
      if (!isDue(k, now)) {
        continue;
      }
      try {
        registry.addVersion(k.id(), now, AUTOMATIC, cur -> {
          if (!isDue(cur, now)) {
            throw new KmsException(ErrorType.CONFLICT, "no longer due");
          }
          Instant next = cur.nextRotationDate().plus(Duration.ofDays(cur.rotationPeriodDays()));
          if (!next.isAfter(now)) {
            next = now.plus(Duration.ofDays(cur.rotationPeriodDays()));
          }
          return cur.toBuilder().rotation(cur.rotationPeriodDays(), next).build();
        }, this::newVersion);
        events.record("RotateKey", k.id());
        rotated++;
      } catch (KmsException raced) {
        // disabled, deleted or rotated between the scan and the lock: skip it
      } catch (RuntimeException e) {
        LOG.log(Level.SEVERE, "automatic rotation of " + k.id() + " failed; will retry", e);
      }
    }
    return rotated;
  }

  private static boolean isDue(KeyRecord k, Instant now) {
    return k.state() == KeyState.Enabled && k.rotationEnabled() && !k.isExternal()
        && !k.nextRotationDate().isAfter(now);
  }
}
