package dev.coffer.daemon.ops;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.daemon.crypto.Bytes;
import dev.coffer.daemon.keys.BackingKeys;
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
import java.security.spec.MGF1ParameterSpec;
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
import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PSource;
import javax.crypto.spec.SecretKeySpec;

/**
 * Imported key material (BYOK): {@code GetParametersForImport}, {@code ImportKeyMaterial},
 * {@code DeleteImportedKeyMaterial}, and expiry.
 *
 * <p>The RSA wrapping key's private half exists only inside the daemon, stored wrapped under the
 * root key beside its single-use token, for 24 hours. Imported material is kept like generated
 * material (wrapped under the root key); a keyed fingerprint lets a later re-import prove it is
 * the same material without the daemon keeping the material once it has been erased.
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

  ImportOperations(KeyRegistry registry, KeyResolver resolver, BackingKeys backingKeys,
      RootKey root, Clock clock, SecureRandom random, KeyEvents events) {
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
        "ValidTo", "ExpirationModel"), this::importKeyMaterial);
    table.register("DeleteImportedKeyMaterial", Set.of("KeyId"), this::deleteImportedKeyMaterial);
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
    KeyRecord k = requireImportable(resolver.resolveKeyOnly(in.requiredString("KeyId")));
    byte[] token = in.requiredBlob("ImportToken");
    byte[] encrypted = in.requiredBlob("EncryptedKeyMaterial");
    String model = in.string("ExpirationModel");
    model = model == null ? EXPIRES : model;
    Instant now = clock.instant();
    Instant validTo = null;
    if (model.equals(EXPIRES)) {
      validTo = in.timestamp("ValidTo");
      if (validTo == null) {
        throw Input.invalid("ValidTo", "is required when ExpirationModel is KEY_MATERIAL_EXPIRES"
            + " (the default); pass --expiration-model KEY_MATERIAL_DOES_NOT_EXPIRE otherwise");
      }
      if (!validTo.isAfter(now) || validTo.isAfter(now.plus(MAX_VALID_TO))) {
        throw Input.invalid("ValidTo", "must be in the future and at most 365 days ahead");
      }
    } else if (model.equals(DOES_NOT_EXPIRE)) {
      if (in.has("ValidTo")) {
        throw Input.invalid("ValidTo", "must be omitted when ExpirationModel is "
            + DOES_NOT_EXPIRE);
      }
    } else {
      throw Input.invalid("ExpirationModel", "must be " + EXPIRES + " or " + DOES_NOT_EXPIRE);
    }

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
    byte[] material = unwrap(t, encrypted);
    try {
      if (material.length != 32) {
        throw new KmsException(ErrorType.INCORRECT_KEY_MATERIAL,
            "key material for SYMMETRIC_DEFAULT keys must be 256 bits (32 bytes), got "
                + material.length + " bytes");
      }
      var store = backingKeys.store(k.keyStore());
      byte[] fingerprint = store.fingerprint(k.id(), material);
      byte[] previous = registry.database().loadMaterialFingerprint(k.id());
      if (previous != null && !Bytes.equal(previous, fingerprint)) {
        throw new KmsException(ErrorType.INCORRECT_KEY_MATERIAL,
            "key " + k.id() + " already had different key material; a key only ever accepts"
                + " the material first imported into it");
      }
      String finalModel = model;
      Instant finalValidTo = validTo;
      KeyRecord updated = registry.importMaterial(k.id(), token, cur -> {
        requireImportable(cur);
        KeyRecord.Builder b = cur.toBuilder().importedMaterial(finalModel, finalValidTo);
        return cur.state() == KeyState.PendingImport ? b.state(KeyState.Enabled).build()
            : b.build();
      }, fingerprint, (key, version) -> store.importMaterial(key.id(), version, material));
      events.record("ImportKeyMaterial", updated.id());
    } finally {
      Bytes.zero(material);
    }
    ObjectNode out = Json.object();
    out.put("KeyId", resolver.keyArn(k.id()));
    return out;
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
      int modulusBytes = (((RSAPrivateCrtKey) priv).getModulus().bitLength() + 7) / 8;
      boolean sha256 = t.algorithm().endsWith("SHA_256");
      OAEPParameterSpec oaep = sha256
          ? new OAEPParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256,
              PSource.PSpecified.DEFAULT)
          : new OAEPParameterSpec("SHA-1", "MGF1", MGF1ParameterSpec.SHA1,
              PSource.PSpecified.DEFAULT);
      Cipher rsa = Cipher.getInstance("RSA/ECB/OAEPPadding");
      rsa.init(Cipher.DECRYPT_MODE, priv, oaep);
      if (t.algorithm().startsWith("RSAES_OAEP")) {
        if (encrypted.length != modulusBytes) {
          throw wrongWrapping(t);
        }
        return rsa.doFinal(encrypted);
      }
      // RSA_AES_KEY_WRAP_*: RSA-OAEP(ephemeral AES-256 key) || AES-KWP(material)
      if (encrypted.length <= modulusBytes) {
        throw wrongWrapping(t);
      }
      byte[] aesKey = rsa.doFinal(encrypted, 0, modulusBytes);
      try {
        Cipher kwp = Cipher.getInstance("AES/KWP/NoPadding");
        kwp.init(Cipher.DECRYPT_MODE, new SecretKeySpec(aesKey, "AES"));
        return kwp.doFinal(encrypted, modulusBytes, encrypted.length - modulusBytes);
      } finally {
        Bytes.zero(aesKey);
      }
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
    KeyRecord k = KeyStateRules.requireExternal(resolver.resolveKeyOnly(in.requiredString("KeyId")));
    if (k.currentVersion() > 0) {
      erase(k.id(), "DeleteImportedKeyMaterial");
    }
    return Json.object();
  }

  private void erase(UUID id, String why) {
    List<StoredVersion> erased = registry.eraseMaterial(id, cur -> {
      KeyRecord.Builder b = cur.toBuilder().importedMaterial(null, null);
      return cur.state() == KeyState.PendingDeletion ? b.build()
          : b.state(KeyState.PendingImport).build();
    });
    backingKeys.destroy(erased);
    events.record(why, id);
  }

  /** Erases imported material whose {@code ValidTo} has passed; returns how many keys. */
  int expireMaterial() {
    Instant now = clock.instant();
    int n = 0;
    for (KeyRecord k : registry.all()) {
      if (k.validTo() != null && !k.validTo().isAfter(now) && k.currentVersion() > 0) {
        erase(k.id(), "KeyMaterialExpired");
        n++;
      }
    }
    registry.database().inTransaction(tx -> tx.purgeImportTokens(now));
    return n;
  }
}
