package dev.coffer.daemon.ops;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.daemon.accesskey.AccessKeyStore;
import dev.coffer.daemon.asymmetric.AsymmetricKeys;
import dev.coffer.daemon.asymmetric.KmsKeySpec;
import dev.coffer.daemon.crypto.Bytes;
import dev.coffer.daemon.crypto.CiphertextBlob;
import dev.coffer.daemon.crypto.EncryptionContext;
import dev.coffer.daemon.cluster.Announcer;
import dev.coffer.daemon.cluster.Reloaders;
import dev.coffer.daemon.keys.BackingKeys;
import dev.coffer.daemon.keys.KeyRecord;
import dev.coffer.daemon.keys.KeyRegistry;
import dev.coffer.daemon.keys.KeyResolver;
import dev.coffer.daemon.keys.KeyState;
import dev.coffer.daemon.keystore.BackingKey;
import dev.coffer.daemon.keystore.RootKey;
import dev.coffer.daemon.policy.Authorizer;
import dev.coffer.daemon.policy.KeyPolicy;
import dev.coffer.daemon.keystore.SoftwareKeyStore;
import dev.coffer.protocol.ErrorType;
import dev.coffer.protocol.Json;
import dev.coffer.protocol.KmsException;
import dev.coffer.protocol.Operation;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import javax.crypto.AEADBadTagException;

/**
 * The AWS KMS operations on keys and ciphertexts, and the table of every operation (the others
 * register theirs: aliases, tags, grants, policies, rotation, import, ...), with AWS semantics:
 * the same parameters, limits, key-state rules and exception names (see {@code
 * shared/reference/kms-semantics.md} and {@code docs/operations.md}).
 *
 * <p>This layer knows no transport and no key store: it talks to the {@link KeyRegistry} for
 * metadata and to {@link BackingKey}s for cryptography.
 */
public final class KmsOperations {

  private static final java.util.logging.Logger LOG =
      java.util.logging.Logger.getLogger(KmsOperations.class.getName());

  static final String SYMMETRIC_DEFAULT = "SYMMETRIC_DEFAULT";

  private final KeyRegistry registry;
  private final KeyResolver resolver;
  private final BackingKeys backingKeys;
  private final Clock clock;
  private final SecureRandom random;
  private final String account;
  private final OperationTable table = new OperationTable();
  private final RotationOperations rotation;
  private final ImportOperations imports;
  private final MetricsOperations metrics;

  private final Authorizer authorizer;
  private final PolicyOperations policies;
  private final CustomKeyStoreOperations customKeyStores;
  private final AccessKeyStore accessKeys;
  private final AsymmetricKeys asymmetricKeys;
  private final RsaCryptoOperations rsa;
  /** Which keys are AWS managed ({@code KeyManager} {@code AWS}): see ManagedKeys. */
  private volatile java.util.function.Predicate<UUID> awsManaged = id -> false;

  public KmsOperations(
      KeyRegistry registry, KeyResolver resolver, BackingKeys backingKeys, RootKey root,
      Clock clock, SecureRandom random, String account, Authorizer authorizer) {
    this(registry, resolver, backingKeys, root, clock, random, account, authorizer, "local");
  }

  /**
   * @param nodeId this node's id ({@code Database.nodeId()}): names the node in custom key
   *     store connection rows and in the error a node without a token session answers
   */
  public KmsOperations(
      KeyRegistry registry, KeyResolver resolver, BackingKeys backingKeys, RootKey root,
      Clock clock, SecureRandom random, String account, Authorizer authorizer, String nodeId) {
    this.authorizer = authorizer;
    this.policies = new PolicyOperations(resolver, authorizer, registry.database(), clock);
    this.registry = registry;
    this.resolver = resolver;
    this.backingKeys = backingKeys;
    this.clock = clock;
    this.random = random;
    this.account = account;
    // Audit records of these changes come from the transactions that make them (the audit
    // outbox, AuditTrail); this only logs them.
    KeyEvents keyEvents = (name, keyId) -> LOG.info(() -> name + " " + keyId);
    this.rotation = new RotationOperations(registry, resolver, backingKeys, clock, keyEvents);
    this.asymmetricKeys = new AsymmetricKeys(root, registry.database(), random, 10_000);
    this.imports = new ImportOperations(registry, resolver, backingKeys, root, clock, random,
        keyEvents, asymmetricKeys);
    this.metrics = new MetricsOperations(registry, resolver, clock);
    rotation.register(table);
    imports.register(table);
    metrics.register(table);
    this.customKeyStores = new CustomKeyStoreOperations(registry, backingKeys, root, clock, random,
        nodeId);
    customKeyStores.register(table);
    policies.register(table);
    new GrantOperations(resolver, authorizer, clock, random).register(table);
    new AliasOperations(registry, resolver, clock).register(table);
    new TagOperations(registry, resolver).register(table);
    this.accessKeys = new AccessKeyStore(registry.database(), root, random, clock);
    new AccessKeyOperations(accessKeys).register(table);
    this.rsa = new RsaCryptoOperations(asymmetricKeys);
    new SigningOperations(resolver, asymmetricKeys).register(table);
    new CertificateOperations(resolver, asymmetricKeys, registry.database()).register(table);
    new DataKeyPairOperations(this, resolver, random).register(table);
    table.setAccessCheck(authorizer::authorize);
    // Derived, never stored: markers survive a restart of this home and mean nothing elsewhere.
    byte[] markerKey = root.mac("coffer-paging-marker-key-v1", new byte[0], new byte[0]);
    try {
      table.setMarkerKey(new Paging.MarkerKey(markerKey));
    } finally {
      Bytes.zero(markerKey);
    }
    Set<String> crypto = Set.of("GrantTokens", "DryRun");
    table.register(Operation.CREATE_KEY, Set.of("Description", "Tags", "KeyUsage", "KeySpec",
        "CustomerMasterKeySpec", "Origin", "Policy", "BypassPolicyLockoutSafetyCheck",
        "MultiRegion", "CustomKeyStoreId", "XksKeyId"), this::createKey);
    table.register(Operation.DESCRIBE_KEY, Set.of("KeyId", "GrantTokens"), this::describeKey);
    table.register(Operation.LIST_KEYS, Set.of("Limit", "Marker"), this::listKeys);
    table.register(Operation.UPDATE_KEY_DESCRIPTION, Set.of("KeyId", "Description"),
        this::updateKeyDescription);
    table.register(Operation.ENABLE_KEY, Set.of("KeyId"), this::enableKey);
    table.register(Operation.DISABLE_KEY, Set.of("KeyId"), this::disableKey);
    table.register(Operation.SCHEDULE_KEY_DELETION, Set.of("KeyId", "PendingWindowInDays"),
        this::scheduleKeyDeletion);
    table.register(Operation.CANCEL_KEY_DELETION, Set.of("KeyId"), this::cancelKeyDeletion);
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

  /**
   * Announces custom key store changes through {@code a} and reloads them on other nodes'
   * announcements (docs/cluster.md, "Custom key stores").
   */
  public void joinChangeFeed(Announcer a, Reloaders r) {
    customKeyStores.setAnnouncer(a);
    customKeyStores.registerReloads(r);
  }

  /** The access keys, for the HTTPS door's signature verification ({@link AccessKeyStore#find}). */
  public AccessKeyStore accessKeys() {
    return accessKeys;
  }

  /** Tells DescribeKey and CreateKey which keys to report with {@code KeyManager} AWS. */
  public void setAwsManaged(java.util.function.Predicate<UUID> managed) {
    this.awsManaged = managed;
  }

  public OperationTable table() {
    return table;
  }

  /** What one maintenance pass did. */
  public record Maintenance(int deleted, int rotated, int expired) {}

  /**
   * Deletes keys whose deletion window ended, rotates keys whose rotation is due, and erases
   * imported material whose ValidTo has passed. Runs at start-up (catching up on whatever fell
   * due while the daemon was down) and periodically.
   */
  public Maintenance runMaintenance() {
    return runMaintenance(clock.instant());
  }

  /**
   * As {@link #runMaintenance()}, erasing imported material whose ValidTo is not after {@code
   * expiredBy}: the instant the pass's expiry events were raised for, so no material is erased
   * without its {@code KMS Imported Key Material Expiration} event ({@code
   * dev.coffer.daemon.events.ExpiryEvents}).
   */
  public Maintenance runMaintenance(java.time.Instant expiredBy) {
    List<dev.coffer.daemon.storage.Database.StoredVersion> gone =
        registry.deleteDue(clock.instant());
    backingKeys.destroy(gone);
    List<UUID> deletedKeys = gone.stream().map(v -> v.keyId()).distinct().toList();
    deletedKeys.forEach(authorizer.store()::keyDeleted);
    deletedKeys.forEach(asymmetricKeys::forget);
    int deleted = deletedKeys.size();
    return new Maintenance(deleted, rotation.rotateDueKeys(), imports.expireMaterial(expiredBy));
  }

  public MetricsOperations metrics() {
    return metrics;
  }

  // ---------------------------------------------------------------- keys

  private ObjectNode createKey(Caller caller, Input in) {
    String description = in.string("Description");
    if (description == null) {
      description = "";
    }
    String specName = in.string("KeySpec");
    String legacySpec = in.string("CustomerMasterKeySpec");
    if (specName != null && legacySpec != null) {
      throw Input.invalid("KeySpec", "and CustomerMasterKeySpec cannot both be given; use KeySpec");
    }
    specName = specName != null ? specName : legacySpec;
    KmsKeySpec spec = specName == null ? KmsKeySpec.SYMMETRIC_DEFAULT : KmsKeySpec.of(specName);
    // AWS defaults KeyUsage to ENCRYPT_DECRYPT, whatever the spec: an ECC or HMAC key needs it.
    String usage = in.string("KeyUsage");
    usage = usage == null ? KmsKeySpec.ENCRYPT_DECRYPT : usage;
    spec.checkUsage(usage);
    String origin = in.string("Origin");
    String customStore = in.string("CustomKeyStoreId");
    origin = origin == null
        ? (customStore != null ? KeyRecord.ORIGIN_AWS_CLOUDHSM : KeyRecord.ORIGIN_AWS_KMS) : origin;
    if (!origin.equals(KeyRecord.ORIGIN_AWS_KMS) && !origin.equals(KeyRecord.ORIGIN_EXTERNAL)
        && !origin.equals(KeyRecord.ORIGIN_AWS_CLOUDHSM)) {
      throw new KmsException(ErrorType.UNSUPPORTED_OPERATION, "Origin " + origin
          + " is not supported; use AWS_KMS (the default), EXTERNAL or AWS_CLOUDHSM");
    }
    if (origin.equals(KeyRecord.ORIGIN_AWS_CLOUDHSM) != (customStore != null)) {
      throw Input.invalid("CustomKeyStoreId", "is required with Origin AWS_CLOUDHSM, and only"
          + " with it: keys in a custom key store have origin AWS_CLOUDHSM");
    }
    if (spec != KmsKeySpec.SYMMETRIC_DEFAULT) {
      // AWS: custom key stores hold symmetric keys only; imported material for HMAC keys only
      // (Coffer does not import asymmetric key material).
      if (customStore != null) {
        throw new KmsException(ErrorType.UNSUPPORTED_OPERATION, "custom key stores hold"
            + " SYMMETRIC_DEFAULT keys only; create " + spec + " keys without CustomKeyStoreId");
      }
      if (origin.equals(KeyRecord.ORIGIN_EXTERNAL) && spec.family() != KmsKeySpec.Family.HMAC) {
        throw new KmsException(ErrorType.UNSUPPORTED_OPERATION, "Coffer imports key material"
            + " for SYMMETRIC_DEFAULT and HMAC keys only; create " + spec + " keys with Origin"
            + " AWS_KMS");
      }
    }
    // Custom key stores: the key is generated in the token of a CONNECTED store.
    var keyStore = customStore != null ? customKeyStores.storeForNewKey(customStore)
        : backingKeys.store(SoftwareKeyStore.ID);
    OperationTable.refuseIfPresent(in, "XksKeyId", "external key stores are not supported");
    if (in.bool("MultiRegion")) {
      throw new KmsException(ErrorType.UNSUPPORTED_OPERATION,
          "multi-Region keys are not supported; a Coffer daemon is one Region");
    }
    TreeMap<String, String> tags = new TreeMap<>();
    TagOperations.addTags(tags, in.tags("Tags"));

    Instant now = clock.instant();
    UUID id = UUID.randomUUID();
    boolean external = origin.equals(KeyRecord.ORIGIN_EXTERNAL);
    KeyRecord key = KeyRecord.builder(id, now).description(description).origin(origin)
        .keyStore(keyStore.id()).tags(tags).keySpec(spec.name()).keyUsage(usage)
        .state(external ? KeyState.PendingImport : KeyState.Enabled)
        .currentVersion(external ? 0 : 1).build();
    KeyPolicy policy = in.has("Policy")
        ? policies.checked(caller, in.requiredString("Policy"),
            in.bool("BypassPolicyLockoutSafetyCheck"), resolver.keyArn(id))
        : null;
    AsymmetricKeys.Generated pair = external || spec == KmsKeySpec.SYMMETRIC_DEFAULT ? null
        : asymmetricKeys.generate(id, 1, spec);
    byte[] stored = external ? null : pair != null ? pair.stored() : keyStore.generate(id, 1);
    try {
      registry.create(key, now, keyStore.id(), stored, tx -> {
        if (pair != null && pair.publicKey() != null) {
          tx.insertPublicKey(id, pair.publicKey());
        }
        if (policy != null) {
          authorizer.store().putPolicy(tx, id, policy);
        }
        return null;
      });
    } catch (RuntimeException e) {
      if (stored != null) {
        keyStore.destroy(id, 1, stored); // a token object must not outlive a refused key
      }
      throw e;
    }
    if (policy != null) {
      authorizer.store().policyCommitted(id, policy);
    }
    caller.resource(resolver.keyArn(id));
    ObjectNode out = Json.object();
    out.set("KeyMetadata", keyMetadata(key));
    return out;
  }

  /**
   * {@link Responses#keyMetadata} with {@code CurrentKeyMaterialId}, which AWS gives for
   * symmetric keys of origin AWS_KMS and EXTERNAL (once material was imported), not for keys in
   * a custom key store.
   */
  private ObjectNode keyMetadata(KeyRecord k) {
    ObjectNode m = Responses.keyMetadata(k, resolver, account);
    SigningOperations.putAlgorithms(m, k);
    String current = k.inCustomKeyStore() || !isSymmetric(k) ? null
        : registry.materialId(k.id(), k.currentVersion());
    if (awsManaged.test(k.id())) {
      m.put("KeyManager", "AWS");
    }
    if (current != null) {
      m.put("CurrentKeyMaterialId", current);
    }
    return m;
  }

  private ObjectNode describeKey(Caller caller, Input in) {
    KeyRecord k = resolver.resolve(in.requiredString("KeyId"));
    ObjectNode out = Json.object();
    out.set("KeyMetadata", keyMetadata(k));
    return out;
  }

  private ObjectNode listKeys(Caller caller, Input in) {
    ObjectNode out = Json.object();
    Paging.page(registry.all(), r -> r.id().toString(),
        k -> Json.object().put("KeyId", k.id().toString()).put("KeyArn", resolver.keyArn(k.id())),
        in, 100, 1000, "Keys", out);
    return out;
  }

  private ObjectNode updateKeyDescription(Caller caller, Input in) {
    KeyRecord k = resolver.resolveKeyOnly(in.requiredString("KeyId"));
    String d = in.string("Description");
    if (d == null) {
      throw Input.invalid("Description", "is required");
    }
    registry.update(k.id(), cur -> KeyStateRules.requireNotPendingDeletion(cur).toBuilder().description(d).build());
    return Json.object();
  }

  private ObjectNode enableKey(Caller caller, Input in) {
    KeyRecord k = resolver.resolveKeyOnly(in.requiredString("KeyId"));
    registry.update(k.id(), cur -> KeyStateRules.requireEnableable(cur).toBuilder().state(KeyState.Enabled).build());
    return Json.object();
  }

  private ObjectNode disableKey(Caller caller, Input in) {
    KeyRecord k = resolver.resolveKeyOnly(in.requiredString("KeyId"));
    registry.update(k.id(), cur -> KeyStateRules.requireEnableable(cur).toBuilder().state(KeyState.Disabled).build());
    return Json.object();
  }

  private ObjectNode scheduleKeyDeletion(Caller caller, Input in) {
    KeyRecord k = resolver.resolveKeyOnly(in.requiredString("KeyId"));
    int days = in.integer("PendingWindowInDays", 7, 30, 30);
    Instant when = clock.instant().plus(Duration.ofDays(days));
    KeyRecord updated =
        registry.update(
            k.id(),
            cur -> {
              if (cur.state() == KeyState.PendingDeletion) {
                throw new KmsException(ErrorType.INVALID_STATE,
                    "key " + cur.id() + " is already pending deletion (on "
                        + cur.deletionDate() + "); cancel-key-deletion first to change the window");
              }
              return cur.toBuilder().pendingDeletion(when, days).build();
            });
    ObjectNode out = Json.object();
    out.put("KeyId", resolver.keyArn(k.id()));
    out.put("DeletionDate", Responses.epochSeconds(updated.deletionDate()));
    out.put("KeyState", KeyState.PendingDeletion.name());
    out.put("PendingWindowInDays", days);
    return out;
  }

  private ObjectNode cancelKeyDeletion(Caller caller, Input in) {
    KeyRecord k = resolver.resolveKeyOnly(in.requiredString("KeyId"));
    registry.update(
        k.id(),
        cur -> {
          if (cur.state() != KeyState.PendingDeletion) {
            throw new KmsException(ErrorType.INVALID_STATE,
                "key " + cur.id() + " is " + cur.state() + ", not pending deletion; nothing to"
                    + " cancel");
          }
          KeyRecord next = cur.toBuilder().state(KeyState.Disabled).build();
          // A key whose imported material is missing cannot be Disabled (EnableKey would make
          // an unusable key Enabled): it returns to PendingImport.
          return cur.isExternal() ? KeyMaterials.settle(next, registry.materials(cur.id())) : next;
        });
    ObjectNode out = Json.object();
    out.put("KeyId", resolver.keyArn(k.id()));
    return out;
  }

  // ---------------------------------------------------------------- cryptography

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
    // One draw for both: the daemon's DRBG is one synchronized object that every connection
    // thread shares, so each draw is a turn on its lock.
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
