package dev.coffer.daemon.asymmetric;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.coffer.daemon.crypto.Bytes;
import dev.coffer.daemon.keys.KeyRecord;
import dev.coffer.daemon.keystore.RootKey;
import dev.coffer.daemon.storage.Database;
import dev.coffer.protocol.ErrorType;
import dev.coffer.protocol.KmsException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.util.UUID;
import javax.crypto.AEADBadTagException;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The secret halves of asymmetric and HMAC KMS keys: generated here, stored only wrapped under
 * the {@link RootKey} (AES-256-GCM, as backing keys are) in the key's version row, and opened
 * into a bounded in-memory cache for signing, decryption and MACs. The public key of a key pair
 * is stored in the clear beside it ({@code key_pairs}).
 *
 * <p>The wrap's associated data names the purpose, the key id, the version and the key spec, so
 * a stored private key cannot be opened as a backing key, as another key's, or as another spec.
 *
 * <p>Plaintext encodings (PKCS#8, HMAC key bytes) are zeroed as soon as they are parsed or
 * wrapped. The JCA key objects built from them ({@code PrivateKey}, {@code SecretKeySpec})
 * keep their own copies, which the JDK gives no way to erase; they live only in this cache.
 */
public final class AsymmetricKeys {

  private static final String WRAP_LABEL = "coffer-private-key-v1";

  private final RootKey root;
  private final Database db;
  private final SecureRandom random;
  private final Cache<UUID, Object> opened;
  private final Cache<UUID, PublicKey> publicKeys;

  public AsymmetricKeys(RootKey root, Database db, SecureRandom random, int maxCached) {
    this.root = root;
    this.db = db;
    this.random = random;
    this.opened = Caffeine.newBuilder().maximumSize(maxCached).build();
    this.publicKeys = Caffeine.newBuilder().maximumSize(maxCached).build();
  }

  public SecureRandom random() {
    return random;
  }

  /**
   * New key material for a key of {@code spec}.
   *
   * @param stored the wrapped secret (PKCS#8 private key or HMAC key), for the version row
   * @param publicKey DER SubjectPublicKeyInfo; null for HMAC keys
   */
  public record Generated(byte[] stored, byte[] publicKey) {}

  /** Generates the material of version {@code version} of key {@code keyId}. */
  public Generated generate(UUID keyId, int version, KmsKeySpec spec) {
    if (spec.family() == KmsKeySpec.Family.HMAC) {
      byte[] secret = new byte[spec.bits() / 8];
      random.nextBytes(secret);
      try {
        return new Generated(wrap(keyId, version, spec, secret), null);
      } finally {
        Bytes.zero(secret);
      }
    }
    KeyPair pair = KeyPairs.generate(spec, random);
    byte[] pkcs8 = pair.getPrivate().getEncoded();
    try {
      return new Generated(wrap(keyId, version, spec, pkcs8), pair.getPublic().getEncoded());
    } finally {
      Bytes.zero(pkcs8);
    }
  }

  /**
   * Wraps imported HMAC key material for a version row; the caller zeroes {@code material}.
   *
   * @throws KmsException {@code IncorrectKeyMaterialException} when its length is not the
   *     spec's (AWS imports HMAC material of exactly the key spec's size)
   */
  public byte[] wrapImportedHmac(UUID keyId, int version, KmsKeySpec spec, byte[] material) {
    if (spec.family() != KmsKeySpec.Family.HMAC) {
      throw new IllegalArgumentException(spec + " is not an HMAC spec");
    }
    if (material.length != spec.bits() / 8) {
      throw new KmsException(ErrorType.INCORRECT_KEY_MATERIAL, "key material for " + spec
          + " keys must be " + spec.bits() + " bits (" + spec.bits() / 8 + " bytes), got "
          + material.length + " bytes");
    }
    return wrap(keyId, version, spec, material);
  }

  /** The private key of an asymmetric key's current version. */
  public PrivateKey privateKey(KeyRecord k) {
    KmsKeySpec spec = KmsKeySpec.ofStored(k.keySpec());
    return (PrivateKey) opened.get(k.id(), id -> {
      byte[] pkcs8 = unwrap(k, spec);
      try {
        return KeyPairs.privateKey(spec, pkcs8);
      } finally {
        Bytes.zero(pkcs8);
      }
    });
  }

  /** HMAC of {@code message} under an HMAC key's current version. */
  public byte[] mac(KeyRecord k, MacAlgorithm alg, byte[] message) {
    KmsKeySpec spec = KmsKeySpec.ofStored(k.keySpec());
    SecretKeySpec key = (SecretKeySpec) opened.get(k.id(), id -> {
      byte[] secret = unwrap(k, spec);
      try {
        return new SecretKeySpec(secret, alg.jcaName());
      } finally {
        Bytes.zero(secret);
      }
    });
    try {
      Mac mac = Mac.getInstance(alg.jcaName());
      mac.init(key);
      return mac.doFinal(message);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(alg + " failed", e);
    }
  }

  /** The DER SubjectPublicKeyInfo of an asymmetric key. */
  public byte[] publicKeyDer(KeyRecord k) {
    byte[] der = db.loadPublicKey(k.id());
    if (der == null) {
      throw new KmsException(ErrorType.INTERNAL, "the public key of " + k.id()
          + " is missing from the database; restore the database");
    }
    return der;
  }

  /** The public key of an asymmetric key, parsed. */
  public PublicKey publicKey(KeyRecord k) {
    KmsKeySpec spec = KmsKeySpec.ofStored(k.keySpec());
    return publicKeys.get(k.id(), id -> {
      try {
        return KeyPairs.publicKey(spec, publicKeyDer(k));
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("stored public key of " + id + " does not parse", e);
      }
    });
  }

  /** Drops the opened material of deleted keys (or material replaced by an import). */
  public void forget(UUID keyId) {
    opened.invalidate(keyId);
    publicKeys.invalidate(keyId);
  }

  private byte[] wrap(UUID keyId, int version, KmsKeySpec spec, byte[] secret) {
    return root.wrap(secret, aad(keyId, version, spec));
  }

  private byte[] unwrap(KeyRecord k, KmsKeySpec spec) {
    Database.StoredVersion v = db.loadVersion(k.id(), k.currentVersion());
    if (v == null) {
      throw new KmsException(ErrorType.INTERNAL, "the key material of " + k.id()
          + " is missing from the database; restore the database");
    }
    try {
      return root.unwrap(v.stored(), aad(k.id(), v.version(), spec));
    } catch (AEADBadTagException e) {
      throw new IllegalStateException("key material of " + k.id() + " v" + v.version()
          + " does not unwrap under this root key; the database and the root key do not"
          + " belong together", e);
    }
  }

  static byte[] aad(UUID keyId, int version, KmsKeySpec spec) {
    byte[] label = WRAP_LABEL.getBytes(StandardCharsets.US_ASCII);
    byte[] specName = spec.name().getBytes(StandardCharsets.US_ASCII);
    return ByteBuffer.allocate(label.length + 1 + 16 + 4 + specName.length)
        .put(label).put((byte) 0)
        .putLong(keyId.getMostSignificantBits()).putLong(keyId.getLeastSignificantBits())
        .putInt(version).put(specName).array();
  }
}
