package dev.coffer.daemon.ops;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.daemon.crypto.Bytes;
import dev.coffer.daemon.crypto.CiphertextBlob;
import dev.coffer.daemon.crypto.EncryptionContext;
import dev.coffer.daemon.keys.BackingKeys;
import dev.coffer.daemon.keys.KeyRecord;
import dev.coffer.daemon.keys.KeyRegistry;
import dev.coffer.daemon.keys.KeyResolver;
import dev.coffer.daemon.keystore.BackingKey;
import dev.coffer.protocol.ErrorType;
import dev.coffer.protocol.Json;
import dev.coffer.protocol.KmsException;
import dev.coffer.protocol.Operation;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import javax.crypto.AEADBadTagException;

/**
 * {@code Encrypt}, {@code Decrypt}, {@code ReEncrypt}, {@code GenerateDataKey}, {@code
 * GenerateDataKeyWithoutPlaintext} and {@code GenerateRandom} (KMS API reference), and the
 * Coffer ciphertext blob that symmetric keys seal and open: AES-GCM with the blob's header and
 * the canonical encryption context as additional data ({@link CiphertextBlob}, {@code
 * docs/ciphertext-format.md}). An RSA ENCRYPT_DECRYPT key named by Encrypt, Decrypt or
 * ReEncrypt is served by {@link RsaCryptoOperations}.
 *
 * <p>A blob that does not parse, names a version its key does not have or fails its tag is the
 * one {@code InvalidCiphertextException} of {@link CiphertextBlob#invalid}, whichever it was.
 * Plaintexts and data keys are handed to {@link Caller#secret}, which zeroes them once the
 * response has been written.
 */
final class SymmetricCryptoOperations {

  static final String SYMMETRIC_DEFAULT = "SYMMETRIC_DEFAULT";

  private final KeyRegistry registry;
  private final KeyResolver resolver;
  private final BackingKeys backingKeys;
  private final CustomKeyStoreOperations customKeyStores;
  private final RsaCryptoOperations rsa;
  private final SecureRandom random;

  SymmetricCryptoOperations(KeyRegistry registry, KeyResolver resolver, BackingKeys backingKeys,
      CustomKeyStoreOperations customKeyStores, RsaCryptoOperations rsa, SecureRandom random) {
    this.registry = registry;
    this.resolver = resolver;
    this.backingKeys = backingKeys;
    this.customKeyStores = customKeyStores;
    this.rsa = rsa;
    this.random = random;
  }

  void register(OperationTable table) {
    Set<String> crypto = Set.of("GrantTokens", "DryRun");
    table.register(Operation.ENCRYPT, union(crypto, "KeyId", "Plaintext", "EncryptionContext",
        "EncryptionAlgorithm"), this::encrypt);
    table.register(Operation.DECRYPT, union(crypto, "KeyId", "CiphertextBlob",
        "EncryptionContext", "EncryptionAlgorithm"), this::decrypt);
    table.register(Operation.RE_ENCRYPT, union(crypto, "CiphertextBlob",
        "SourceEncryptionContext", "SourceKeyId", "DestinationKeyId",
        "DestinationEncryptionContext", "SourceEncryptionAlgorithm",
        "DestinationEncryptionAlgorithm"), this::reEncrypt);
    table.register(Operation.GENERATE_DATA_KEY, union(crypto, "KeyId", "KeySpec",
        "NumberOfBytes", "EncryptionContext"), (c, in) -> generateDataKey(c, in, true));
    table.register(Operation.GENERATE_DATA_KEY_WITHOUT_PLAINTEXT, union(crypto, "KeyId",
        "KeySpec", "NumberOfBytes", "EncryptionContext"), (c, in) -> generateDataKey(c, in, false));
    table.register(Operation.GENERATE_RANDOM, Set.of("NumberOfBytes", "CustomKeyStoreId"),
        this::generateRandom);
  }

  private static Set<String> union(Set<String> base, String... more) {
    Set<String> s = new java.util.HashSet<>(base);
    s.addAll(List.of(more));
    return Set.copyOf(s);
  }

  private ObjectNode encrypt(Caller caller, Input in) {
    KeyRecord k = usableKey(in.requiredString("KeyId"));
    boolean symmetric = isSymmetric(k);
    if (symmetric) {
      checkAlgorithm(in, "EncryptionAlgorithm");
    }
    // 1-4096 bytes: an API constraint, checked before anything else (Constraints).
    byte[] plaintext = caller.secret(in.requiredBlob("Plaintext"));
    EncryptionContext ctx = context(in, "EncryptionContext");
    String alg = symmetric ? SYMMETRIC_DEFAULT
        : rsa.algorithm(k, in.string("EncryptionAlgorithm"), ctx, "EncryptionContext");
    // A dry run seals too (every check of the real call, the backing key's included), then
    // discards the blob: it holds nothing secret, and nothing was stored.
    byte[] blob = symmetric ? seal(k, plaintext, ctx) : rsa.encrypt(k, alg, plaintext);
    in.stopIfDryRun();
    ObjectNode out = Json.object();
    out.put("CiphertextBlob", blob);
    out.put("KeyId", resolver.keyArn(k.id()));
    out.put("EncryptionAlgorithm", alg);
    return out;
  }

  /**
   * The key {@code ref} names when it is not a symmetric key (an RSA key decrypts its own
   * ciphertexts, which name no key, so Decrypt needs its KeyId); null when {@code ref} is
   * absent or names a symmetric key.
   */
  private KeyRecord asymmetricNamed(String ref) {
    if (ref == null) {
      return null;
    }
    KeyRecord k = resolver.resolve(ref);
    return isSymmetric(k) ? null : KeyStateRules.requireUsable(k);
  }

  private ObjectNode decrypt(Caller caller, Input in) {
    byte[] blobBytes = in.requiredBlob("CiphertextBlob");
    EncryptionContext ctx = context(in, "EncryptionContext");
    KeyRecord asymmetric = asymmetricNamed(in.string("KeyId"));
    if (asymmetric != null) {
      String alg = rsa.algorithm(asymmetric, in.string("EncryptionAlgorithm"), ctx,
          "EncryptionContext");
      byte[] plaintext = caller.secret(rsa.decrypt(asymmetric, alg, blobBytes));
      in.stopIfDryRun();
      ObjectNode out = Json.object();
      out.put("KeyId", resolver.keyArn(asymmetric.id()));
      out.put("Plaintext", plaintext);
      out.put("EncryptionAlgorithm", alg);
      return out;
    }
    requireKeyIdForRsa(in, blobBytes, "KeyId", "EncryptionAlgorithm", "decrypt with");
    checkAlgorithm(in, "EncryptionAlgorithm");
    Opened opened = open(blobBytes, in.string("KeyId"), ctx);
    caller.secret(opened.plaintext);
    // A dry run decrypts too (authentication included) and then answers as AWS does; the
    // plaintext is zeroed with the request's other secrets.
    in.stopIfDryRun();
    ObjectNode out = Json.object();
    out.put("KeyId", resolver.keyArn(opened.key.id()));
    out.put("Plaintext", opened.plaintext);
    out.put("EncryptionAlgorithm", SYMMETRIC_DEFAULT);
    putMaterialId(out, "KeyMaterialId", opened.key, opened.version);
    return out;
  }

  private ObjectNode reEncrypt(Caller caller, Input in) {
    byte[] blobBytes = in.requiredBlob("CiphertextBlob");
    EncryptionContext srcCtx = context(in, "SourceEncryptionContext");
    EncryptionContext dstCtx = context(in, "DestinationEncryptionContext");
    KeyRecord asymmetricSrc = asymmetricNamed(in.string("SourceKeyId"));
    if (asymmetricSrc == null) {
      requireKeyIdForRsa(in, blobBytes, "SourceKeyId", "SourceEncryptionAlgorithm",
          "re-encrypt with");
      checkAlgorithm(in, "SourceEncryptionAlgorithm");
    }
    KeyRecord dst = usableKey(in.requiredString("DestinationKeyId"));
    boolean symmetricDst = isSymmetric(dst);
    String dstAlg = symmetricDst ? SYMMETRIC_DEFAULT : rsa.algorithm(dst,
        in.string("DestinationEncryptionAlgorithm"), dstCtx, "DestinationEncryptionContext");
    if (symmetricDst) {
      checkAlgorithm(in, "DestinationEncryptionAlgorithm");
    }
    String srcAlg = SYMMETRIC_DEFAULT;
    Opened opened;
    if (asymmetricSrc != null) {
      srcAlg = rsa.algorithm(asymmetricSrc, in.string("SourceEncryptionAlgorithm"), srcCtx,
          "SourceEncryptionContext");
      opened = new Opened(asymmetricSrc, 0, rsa.decrypt(asymmetricSrc, srcAlg, blobBytes));
    } else {
      opened = open(blobBytes, in.string("SourceKeyId"), srcCtx);
    }
    try {
      byte[] sealed = symmetricDst ? seal(dst, opened.plaintext, dstCtx)
          : rsa.encrypt(dst, dstAlg, opened.plaintext);
      in.stopIfDryRun();
      ObjectNode out = Json.object();
      out.put("CiphertextBlob", sealed);
      out.put("SourceKeyId", resolver.keyArn(opened.key.id()));
      out.put("KeyId", resolver.keyArn(dst.id()));
      out.put("SourceEncryptionAlgorithm", srcAlg);
      out.put("DestinationEncryptionAlgorithm", dstAlg);
      if (asymmetricSrc == null) {
        putMaterialId(out, "SourceKeyMaterialId", opened.key, opened.version);
      }
      if (symmetricDst) {
        putMaterialId(out, "DestinationKeyMaterialId", dst, dst.currentVersion());
      }
      return out;
    } finally {
      Bytes.zero(opened.plaintext);
    }
  }

  private ObjectNode generateDataKey(Caller caller, Input in, boolean withPlaintext) {
    KeyRecord k = usableSymmetricKey(in.requiredString("KeyId"),
        withPlaintext ? "GenerateDataKey" : "GenerateDataKeyWithoutPlaintext");
    String spec = in.string("KeySpec"); // exactly one of KeySpec and NumberOfBytes: Constraints
    int bytes;
    if (spec != null) {
      bytes = switch (spec) {
        case "AES_256" -> 32;
        case "AES_128" -> 16;
        default -> throw Input.invalid("KeySpec", "must be AES_128 or AES_256, got " + spec);
      };
    } else {
      bytes = in.integer("NumberOfBytes", 1, 1024, 0);
    }
    EncryptionContext ctx = context(in, "EncryptionContext");
    byte[] dataKey = caller.secret(new byte[bytes]);
    random.nextBytes(dataKey);
    byte[] blob = seal(k, dataKey, ctx);
    in.stopIfDryRun(); // the data key is zeroed with the request's other secrets
    ObjectNode out = Json.object();
    out.put("CiphertextBlob", blob);
    if (withPlaintext) {
      out.put("Plaintext", dataKey);
    }
    out.put("KeyId", resolver.keyArn(k.id()));
    putMaterialId(out, "KeyMaterialId", k, k.currentVersion());
    return out;
  }

  private ObjectNode generateRandom(Caller caller, Input in) {
    if (!in.has("NumberOfBytes")) {
      throw Input.invalid("NumberOfBytes", "is required (1 to 1024)");
    }
    int n = in.integer("NumberOfBytes", 1, 1024, 0);
    String store = in.string("CustomKeyStoreId");
    byte[] out;
    if (store != null) {
      out = caller.secret(customKeyStores.generateRandom(store, n));
    } else {
      out = caller.secret(new byte[n]);
      random.nextBytes(out);
    }
    ObjectNode o = Json.object();
    o.put("Plaintext", out);
    return o;
  }

  /** Encrypts under symmetric key {@code k}'s current version: a Coffer ciphertext blob. */
  byte[] seal(KeyRecord k, byte[] plaintext, EncryptionContext ctx) {
    BackingKey bk = backingKeys.get(k.id(), k.currentVersion());
    if (bk == null) {
      throw new KmsException(ErrorType.INTERNAL,
          "the current backing key of " + k.id() + " is missing; restore the database");
    }
    // One draw for both: each draw is a DRBG generate call (its reseed check and state update),
    // however the daemon's generator is shared between threads.
    byte[] drawn = new byte[CiphertextBlob.NONCE_BYTES + CiphertextBlob.IV_BYTES];
    random.nextBytes(drawn);
    byte[] nonce = Arrays.copyOfRange(drawn, 0, CiphertextBlob.NONCE_BYTES);
    byte[] iv = Arrays.copyOfRange(drawn, CiphertextBlob.NONCE_BYTES, drawn.length);
    byte[] header = new CiphertextBlob(k.id(), k.currentVersion(), nonce, iv,
        new byte[CiphertextBlob.TAG_BYTES]).header();
    byte[] sealed = bk.seal(nonce, iv, plaintext, aad(header, ctx));
    return ByteBuffer.allocate(header.length + sealed.length).put(header).put(sealed).array();
  }

  private record Opened(KeyRecord key, int version, byte[] plaintext) {}

  /**
   * The {@code KeyMaterialId} of the material a cryptographic operation used (AWS: Decrypt,
   * ReEncrypt, GenerateDataKey*; Encrypt's response has no such field).
   */
  void putMaterialId(ObjectNode out, String field, KeyRecord k, int version) {
    String id = registry.materialId(k.id(), version);
    if (id != null) {
      out.put(field, id);
    }
  }

  private Opened open(byte[] blobBytes, String keyRef, EncryptionContext ctx) {
    CiphertextBlob blob = CiphertextBlob.parse(blobBytes);
    KeyRecord named = registry.get(blob.keyId());
    if (keyRef != null) {
      KeyRecord expected = resolver.resolve(keyRef);
      if (!expected.id().equals(blob.keyId())) {
        throw new KmsException(ErrorType.INCORRECT_KEY,
            "the ciphertext was not encrypted under " + keyRef + "; omit KeyId or pass the key"
                + " that encrypted it");
      }
    }
    if (named == null) {
      throw new KmsException(ErrorType.NOT_FOUND,
          "the key that encrypted this ciphertext (" + blob.keyId() + ") does not exist;"
              + " it may have been deleted, after which its ciphertexts cannot be decrypted");
    }
    customKeyStores.requireUsable(named);
    if (!isSymmetric(named) || blob.version() > named.currentVersion()) {
      throw CiphertextBlob.invalid();
    }
    BackingKey bk = backingKeys.get(named.id(), blob.version());
    if (bk == null) {
      throw CiphertextBlob.invalid();
    }
    try {
      return new Opened(named, blob.version(), bk.open(blob.nonce(), blob.iv(), blob.sealed(),
          aad(blob.header(), ctx)));
    } catch (AEADBadTagException e) {
      throw CiphertextBlob.invalid();
    }
  }

  private static byte[] aad(byte[] header, EncryptionContext ctx) {
    byte[] c = ctx.canonicalBytes();
    return ByteBuffer.allocate(header.length + c.length).put(header).put(c).array();
  }

  private static EncryptionContext context(Input in, String field) {
    return Constraints.encryptionContext(in, field);
  }

  /**
   * An RSA ciphertext does not name its key (KMS API reference, Decrypt "KeyId" and ReEncrypt
   * "SourceKeyId": required for asymmetric ciphertexts), so an RSAES algorithm without {@code
   * keyField} on a blob that is not Coffer's is {@code ValidationException} naming the missing
   * field, rather than a complaint that the algorithm "does not apply to symmetric keys".
   */
  private static void requireKeyIdForRsa(Input in, byte[] blob, String keyField,
      String algorithmField, String verb) {
    String alg = in.string(algorithmField);
    if (alg != null && alg.startsWith("RSAES_") && in.string(keyField) == null
        && !isCofferBlob(blob)) {
      throw Input.invalid(keyField, "is required to " + verb + " " + alg + ": an asymmetric"
          + " ciphertext does not name its key; pass the RSA key's " + keyField);
    }
  }

  private static void checkAlgorithm(Input in, String field) {
    String alg = in.string(field);
    if (alg != null && !alg.equals(SYMMETRIC_DEFAULT)) {
      throw new KmsException(ErrorType.INVALID_KEY_USAGE,
          field + " " + alg + " does not apply to symmetric keys; use SYMMETRIC_DEFAULT");
    }
  }

  private KeyRecord usableKey(String ref) {
    return customKeyStores.requireUsable(resolver.resolve(ref));
  }

  /** Whether {@code blob} has the shape of a Coffer (symmetric) ciphertext. */
  private static boolean isCofferBlob(byte[] blob) {
    try {
      CiphertextBlob.parse(blob);
      return true;
    } catch (KmsException e) {
      return false;
    }
  }

  static boolean isSymmetric(KeyRecord k) {
    return SYMMETRIC_DEFAULT.equals(k.keySpec());
  }

  /**
   * A usable SYMMETRIC_DEFAULT key for an operation only symmetric keys serve
   * (GenerateDataKey*): AWS answers {@code InvalidKeyUsageException} for any other key.
   */
  KeyRecord usableSymmetricKey(String ref, String operation) {
    KeyRecord k = usableKey(ref);
    if (!isSymmetric(k)) {
      throw new KmsException(ErrorType.INVALID_KEY_USAGE, "key " + k.id() + " is a "
          + k.keySpec() + " key (KeyUsage " + k.keyUsage() + "); " + operation + " needs a"
          + " SYMMETRIC_DEFAULT key");
    }
    return k;
  }
}
