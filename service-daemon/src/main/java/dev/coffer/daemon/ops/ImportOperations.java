package dev.coffer.daemon.ops;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.daemon.asymmetric.AsymmetricKeys;
import dev.coffer.daemon.asymmetric.KmsKeySpec;
import dev.coffer.daemon.crypto.Bytes;
import dev.coffer.daemon.crypto.RsaAesKeyWrap;
import dev.coffer.daemon.keys.BackingKeys;
import dev.coffer.daemon.keys.KeyMaterial;
import dev.coffer.daemon.keys.KeyRecord;
import dev.coffer.daemon.keys.KeyRegistry;
import dev.coffer.daemon.keys.KeyResolver;
import dev.coffer.daemon.keys.KeyState;
import dev.coffer.daemon.keystore.RootKey;
import dev.coffer.daemon.storage.Database.ImportToken;
import dev.coffer.daemon.storage.Database.StoredVersion;
import dev.coffer.protocol.ErrorType;
import dev.coffer.protocol.Json;
import dev.coffer.protocol.KmsException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import javax.crypto.Cipher;

/**
 * Imported key material (BYOK): {@code GetParametersForImport}, {@code ImportKeyMaterial},
 * {@code DeleteImportedKeyMaterial}, and expiry.
 *
 * <p>The RSA wrapping key's private half exists only inside the daemon, stored wrapped under the
 * root key beside its single-use token, for 24 hours. Imported material is kept like generated
 * material (wrapped under the root key). A key can hold several imported materials, each a
 * backing key version with its own {@code KeyMaterialId}, expiry and description: the first
 * import, then each {@code ImportType NEW_KEY_MATERIAL} import that {@code RotateKeyOnDemand}
 * makes current. The id is derived from a keyed fingerprint of the material, so a re-import
 * ({@code EXISTING_KEY_MATERIAL}) proves it is the same material without the daemon keeping the
 * material once it has been erased. The rules live in {@link KeyMaterials}.
 */
final class ImportOperations {

  static final Duration TOKEN_LIFETIME = Duration.ofHours(24);
  static final Duration MAX_VALID_TO = Duration.ofDays(365);
  static final String EXPIRES = "KEY_MATERIAL_EXPIRES";
  static final String DOES_NOT_EXPIRE = "KEY_MATERIAL_DOES_NOT_EXPIRE";
  static final Map<String, Integer> KEY_SPECS =
      Map.of("RSA_2048", 2048, "RSA_3072", 3072, "RSA_4096", 4096);
  static final Set<String> ALGORITHMS = Set.of("RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256",
      "RSA_AES_KEY_WRAP_SHA_1", "RSA_AES_KEY_WRAP_SHA_256");

  private final KeyRegistry registry;
  private final KeyResolver resolver;
  private final BackingKeys backingKeys;
  private final RootKey root;
  private final Clock clock;
  private final SecureRandom random;
  private final KeyEvents events;
  private final AsymmetricKeys hmacKeys;

  ImportOperations(KeyRegistry registry, KeyResolver resolver, BackingKeys backingKeys,
      RootKey root, Clock clock, SecureRandom random, KeyEvents events, AsymmetricKeys hmacKeys) {
    this.hmacKeys = hmacKeys;
    this.registry = registry;
    this.resolver = resolver;
    this.backingKeys = backingKeys;
    this.root = root;
    this.clock = clock;
    this.random = random;
    this.events = events;
  }

  void register(OperationTable table) {
    table.register("GetParametersForImport",
        Set.of("KeyId", "WrappingAlgorithm", "WrappingKeySpec"), this::getParametersForImport);
    table.register("ImportKeyMaterial", Set.of("KeyId", "ImportToken", "EncryptedKeyMaterial",
        "ValidTo", "ExpirationModel", "ImportType", "KeyMaterialDescription", "KeyMaterialId"),
        this::importKeyMaterial);
    table.register("DeleteImportedKeyMaterial", Set.of("KeyId", "KeyMaterialId"),
        this::deleteImportedKeyMaterial);
  }

  private static KeyRecord requireImportable(KeyRecord k) {
    KeyStateRules.requireExternal(k);
    if (k.state() == KeyState.PendingDeletion) {
      throw new KmsException(ErrorType.INVALID_STATE,
          "key " + k.id() + " is pending deletion; cancel-key-deletion before importing");
    }
    return k;
  }

  private ObjectNode getParametersForImport(Caller caller, Input in) {
    KeyRecord k = requireImportable(resolver.resolveKeyOnly(in.requiredString("KeyId")));
    String algorithm = in.requiredString("WrappingAlgorithm");
    if (!ALGORITHMS.contains(algorithm)) {
      throw Input.invalid("WrappingAlgorithm", "must be one of " + String.join(", ",
          new java.util.TreeSet<>(ALGORITHMS)) + " (RSAES_PKCS1_V1_5 is no longer accepted),"
          + " got " + algorithm);
    }
    String spec = in.requiredString("WrappingKeySpec");
    Integer bits = KEY_SPECS.get(spec);
    if (bits == null) {
      throw Input.invalid("WrappingKeySpec", "must be RSA_2048, RSA_3072 or RSA_4096, got " + spec);
    }
    KeyPair pair;
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
      g.initialize(bits, random);
      pair = g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("RSA key generation unavailable", e);
    }
    byte[] token = new byte[32];
    random.nextBytes(token);
    byte[] pkcs8 = pair.getPrivate().getEncoded();
    Instant validTo = clock.instant().plus(TOKEN_LIFETIME);
    try {
      byte[] wrapped = root.wrap(pkcs8, tokenAad(token, k.id()));
      registry.database().inTransaction(tx -> {
        tx.insertImportToken(new ImportToken(token, k.id(), algorithm, spec, wrapped, validTo,
            false));
        return null;
      });
    } finally {
      Bytes.zero(pkcs8);
    }
    ObjectNode out = Json.object();
    out.put("KeyId", resolver.keyArn(k.id()));
    out.put("ImportToken", token);
    out.put("PublicKey", pair.getPublic().getEncoded());
    out.put("ParametersValidTo", Responses.epochSeconds(validTo));
    return out;
  }

  private static byte[] tokenAad(byte[] token, UUID keyId) {
    return ByteBuffer.allocate(32 + token.length + 36)
        .put(Arrays.copyOf("coffer-v1-import-token".getBytes(StandardCharsets.US_ASCII), 32))
        .put(token).put(keyId.toString().getBytes(StandardCharsets.US_ASCII)).array();
  }

  private ObjectNode importKeyMaterial(Caller caller, Input in) {
    // Field constraints before the key and its state, as AWS checks them.
    String keyRef = in.requiredString("KeyId");
    byte[] token = in.requiredBlob("ImportToken");
    byte[] encrypted = in.requiredBlob("EncryptedKeyMaterial");
    Instant now = clock.instant();
    Expiry expiry = expiry(in, now);
    String importType = in.string("ImportType");
    if (importType != null && !importType.equals(KeyMaterials.NEW)
        && !importType.equals(KeyMaterials.EXISTING)) {
      throw Input.invalid("ImportType", "must be " + KeyMaterials.NEW + " or "
          + KeyMaterials.EXISTING + ", got " + importType);
    }
    String description = KeyMaterials.description(in);
    String expectedId = KeyMaterials.materialId(in);
    if (expectedId != null && KeyMaterials.NEW.equals(importType)) {
      throw Input.invalid("KeyMaterialId", "cannot be given with ImportType "
          + KeyMaterials.NEW + ": new material gets its id when imported");
    }
    KeyRecord k = requireImportable(resolver.resolveKeyOnly(keyRef));

    ImportToken t = token.length == 32 ? registry.database().loadImportToken(token) : null;
    if (t == null || !t.keyId().equals(k.id())) {
      throw new KmsException(ErrorType.INVALID_IMPORT_TOKEN,
          "the import token was not issued for key " + k.id() + "; call"
              + " get-parameters-for-import for this key and use its token");
    }
    if (!t.validTo().isAfter(now)) {
      throw new KmsException(ErrorType.EXPIRED_IMPORT_TOKEN,
          "the import token expired at " + t.validTo() + "; call get-parameters-for-import again"
              + " and re-wrap the key material with the new public key");
    }
    if (t.used()) {
      throw new KmsException(ErrorType.INVALID_IMPORT_TOKEN,
          "this import token was already used; call get-parameters-for-import for a new one");
    }
    // AWS imports material for SYMMETRIC_DEFAULT keys (256 bits) and HMAC keys (exactly the
    // spec's size); Coffer creates EXTERNAL keys of no other spec (CreateKey).
    KmsKeySpec spec = KmsKeySpec.ofStored(k.keySpec());
    boolean hmac = spec.family() == KmsKeySpec.Family.HMAC;
    if (hmac && KeyMaterials.NEW.equals(importType) && !registry.materials(k.id()).isEmpty()) {
      throw new KmsException(ErrorType.UNSUPPORTED_OPERATION, "ImportType "
          + KeyMaterials.NEW + " adds material for an on-demand rotation, which only"
          + " SYMMETRIC_DEFAULT keys have; re-import this " + spec + " key's own material");
    }
    byte[] material = unwrap(t, encrypted);
    String id;
    try {
      if (material.length != spec.bits() / 8) {
        throw new KmsException(ErrorType.INCORRECT_KEY_MATERIAL,
            "key material for " + spec + " keys must be " + spec.bits() + " bits ("
                + spec.bits() / 8 + " bytes), got " + material.length + " bytes");
      }
      var store = backingKeys.store(k.keyStore());
      id = KeyMaterial.importedId(store.fingerprint(k.id(), material));
      KeyMaterials.Import request = new KeyMaterials.Import(id, importType, expectedId,
          expiry.model(), expiry.validTo(), description);
      registry.changeMaterials(k.id(), now, token, (cur, materials) -> {
        requireImportable(cur);
        return KeyMaterials.planImport(cur, materials, request,
            version -> hmac ? hmacKeys.wrapImportedHmac(cur.id(), version, spec, material)
                : store.importMaterial(cur.id(), version, material));
      });
      hmacKeys.forget(k.id());
      events.record("ImportKeyMaterial", k.id());
    } finally {
      Bytes.zero(material);
    }
    ObjectNode out = Json.object();
    out.put("KeyId", resolver.keyArn(k.id()));
    out.put("KeyMaterialId", id);
    return out;
  }

  /** {@code ExpirationModel} and {@code ValidTo} of an import, checked. */
  private record Expiry(String model, Instant validTo) {}

  private static Expiry expiry(Input in, Instant now) {
    String model = in.string("ExpirationModel");
    model = model == null ? EXPIRES : model;
    if (model.equals(EXPIRES)) {
      Instant validTo = in.timestamp("ValidTo");
      if (validTo == null) {
        throw Input.invalid("ValidTo", "is required when ExpirationModel is KEY_MATERIAL_EXPIRES"
            + " (the default); pass --expiration-model KEY_MATERIAL_DOES_NOT_EXPIRE otherwise");
      }
      if (!validTo.isAfter(now) || validTo.isAfter(now.plus(MAX_VALID_TO))) {
        throw Input.invalid("ValidTo", "must be in the future and at most 365 days ahead");
      }
      return new Expiry(model, validTo);
    }
    if (model.equals(DOES_NOT_EXPIRE)) {
      if (in.has("ValidTo")) {
        throw Input.invalid("ValidTo", "must be omitted when ExpirationModel is "
            + DOES_NOT_EXPIRE);
      }
      return new Expiry(model, null);
    }
    throw Input.invalid("ExpirationModel", "must be " + EXPIRES + " or " + DOES_NOT_EXPIRE);
  }

  private byte[] unwrap(ImportToken t, byte[] encrypted) {
    byte[] pkcs8;
    try {
      pkcs8 = root.unwrap(t.wrappedPrivateKey(), tokenAad(t.token(), t.keyId()));
    } catch (javax.crypto.AEADBadTagException e) {
      throw new KmsException(ErrorType.INVALID_IMPORT_TOKEN, "the import token is damaged");
    }
    try {
      PrivateKey priv = KeyFactory.getInstance("RSA").generatePrivate(
          new PKCS8EncodedKeySpec(pkcs8));
      int modulusBytes = RsaAesKeyWrap.modulusBytes((RSAPrivateCrtKey) priv);
      boolean sha256 = t.algorithm().endsWith("SHA_256");
      if (t.algorithm().startsWith("RSAES_OAEP")) {
        if (encrypted.length != modulusBytes) {
          throw wrongWrapping(t);
        }
        Cipher rsa = Cipher.getInstance("RSA/ECB/OAEPPadding");
        rsa.init(Cipher.DECRYPT_MODE, priv, RsaAesKeyWrap.oaep(sha256));
        return rsa.doFinal(encrypted);
      }
      // RSA_AES_KEY_WRAP_*: RSA-OAEP(ephemeral AES-256 key) || AES-KWP(material)
      return RsaAesKeyWrap.unwrap(priv, encrypted, sha256);
    } catch (GeneralSecurityException e) {
      throw wrongWrapping(t);
    } finally {
      Bytes.zero(pkcs8);
    }
  }

  private static KmsException wrongWrapping(ImportToken t) {
    return new KmsException(ErrorType.INVALID_CIPHERTEXT,
        "the encrypted key material does not decrypt with this token's wrapping key; wrap the"
            + " 32-byte key with the PublicKey returned with this token using " + t.algorithm());
  }

  private ObjectNode deleteImportedKeyMaterial(Caller caller, Input in) {
    String keyRef = in.requiredString("KeyId");
    String materialId = KeyMaterials.materialId(in);
    KeyRecord k = KeyStateRules.requireExternal(resolver.resolveKeyOnly(keyRef));
    String[] deleted = new String[1];
    List<StoredVersion> destroyed = registry.changeMaterials(k.id(), clock.instant(), null,
        (cur, materials) -> {
          KeyMaterial target = KeyMaterials.deletionTarget(cur, materials, materialId);
          if (target == null) {
            return null; // nothing imported yet: nothing to delete
          }
          deleted[0] = target.id();
          return KeyMaterials.planErase(cur, materials, Set.of(target.version()));
        }).destroyed();
    backingKeys.destroy(destroyed);
    hmacKeys.forget(k.id());
    if (!destroyed.isEmpty()) {
      events.record("DeleteImportedKeyMaterial", k.id());
    }
    ObjectNode out = Json.object();
    out.put("KeyId", resolver.keyArn(k.id()));
    if (deleted[0] != null) {
      out.put("KeyMaterialId", deleted[0]);
    }
    return out;
  }

  /**
   * Erases imported material whose {@code ValidTo} has passed, each key's expired materials in
   * one change; returns how many keys lost material.
   *
   * @param now the instant expiry is judged at (the maintenance pass's)
   */
  int expireMaterial(Instant now) {
    int n = 0;
    for (KeyRecord k : registry.all()) {
      if (!k.isExternal()) {
        continue;
      }
      Set<Integer> expired = KeyMaterials.expired(registry.materials(k.id()), now);
      if (expired.isEmpty()) {
        continue;
      }
      List<StoredVersion> destroyed;
      try {
        destroyed = registry.changeMaterials(k.id(), now, null, (cur, materials) -> {
          Set<Integer> still = KeyMaterials.expired(materials, now);
          return still.isEmpty() ? null : KeyMaterials.planErase(cur, materials, still);
        }).destroyed();
      } catch (KmsException raced) {
        continue; // deleted, or erased by another node, since the scan: nothing to do here
      }
      backingKeys.destroy(destroyed);
      hmacKeys.forget(k.id());
      events.record("KeyMaterialExpired", k.id());
      n++;
    }
    registry.database().inTransaction(tx -> tx.purgeImportTokens(now));
    return n;
  }
}
