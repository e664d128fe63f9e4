package dev.coffer.daemon.keys;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.UUID;

/**
 * One key material of a KMS key, as {@code ListKeyRotations} lists it (AWS's {@code
 * RotationsListEntry}); here it is one backing key version. Immutable.
 *
 * <p>The material itself is never here: only its metadata. The stored (wrapped) form lives in
 * the {@code key_versions} table while the material is present; imported material that was
 * deleted or expired keeps this record, so re-importing the same material restores the same
 * version and every ciphertext sealed under it decrypts again.
 *
 * @param version the backing key version the material is stored under, which each ciphertext
 *     names (docs/ciphertext-format.md)
 * @param id the {@code KeyMaterialId}: 64 lowercase hex digits (the API reference's
 *     {@code BackingKeyIdType}), stable for the life of the key
 * @param rotationType {@code AUTOMATIC} or {@code ON_DEMAND} for material a rotation made
 *     current; null for the first material and for imported material pending rotation (AWS
 *     omits {@code RotationType} and {@code RotationDate} for both)
 * @param rotationDate when that rotation completed; null exactly when {@code rotationType} is
 * @param imported whether the material is present ({@code ImportState} {@code IMPORTED});
 *     false after imported material was deleted or expired. Always true for generated material.
 * @param expirationModel imported material only: {@code KEY_MATERIAL_EXPIRES} or {@code
 *     KEY_MATERIAL_DOES_NOT_EXPIRE}; null otherwise and while the material is absent
 * @param validTo imported material that expires: when; null otherwise
 * @param description imported material only: the {@code KeyMaterialDescription}; may be null
 */
public record KeyMaterial(int version, String id, String rotationType, Instant rotationDate,
    boolean imported, String expirationModel, Instant validTo, String description) {

  /** {@code KeyMaterialState}: used to encrypt and decrypt. */
  public static final String CURRENT = "CURRENT";
  /** {@code KeyMaterialState}: used to decrypt only. */
  public static final String NON_CURRENT = "NON_CURRENT";
  /** {@code KeyMaterialState}: imported for an on-demand rotation that has not happened yet. */
  public static final String PENDING_ROTATION = "PENDING_ROTATION";

  private static final byte[] ID_LABEL =
      "coffer-v1-key-material-id".getBytes(StandardCharsets.US_ASCII);

  public KeyMaterial {
    if (version < 1 || id == null || id.length() != 64) {
      throw new IllegalArgumentException("a key material needs a version and a 64-hex id");
    }
    if ((rotationType == null) != (rotationDate == null)) {
      throw new IllegalArgumentException("rotation type and date go together");
    }
  }

  /** The first material of a key, or material a rotation generated. */
  public static KeyMaterial generated(UUID keyId, int version, String rotationType,
      Instant rotationDate) {
    return new KeyMaterial(version, generatedId(keyId, version), rotationType, rotationDate,
        true, null, null, null);
  }

  /**
   * The {@code KeyMaterialState} of this material in {@code key}: the key's current version is
   * {@code CURRENT}, older ones {@code NON_CURRENT}, and a newer one (imported with {@code
   * NEW_KEY_MATERIAL}, not yet rotated to) {@code PENDING_ROTATION}.
   */
  public String state(KeyRecord key) {
    if (version == key.currentVersion()) {
      return CURRENT;
    }
    return version < key.currentVersion() ? NON_CURRENT : PENDING_ROTATION;
  }

  /**
   * Whether the material belongs to the key for good: everything but material pending rotation.
   * Deleting or losing such material makes the key {@code PendingImport}.
   */
  public boolean permanent(KeyRecord key) {
    return version <= key.currentVersion();
  }

  /** This material made current by a rotation completed at {@code when}. */
  public KeyMaterial rotated(String type, Instant when) {
    return new KeyMaterial(version, id, type, when, imported, expirationModel, validTo,
        description);
  }

  /** This imported material, present again with the expiry and description of an import. */
  public KeyMaterial reimported(String model, Instant expires, String newDescription) {
    return new KeyMaterial(version, id, rotationType, rotationDate, true, model, expires,
        newDescription == null ? description : newDescription);
  }

  /** This imported material after it was deleted or expired: listed, but absent. */
  public KeyMaterial erased() {
    return new KeyMaterial(version, id, rotationType, rotationDate, false, null, null,
        description);
  }

  /**
   * The id of generated material: SHA-256 over a label, the key id and the version. It names the
   * version without depending on the material, so it is stable and needs no secret; versions of
   * a key are never reused for generated material, so ids never repeat.
   */
  public static String generatedId(UUID keyId, int version) {
    return sha256Hex(ByteBuffer.allocate(1 + 16 + 4).put((byte) 'G')
        .putLong(keyId.getMostSignificantBits()).putLong(keyId.getLeastSignificantBits())
        .putInt(version).array());
  }

  /**
   * The id of imported material: SHA-256 over a label and the key store's keyed fingerprint of
   * (key id, material). As AWS does, the id follows from the key and the material, so importing
   * the same material again yields the same id and a re-import can be checked against it; being
   * a hash of a keyed MAC, it reveals nothing about the material.
   */
  public static String importedId(byte[] fingerprint) {
    return sha256Hex(ByteBuffer.allocate(1 + fingerprint.length).put((byte) 'I')
        .put(fingerprint).array());
  }

  private static String sha256Hex(byte[] data) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      md.update(ID_LABEL);
      md.update((byte) 0);
      return HexFormat.of().formatHex(md.digest(data));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 unavailable", e);
    }
  }
}
