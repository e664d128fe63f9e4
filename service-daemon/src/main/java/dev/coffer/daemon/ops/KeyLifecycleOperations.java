package dev.coffer.daemon.ops;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.daemon.asymmetric.AsymmetricKeys;
import dev.coffer.daemon.asymmetric.KmsKeySpec;
import dev.coffer.daemon.keys.BackingKeys;
import dev.coffer.daemon.keys.KeyRecord;
import dev.coffer.daemon.keys.KeyRegistry;
import dev.coffer.daemon.keys.KeyResolver;
import dev.coffer.daemon.keys.KeyState;
import dev.coffer.daemon.keystore.SoftwareKeyStore;
import dev.coffer.daemon.policy.Authorizer;
import dev.coffer.daemon.policy.KeyPolicy;
import dev.coffer.daemon.storage.Database;
import dev.coffer.protocol.ErrorType;
import dev.coffer.protocol.Json;
import dev.coffer.protocol.KmsException;
import dev.coffer.protocol.Operation;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.Predicate;

/**
 * A KMS key's life (KMS API reference): {@code CreateKey}, {@code DescribeKey}, {@code
 * ListKeys}, {@code UpdateKeyDescription}, {@code EnableKey}, {@code DisableKey}, {@code
 * ScheduleKeyDeletion} and {@code CancelKeyDeletion}, and the deletion of keys whose waiting
 * period (7 to 30 days) has ended. Which change each key state allows is {@link KeyStateRules}.
 *
 * <p>A deleted key's backing key versions are destroyed, and its policy and asymmetric key pair
 * forgotten: its ciphertexts can never be decrypted again.
 */
final class KeyLifecycleOperations {

  private final KeyRegistry registry;
  private final KeyResolver resolver;
  private final BackingKeys backingKeys;
  private final Clock clock;
  private final String account;
  private final Authorizer authorizer;
  private final PolicyOperations policies;
  private final CustomKeyStoreOperations customKeyStores;
  private final AsymmetricKeys asymmetricKeys;
  /** Which keys are AWS managed ({@code KeyManager} {@code AWS}): see ManagedKeys. */
  private volatile Predicate<UUID> awsManaged = id -> false;

  KeyLifecycleOperations(KeyRegistry registry, KeyResolver resolver, BackingKeys backingKeys,
      Clock clock, String account, Authorizer authorizer, PolicyOperations policies,
      CustomKeyStoreOperations customKeyStores, AsymmetricKeys asymmetricKeys) {
    this.registry = registry;
    this.resolver = resolver;
    this.backingKeys = backingKeys;
    this.clock = clock;
    this.account = account;
    this.authorizer = authorizer;
    this.policies = policies;
    this.customKeyStores = customKeyStores;
    this.asymmetricKeys = asymmetricKeys;
  }

  void register(OperationTable table) {
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
  }

  /** Tells DescribeKey and CreateKey which keys to report with {@code KeyManager} AWS. */
  void setAwsManaged(Predicate<UUID> managed) {
    this.awsManaged = managed;
  }

  /**
   * Deletes the keys whose deletion window ended: their backing key versions, their policies
   * and their asymmetric key pairs.
   *
   * @return how many keys were deleted
   */
  int deleteDueKeys() {
    List<Database.StoredVersion> gone = registry.deleteDue(clock.instant());
    backingKeys.destroy(gone);
    List<UUID> deletedKeys = gone.stream().map(v -> v.keyId()).distinct().toList();
    deletedKeys.forEach(authorizer.store()::keyDeleted);
    deletedKeys.forEach(asymmetricKeys::forget);
    return deletedKeys.size();
  }

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
    String current = k.inCustomKeyStore() || !SymmetricCryptoOperations.isSymmetric(k) ? null
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
}
