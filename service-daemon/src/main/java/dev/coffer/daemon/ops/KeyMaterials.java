package dev.coffer.daemon.ops;

import dev.coffer.daemon.keys.KeyMaterial;
import dev.coffer.daemon.keys.KeyRecord;
import dev.coffer.daemon.keys.KeyState;
import dev.coffer.daemon.keys.MaterialChange;
import dev.coffer.protocol.ErrorType;
import dev.coffer.protocol.KmsException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.IntFunction;
import java.util.regex.Pattern;

/**
 * The rules for the several key materials of a key with imported material (KMS API reference:
 * {@code ImportKeyMaterial}, {@code DeleteImportedKeyMaterial}, {@code RotateKeyOnDemand},
 * {@code RotationsListEntry}; developer guide, "Import key material" and "Delete imported key
 * material"). Each {@code plan…} method turns the current record and materials into one {@link
 * MaterialChange}, or refuses with the AWS exception.
 *
 * <ul>
 *   <li>The first material imported becomes current and permanent. Later material is imported
 *       with {@code ImportType NEW_KEY_MATERIAL} as the next version, {@code PENDING_ROTATION};
 *       {@code RotateKeyOnDemand} makes it current. At most one material waits at a time.
 *   <li>{@code ImportType} defaults to {@code NEW_KEY_MATERIAL} for a key without material and
 *       to {@code EXISTING_KEY_MATERIAL} after that: a re-import of material the key has (to
 *       restore it after deletion or expiry, or to change its expiry or description).
 *   <li>Deleting or losing (expiry) any permanent material makes the key {@code PendingImport}
 *       (unless it is pending deletion) until every permanent material is imported again.
 *       Material pending rotation is not permanent: deleting it forgets it, so different
 *       material can take its place.
 * </ul>
 */
final class KeyMaterials {
  private KeyMaterials() {}

  static final String NEW = "NEW_KEY_MATERIAL";
  static final String EXISTING = "EXISTING_KEY_MATERIAL";
  static final int MAX_DESCRIPTION = 256;
  /** {@code KeyMaterialDescriptionType}'s pattern in the API reference. */
  private static final Pattern DESCRIPTION = Pattern.compile("[a-zA-Z0-9:/_\\s.-]+");
  /** {@code BackingKeyIdType}: exactly 64 lowercase hex digits. */
  private static final Pattern MATERIAL_ID = Pattern.compile("[a-f0-9]{64}");

  /** What one {@code ImportKeyMaterial} asks for, checked except against the key. */
  record Import(String id, String importType, String expectedId, String expirationModel,
      Instant validTo, String description) {}

  /** The optional {@code KeyMaterialDescription}, checked against the API reference. */
  static String description(Input in) {
    String d = in.string("KeyMaterialDescription");
    if (d == null) {
      return null;
    }
    if (d.codePointCount(0, d.length()) > MAX_DESCRIPTION
        || !(d.isEmpty() || DESCRIPTION.matcher(d).matches())) {
      throw Input.invalid("KeyMaterialDescription", "must be at most " + MAX_DESCRIPTION
          + " characters of letters, digits, spaces and : / _ . -");
    }
    return d;
  }

  /** The optional {@code KeyMaterialId}, checked: 64 lowercase hex digits. */
  static String materialId(Input in) {
    String id = in.string("KeyMaterialId");
    if (id != null && !MATERIAL_ID.matcher(id).matches()) {
      throw Input.invalid("KeyMaterialId", "must be 64 lowercase hex digits, as list-key-rotations"
          + " --include-key-material ALL_KEY_MATERIAL shows them");
    }
    return id;
  }

  static KeyMaterial byId(List<KeyMaterial> materials, String id) {
    byte[] want = id.getBytes(StandardCharsets.US_ASCII);
    KeyMaterial found = null;
    for (KeyMaterial m : materials) {
      // Ids derive from keyed fingerprints of material: compare without an early exit anyway.
      if (MessageDigest.isEqual(want, m.id().getBytes(StandardCharsets.US_ASCII))) {
        found = m;
      }
    }
    return found;
  }

  static KeyMaterial pendingRotation(KeyRecord key, List<KeyMaterial> materials) {
    for (KeyMaterial m : materials) {
      if (!m.permanent(key)) {
        return m;
      }
    }
    return null;
  }

  /**
   * Plans an import.
   *
   * @param stored makes the stored form of the material for a version (called at most once)
   */
  static MaterialChange planImport(KeyRecord cur, List<KeyMaterial> materials, Import req,
      IntFunction<byte[]> stored) {
    String type = req.importType() != null ? req.importType()
        : materials.isEmpty() ? NEW : EXISTING;
    KeyMaterial same = byId(materials, req.id());
    if (type.equals(NEW)) {
      if (same != null) {
        throw new KmsException(ErrorType.INCORRECT_KEY_MATERIAL,
            "this key material is already associated with key " + cur.id() + " as key material "
                + same.id() + "; re-import it with --import-type " + EXISTING);
      }
      KeyMaterial pending = pendingRotation(cur, materials);
      if (pending != null) {
        throw new KmsException(ErrorType.INVALID_STATE,
            "key " + cur.id() + " already has key material " + pending.id() + " pending"
                + " rotation; rotate-key-on-demand to make it current, or"
                + " delete-imported-key-material --key-material-id " + pending.id()
                + " to import other material in its place");
      }
      int version = materials.isEmpty() ? 1 : materials.get(materials.size() - 1).version() + 1;
      KeyMaterial m = new KeyMaterial(version, req.id(), null, null, true,
          req.expirationModel(), req.validTo(), req.description());
      KeyRecord next = materials.isEmpty() ? cur.toBuilder().currentVersion(1).build() : cur;
      return change(next, materials, List.of(m), Map.of(version, stored.apply(version)),
          Set.of(), Set.of());
    }
    if (materials.isEmpty()) {
      throw new KmsException(ErrorType.INCORRECT_KEY_MATERIAL,
          "key " + cur.id() + " has no key material yet, so there is none to re-import; import"
              + " its first material with --import-type " + NEW + " (the default)");
    }
    if (same == null) {
      throw new KmsException(ErrorType.INCORRECT_KEY_MATERIAL,
          "this is not key material of key " + cur.id() + "; re-import only material the key"
              + " already has (list-key-rotations --include-key-material ALL_KEY_MATERIAL lists"
              + " their ids), or import new material with --import-type " + NEW);
    }
    if (req.expectedId() != null && !req.expectedId().equals(same.id())) {
      throw new KmsException(ErrorType.INCORRECT_KEY_MATERIAL,
          "this key material has id " + same.id() + ", not the KeyMaterialId "
              + req.expectedId() + " given; wrap and import the material with that id");
    }
    KeyMaterial m = same.reimported(req.expirationModel(), req.validTo(), req.description());
    Map<Integer, byte[]> store = same.imported() ? Map.of()
        : Map.of(same.version(), stored.apply(same.version()));
    return change(cur, materials, List.of(m), store, Set.of(), Set.of());
  }

  /**
   * Plans erasing the given versions: permanent material stays listed as absent ({@code
   * PENDING_IMPORT}), material pending rotation is forgotten.
   */
  static MaterialChange planErase(KeyRecord cur, List<KeyMaterial> materials,
      Set<Integer> versions) {
    List<KeyMaterial> put = new ArrayList<>();
    Set<Integer> erase = new TreeSet<>();
    Set<Integer> forget = new TreeSet<>();
    for (KeyMaterial m : materials) {
      if (!versions.contains(m.version())) {
        continue;
      }
      if (m.permanent(cur)) {
        put.add(m.erased());
        erase.add(m.version());
      } else {
        forget.add(m.version());
      }
    }
    return change(cur, materials, put, Map.of(), erase, forget);
  }

  /**
   * Plans {@code RotateKeyOnDemand} of a key with imported material: the material pending
   * rotation becomes current, and the rotation counts towards the on-demand limit.
   */
  static MaterialChange planRotation(KeyRecord cur, List<KeyMaterial> materials, Instant now) {
    KeyMaterial pending = pendingRotation(cur, materials);
    if (pending == null || !pending.imported()) {
      throw new KmsException(ErrorType.INVALID_STATE,
          "key " + cur.id() + " has imported key material and none is pending rotation; import"
              + " the new material first with import-key-material --import-type " + NEW);
    }
    KeyRecord next = cur.toBuilder().currentVersion(pending.version())
        .onDemandRotations(cur.onDemandRotations() + 1).build();
    return change(next, materials, List.of(pending.rotated(RotationOperations.ON_DEMAND, now)),
        Map.of(), Set.of(), Set.of());
  }

  /** The versions of imported material whose {@code ValidTo} has passed. */
  static Set<Integer> expired(List<KeyMaterial> materials, Instant now) {
    Set<Integer> out = new TreeSet<>();
    for (KeyMaterial m : materials) {
      if (m.imported() && m.validTo() != null && !m.validTo().isAfter(now)) {
        out.add(m.version());
      }
    }
    return out;
  }

  /**
   * The material {@code DeleteImportedKeyMaterial} deletes: the one named, or else the current
   * one; null when the key has none yet.
   */
  static KeyMaterial deletionTarget(KeyRecord cur, List<KeyMaterial> materials, String id) {
    if (id == null) {
      for (KeyMaterial m : materials) {
        if (m.version() == cur.currentVersion()) {
          return m.imported() ? m : null;
        }
      }
      return null;
    }
    KeyMaterial m = byId(materials, id);
    if (m == null) {
      throw new KmsException(ErrorType.NOT_FOUND,
          "key " + cur.id() + " has no key material " + id + "; list-key-rotations --key-id "
              + cur.id() + " --include-key-material ALL_KEY_MATERIAL lists its materials");
    }
    return m.imported() ? m : null;
  }

  /**
   * Completes a change: the key's state and its {@code ExpirationModel}/{@code ValidTo} follow
   * from its materials after the change.
   */
  private static MaterialChange change(KeyRecord next, List<KeyMaterial> before,
      List<KeyMaterial> put, Map<Integer, byte[]> store, Set<Integer> erase,
      Set<Integer> forget) {
    List<KeyMaterial> after = new ArrayList<>();
    for (KeyMaterial m : before) {
      if (!forget.contains(m.version())
          && put.stream().noneMatch(p -> p.version() == m.version())) {
        after.add(m);
      }
    }
    after.addAll(put);
    return new MaterialChange(settle(next, after), put, store, erase, forget);
  }

  /**
   * The key's state and expiry from its materials. {@code KeyMetadata.ValidTo} is the earliest
   * expiry of permanent material (API reference); its {@code ExpirationModel} is {@code
   * KEY_MATERIAL_EXPIRES} while any permanent material expires. A key missing permanent
   * material is {@code PendingImport}; one that has it all again leaves {@code PendingImport}
   * for {@code Enabled}, as {@code ImportKeyMaterial} documents. A key pending deletion keeps
   * that state.
   */
  static KeyRecord settle(KeyRecord k, List<KeyMaterial> materials) {
    boolean complete = !materials.isEmpty();
    boolean anyImported = false;
    Instant validTo = null;
    for (KeyMaterial m : materials) {
      if (!m.permanent(k)) {
        continue;
      }
      if (!m.imported()) {
        complete = false;
        continue;
      }
      anyImported = true;
      if (m.validTo() != null && (validTo == null || m.validTo().isBefore(validTo))) {
        validTo = m.validTo();
      }
    }
    String model = !anyImported ? null
        : validTo != null ? ImportOperations.EXPIRES : ImportOperations.DOES_NOT_EXPIRE;
    KeyRecord.Builder b = k.toBuilder().importedMaterial(model, validTo);
    if (k.state() != KeyState.PendingDeletion) {
      if (!complete) {
        b.state(KeyState.PendingImport);
      } else if (k.state() == KeyState.PendingImport) {
        b.state(KeyState.Enabled);
      }
    }
    return b.build();
  }
}
