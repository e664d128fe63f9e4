package dev.coffer.daemon.managed;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.daemon.audit.AuditEvent;
import dev.coffer.daemon.audit.AuditSink;
import dev.coffer.daemon.audit.AuditSink.RequestAudit;
import dev.coffer.daemon.keys.AliasRecord;
import dev.coffer.daemon.keys.BackingKeys;
import dev.coffer.daemon.keys.KeyRecord;
import dev.coffer.daemon.keys.KeyRegistry;
import dev.coffer.daemon.keys.KeyResolver;
import dev.coffer.daemon.keys.KeyState;
import dev.coffer.daemon.keystore.KeyStoreBackend;
import dev.coffer.daemon.keystore.SoftwareKeyStore;
import dev.coffer.daemon.ops.Caller;
import dev.coffer.daemon.ops.Input;
import dev.coffer.daemon.ops.OperationTable.AccessCheck;
import dev.coffer.daemon.policy.AccountAccess;
import dev.coffer.daemon.policy.KeyPolicy;
import dev.coffer.daemon.policy.PolicyStore;
import dev.coffer.daemon.storage.Database;
import dev.coffer.protocol.ErrorType;
import dev.coffer.protocol.Json;
import dev.coffer.protocol.KmsException;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;

/**
 * Coffer's AWS managed keys (KMS FAQ: "AWS managed CMKs"): the first request that names {@code
 * alias/coffer/<name>} as the key to use ({@code Encrypt}, {@code GenerateDataKey*}, {@code
 * DescribeKey}, {@code ReEncrypt}'s destination), from a caller allowed to create keys
 * ({@code key-creators}), creates a key for it and the alias, atomically: two concurrent first
 * uses yield one key.
 *
 * <p>A managed key has {@code KeyManager} {@code AWS}, lives in the default (software) key
 * store, rotates every 365 days with no way to turn that off, is not counted against {@code
 * max-keys}, and has a fixed policy ({@link ManagedKeyPolicy}): its creator may use it,
 * administrators may read it and grant its use to others. Changes are refused with AWS's
 * answers: {@code AccessDeniedException} for operations the fixed policy does not allow (AWS:
 * "You cannot edit any properties of AWS managed keys"; "You don't have permission to associate
 * an alias with an AWS managed key", UpdateAlias's TargetKeyId), {@code
 * InvalidAliasNameException} for alias names under {@code alias/coffer/} (as for {@code
 * alias/aws/}). Its creation is audited as a {@code CreateKey} of the creating caller, durably,
 * before the request that caused it goes on. See {@code docs/operations.md}, "Managed keys".
 */
public final class ManagedKeys {

  private static final Logger LOG = Logger.getLogger(ManagedKeys.class.getName());

  /** The alias prefix whose first use creates a managed key. */
  public static final String PREFIX = "alias/coffer/";

  /**
   * The {@code <name>} of {@code alias/coffer/<name>}: one or more segments of {@code a-z A-Z
   * 0-9 _ -} joined by {@code /}. The alias syntax alone admits {@code alias/coffer/} and
   * {@code alias/coffer//x/}, which name no application.
   */
  private static final java.util.regex.Pattern NAME =
      java.util.regex.Pattern.compile("[a-zA-Z0-9_-]+(/[a-zA-Z0-9_-]+)*");

  /** Rotation of AWS managed keys: every year, not configurable (EnableKeyRotation). */
  static final int ROTATION_DAYS = 365;

  /** Operations and the fields in which naming an absent managed alias creates its key. */
  private static final Map<String, String> CREATING_FIELDS = Map.of(
      "Encrypt", "KeyId", "GenerateDataKey", "KeyId", "GenerateDataKeyWithoutPlaintext", "KeyId",
      "DescribeKey", "KeyId", "ReEncrypt", "DestinationKeyId");

  /** Operations on a key named by {@code KeyId} that would change a managed key. */
  private static final Set<String> CHANGES = Set.of("PutKeyPolicy", "ScheduleKeyDeletion",
      "CancelKeyDeletion", "DisableKey", "EnableKey", "EnableKeyRotation", "DisableKeyRotation",
      "RotateKeyOnDemand", "UpdateKeyDescription", "TagResource", "UntagResource",
      "GetParametersForImport", "ImportKeyMaterial", "DeleteImportedKeyMaterial");

  private final KeyRegistry registry;
  private final KeyResolver resolver;
  private final BackingKeys backingKeys;
  private final PolicyStore policies;
  private final AccountAccess account;
  private final AuditSink audit;
  private final Clock clock;
  private final Database db;
  private final Set<UUID> managed = ConcurrentHashMap.newKeySet();
  private final Object createLock = new Object();

  /**
   * @param account decides who may create keys ({@code CreateKey}), hence managed keys
   * @param audit where the implicit {@code CreateKey} is recorded
   */
  public ManagedKeys(KeyRegistry registry, KeyResolver resolver, BackingKeys backingKeys,
      PolicyStore policies, AccountAccess account, AuditSink audit, Clock clock) {
    this.registry = registry;
    this.resolver = resolver;
    this.backingKeys = backingKeys;
    this.policies = policies;
    this.account = account;
    this.audit = audit;
    this.clock = clock;
    this.db = registry.database();
    managed.addAll(loadManaged());
    // Counted in the creating transaction, so the exemption holds across nodes too.
    registry.setQuotaExempt(tx -> tx.count("SELECT COUNT(*) FROM managed_keys"));
  }

  /**
   * Registers the reloads of which keys are managed: a {@code key} or {@code managed}
   * announcement re-reads whether that key is (another node created it on first use), a lost
   * feed re-reads all.
   */
  public void registerReloads(dev.coffer.daemon.cluster.Reloaders r) {
    r.on(dev.coffer.daemon.cluster.ChangeFeed.Topic.KEY, id -> reload(UUID.fromString(id)));
    r.on(dev.coffer.daemon.cluster.ChangeFeed.Topic.MANAGED, id -> reload(UUID.fromString(id)));
    r.onReloadAll(this::reloadAll);
  }

  /** Re-reads whether {@code keyId} is a managed key. */
  public void reload(UUID keyId) {
    boolean stored = db.read(tx -> {
      try (PreparedStatement p = tx.connection().prepareStatement(
          "SELECT 1 FROM managed_keys WHERE key_id = ?")) {
        p.setString(1, keyId.toString());
        try (ResultSet r = p.executeQuery()) {
          return r.next();
        }
      }
    });
    if (stored) {
      managed.add(keyId);
    } else {
      managed.remove(keyId);
    }
  }

  /** Re-reads which keys are managed. */
  public void reloadAll() {
    Set<UUID> ids = loadManaged();
    managed.addAll(ids);
    managed.retainAll(ids);
  }

  private Set<UUID> loadManaged() {
    return db.read(tx -> {
      Set<UUID> ids = new java.util.HashSet<>();
      try (var s = tx.connection().createStatement();
          ResultSet r = s.executeQuery("SELECT key_id FROM managed_keys")) {
        while (r.next()) {
          ids.add(UUID.fromString(r.getString(1)));
        }
      }
      return ids;
    });
  }

  /** True for a managed key ({@code KeyManager} {@code AWS}). */
  public boolean isManaged(UUID keyId) {
    return managed.contains(keyId);
  }

  /**
   * The daemon's access check with managed keys in front: creates the managed key a request
   * names on first use, refuses changes to managed keys, then runs {@code next}.
   */
  public AccessCheck guarding(AccessCheck next) {
    return (operation, caller, input) -> {
      provision(operation, caller, input);
      refuseChanges(operation, input.node());
      next.authorize(operation, caller, input);
    };
  }

  // ---------------------------------------------------------------- creation on first use

  /** Creates the key of an absent {@code alias/coffer/<name>} the request names, if allowed. */
  void provision(String operation, Caller caller, Input input) {
    String field = CREATING_FIELDS.get(operation);
    if (field == null) {
      return;
    }
    String alias = resolver.aliasNameOf(text(input.node(), field));
    if (alias == null || !alias.startsWith(PREFIX) || registry.alias(alias) != null
        || !NAME.matcher(alias.substring(PREFIX.length())).matches()) {
      return;
    }
    try {
      KeyResolver.checkAliasName(alias, false);
      account.authorize("CreateKey", caller.identity());
    } catch (KmsException e) {
      // Not a valid name, or a caller who may not create keys: the alias stays absent and the
      // operation answers NotFoundException, as for any alias that does not exist.
      return;
    }
    create(alias, caller);
  }

  private void create(String alias, Caller caller) {
    synchronized (createLock) {
      if (registry.alias(alias) != null) {
        return; // a concurrent first use created it
      }
      // Outside max-keys (the FAQ), yet any key creator names managed keys at will: without a
      // bound of their own they would be a way around the quota. AWS has one per service.
      if (managed.size() >= registry.maxKeys()) {
        throw new KmsException(ErrorType.LIMIT_EXCEEDED, "this daemon already holds "
            + managed.size() + " managed keys (alias/coffer/*), as many as max-keys allows"
            + " customer keys; use an existing alias/coffer/ name or raise max-keys in"
            + " coffer.properties");
      }
      Instant now = clock.instant();
      UUID id = UUID.randomUUID();
      String creator = policies.principals().arnOf(caller.identity());
      KeyRecord key = KeyRecord.builder(id, now)
          .description("Default key for " + alias.substring("alias/".length()) + " when no"
              + " other key is defined (managed by Coffer; created on first use by " + creator
              + ")")
          .origin(KeyRecord.ORIGIN_AWS_KMS).keyStore(SoftwareKeyStore.ID)
          .state(KeyState.Enabled).currentVersion(1)
          .rotation(ROTATION_DAYS, now.plus(Duration.ofDays(ROTATION_DAYS))).build();
      KeyPolicy policy = ManagedKeyPolicy.of(policies.principals(), creator);
      KeyStoreBackend store = backingKeys.store(SoftwareKeyStore.ID);
      String arn = resolver.keyArn(id);
      ObjectNode request = Json.object().put("AliasName", alias).put("KeyManager", "AWS")
          .put("Reason", "first use of " + alias);
      String eventId = UUID.randomUUID().toString();
      RequestAudit guard = audit.begin(eventId, () -> new AuditEvent(now, "CreateKey",
          caller.identity(), -1, request, null, null, null, List.of(arn), true, false, eventId,
          true, caller.origin()));
      byte[] stored = store.generate(id, 1);
      // Known as managed, with its policy, before the commit makes its alias visible: a request
      // that finds the alias never sees the key with another policy or as a customer key.
      managed.add(id);
      policies.policyCommitted(id, policy);
      boolean done = false;
      try {
        UUID created = guard.run(() -> registry.createWithAlias(key, now, store.id(), stored,
            new AliasRecord(alias, id, now, now), tx -> {
              policies.putPolicy(tx, id, policy);
              try (PreparedStatement p = tx.connection().prepareStatement(
                  "INSERT INTO managed_keys(key_id, alias, creator, creation_ms)"
                      + " VALUES (?,?,?,?)")) {
                p.setString(1, id.toString());
                p.setString(2, alias);
                p.setString(3, creator);
                p.setLong(4, now.toEpochMilli());
                p.executeUpdate();
              }
              return null;
            }));
        if (!created.equals(id)) {
          return; // the alias was taken meanwhile: nothing was committed
        }
        done = true;
        ObjectNode response = Json.object();
        response.putObject("KeyMetadata").put("KeyId", id.toString()).put("Arn", arn)
            .put("KeyManager", "AWS");
        // Durable before the request that caused it goes on; if the log fails now, the record
        // is held in the outbox with the committed key (AuditTrail).
        guard.record(new AuditEvent(now, "CreateKey", caller.identity(), -1, request, response,
            null, null, List.of(arn), true, false, eventId, false, caller.origin()));
        LOG.info(() -> "created managed key " + id + " for " + alias + " on first use by "
            + creator);
      } finally {
        if (!done && !guard.committed()) {
          managed.remove(id);
          policies.keyDeleted(id);
          store.destroy(id, 1, stored);
        }
        guard.close();
      }
    }
  }

  // ---------------------------------------------------------------- refusals

  /**
   * Refuses what users may not do to managed keys, whoever asks (administrators too): change the
   * key, its policy, state or rotation ({@link #CHANGES}), point an alias at it, or retarget or
   * delete its alias. Alias names under {@code alias/coffer/} are refused earlier, with the API
   * constraints ({@code InvalidAliasNameException}, {@link KeyResolver#checkAliasName}).
   */
  void refuseChanges(String operation, ObjectNode input) {
    if (CHANGES.contains(operation)) {
      UUID id = managedKeyOf(text(input, "KeyId"));
      if (id != null) {
        throw denied(operation, id, "its policy, state, rotation, description and tags are"
            + " fixed (AWS: you cannot edit any properties of AWS managed keys); use a customer"
            + " managed key (create-key) for a key you control");
      }
      return;
    }
    switch (operation) {
      case "CreateAlias", "UpdateAlias" -> {
        UUID target = managedKeyOf(text(input, "TargetKeyId"));
        if (target != null) {
          throw denied(operation, target, "an alias cannot be associated with an AWS managed"
              + " key; point the alias at a customer managed key");
        }
        refuseManagedAlias(operation, text(input, "AliasName"));
      }
      case "DeleteAlias" -> refuseManagedAlias(operation, text(input, "AliasName"));
      default -> { }
    }
  }

  private void refuseManagedAlias(String operation, String aliasName) {
    AliasRecord a = aliasName == null ? null : registry.alias(aliasName);
    if (a != null && managed.contains(a.targetKeyId())) {
      throw denied(operation, a.targetKeyId(), "the alias " + aliasName + " of a managed key"
          + " is fixed for the key's life");
    }
  }

  /** The managed key a key id or key ARN names, else null (aliases name no key here). */
  private UUID managedKeyOf(String ref) {
    if (ref == null || ref.isEmpty() || resolver.aliasNameOf(ref) != null) {
      return null;
    }
    try {
      KeyRecord k = resolver.resolveKeyOnly(ref);
      return k != null && managed.contains(k.id()) ? k.id() : null;
    } catch (KmsException e) {
      return null; // the operation reports the bad reference
    }
  }

  private KmsException denied(String operation, UUID keyId, String why) {
    return new KmsException(ErrorType.ACCESS_DENIED, "kms:" + operation + " is not allowed on "
        + resolver.keyArn(keyId) + ": it is an AWS managed key (KeyManager AWS); " + why);
  }

  /** The managed keys' aliases and creators, ordered by alias, for tests and tools. */
  public Map<String, String> creators() {
    return db.read(tx -> {
      Map<String, String> out = new TreeMap<>();
      try (var s = tx.connection().createStatement();
          ResultSet r = s.executeQuery("SELECT alias, creator FROM managed_keys")) {
        while (r.next()) {
          out.put(r.getString(1), r.getString(2));
        }
      }
      return out;
    });
  }

  private static String text(ObjectNode input, String field) {
    JsonNode v = input == null ? null : input.get(field);
    return v != null && v.isTextual() ? v.textValue() : null;
  }
}
