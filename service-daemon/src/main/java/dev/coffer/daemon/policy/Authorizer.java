package dev.coffer.daemon.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.coffer.daemon.crypto.CiphertextBlob;
import dev.coffer.daemon.keys.AliasRecord;
import dev.coffer.daemon.keys.KeyRecord;
import dev.coffer.daemon.keys.KeyRegistry;
import dev.coffer.daemon.keys.KeyResolver;
import dev.coffer.daemon.ops.Caller;
import dev.coffer.daemon.ops.Input;
import dev.coffer.daemon.identity.IamUser;
import dev.coffer.daemon.identity.Identity;
import dev.coffer.daemon.identity.UnixPeer;
import dev.coffer.daemon.policy.KeyPolicy.Statement;
import dev.coffer.daemon.policy.PolicyEvaluator.Decision;
import dev.coffer.protocol.ErrorType;
import dev.coffer.protocol.KmsException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * Decides every request before its operation runs: key policy (explicit deny wins, then an
 * allow), then grants, else {@code AccessDeniedException}. Account-level operations, which AWS
 * leaves to IAM, are decided by the daemon's configuration ({@link AccountAccess}).
 *
 * <p>Hot path: the statements of a key's policy that apply to a (principal, action) pair are
 * computed once and cached, keyed by the policy store's revision so any policy or grant change
 * is seen by the next request; only conditions are evaluated per request.
 */
public final class Authorizer {

  /**
   * A decision cache entry's key. The caller is its Unix uid and gid (user and groups follow
   * from them) or its IAM user name; the two kinds never share an entry.
   */
  private record CacheKey(UUID keyId, long revision, long uid, long gid, String iamUser,
      String action) {}

  private final KeyRegistry registry;
  private final KeyResolver resolver;
  private final PolicyStore store;
  private final AccountAccess account;
  private final Clock clock;
  private final PolicyEvaluator evaluator;
  private final Cache<CacheKey, List<Statement>> applicable = Caffeine.newBuilder()
      .maximumSize(100_000).expireAfterWrite(Duration.ofMinutes(1)).build();

  public Authorizer(KeyRegistry registry, KeyResolver resolver, PolicyStore store,
      AccountAccess account, Clock clock) {
    this.registry = registry;
    this.resolver = resolver;
    this.store = store;
    this.account = account;
    this.clock = clock;
    this.evaluator = new PolicyEvaluator(store.principals());
  }

  public PolicyStore store() {
    return store;
  }

  /** Operations whose key is named by the {@code KeyId} field, checked as {@code kms:<op>}. */
  private static final Set<String> BY_KEY_ID = Set.of("DescribeKey", "UpdateKeyDescription",
      "TagResource", "UntagResource", "ListResourceTags", "EnableKey", "DisableKey",
      "ScheduleKeyDeletion", "CancelKeyDeletion", "Encrypt", "GenerateDataKey",
      "GenerateDataKeyWithoutPlaintext", "EnableKeyRotation", "DisableKeyRotation",
      "GetKeyRotationStatus", "RotateKeyOnDemand", "ListKeyRotations", "GetParametersForImport",
      "ImportKeyMaterial", "DeleteImportedKeyMaterial", "PutKeyPolicy", "GetKeyPolicy",
      "ListKeyPolicies", "CreateGrant", "ListGrants", "RevokeGrant");

  /** Checks one request; throws {@code AccessDeniedException} (or the resolution error). */
  public void authorize(String operation, Caller caller, Input request) {
    ObjectNode input = request.node();
    Map<String, String> ctx = context(input, "EncryptionContext");
    if (BY_KEY_ID.contains(operation)) {
      KeyRecord k = keyOf(input, "KeyId");
      if (k == null) {
        return; // the operation reports the missing field
      }
      requireKeyAccess(caller, "kms:" + operation, k, ctx, grantExtras(operation, input),
          grantOperation(operation), input);
      return;
    }
    switch (operation) {
      case "Decrypt" -> {
        KeyRecord k = keyOfBlob(request);
        if (k != null) {
          requireKeyAccess(caller, "kms:Decrypt", k, ctx, Map.of(), "Decrypt", input);
        }
      }
      case "ReEncrypt" -> {
        KeyRecord src = keyOfBlob(request);
        if (src != null) {
          requireKeyAccess(caller, "kms:ReEncryptFrom", src,
              context(input, "SourceEncryptionContext"), Map.of(), "ReEncryptFrom", input);
        }
        KeyRecord dst = keyOf(input, "DestinationKeyId");
        if (dst != null) {
          requireKeyAccess(caller, "kms:ReEncryptTo", dst,
              context(input, "DestinationEncryptionContext"), Map.of(), "ReEncryptTo", input);
        }
      }
      case "CreateAlias", "UpdateAlias", "DeleteAlias" -> {
        String alias = text(input, "AliasName");
        AliasRecord existing = alias == null ? null : registry.alias(alias);
        if (existing != null && !operation.equals("CreateAlias")) {
          KeyRecord old = registry.get(existing.targetKeyId());
          if (old != null) {
            requireKeyAccess(caller, "kms:" + operation, old, Map.of(), Map.of(), null, input);
          }
        }
        if (!operation.equals("DeleteAlias")) {
          KeyRecord target = keyOf(input, "TargetKeyId");
          if (target != null) {
            requireKeyAccess(caller, "kms:" + operation, target, Map.of(), Map.of(), null, input);
          }
        }
      }
      // RetireGrant is decided by the grant itself (retiring principal or grantee).
      case "RetireGrant" -> { }
      default -> account.authorize(operation, caller.identity());
    }
  }

  private KeyRecord keyOf(ObjectNode input, String field) {
    String ref = text(input, field);
    if (ref == null || ref.isEmpty()) {
      return null;
    }
    return resolver.resolve(ref);
  }

  private KeyRecord keyOfBlob(Input request) {
    if (!(request.node().get("CiphertextBlob") instanceof TextNode)) {
      return null;
    }
    try {
      return registry.get(CiphertextBlob.parse(request.blob("CiphertextBlob")).keyId());
    } catch (KmsException e) {
      return null; // the operation reports the malformed blob
    }
  }

  private void requireKeyAccess(Caller caller, String action, KeyRecord key,
      Map<String, String> ctx, Map<String, List<String>> extra, String grantOperation,
      ObjectNode input) {
    String arn = resolver.keyArn(key.id());
    caller.resource(arn);
    checkGrantTokens(input);
    Identity peer = caller.identity();
    RequestContext rc = new RequestContext(peer, action, arn, ctx, clock.instant(), extra);
    Decision d = decide(key.id(), rc);
    if (d == Decision.ALLOW) {
      return;
    }
    if (d == Decision.NONE && grantOperation != null) {
      for (Grant g : store.grantsOf(key.id())) {
        if (store.principals().matches(g.grantee(), peer) && g.allows(grantOperation, ctx)) {
          return;
        }
      }
    }
    throw new KmsException(ErrorType.ACCESS_DENIED, "User: "
        + store.principals().arnOf(peer) + " is not authorized to perform: " + action
        + " on resource: " + arn + (d == Decision.DENY
            ? " with an explicit deny in the key policy"
            : " because no key policy statement or grant allows it; ask the key's"
                + " administrators for a policy statement or a grant"));
  }

  /** Evaluates a key's stored policy for one request, with the statement cache. */
  public Decision decide(UUID keyId, RequestContext rc) {
    // Keyed by the whole identity: which statements apply depends on the principal's kind,
    // name and groups, not on a uid alone.
    CacheKey ck = rc.identity() instanceof UnixPeer p
        ? new CacheKey(keyId, store.revision(), p.uid(), p.gid(), null, rc.action())
        : new CacheKey(keyId, store.revision(), -2, -2, ((IamUser) rc.identity()).userName(),
            rc.action());
    List<Statement> statements = applicable.get(ck, k -> evaluator.applicable(
        store.policy(keyId), rc));
    return evaluator.evaluate(statements, rc);
  }

  /** Evaluates a policy that is not stored (the lock-out safety check). */
  public Decision decide(KeyPolicy policy, RequestContext rc) {
    return evaluator.decide(policy, rc);
  }

  private void checkGrantTokens(ObjectNode input) {
    JsonNode tokens = input.get("GrantTokens");
    if (tokens == null || !tokens.isArray()) {
      return;
    }
    for (JsonNode t : tokens) {
      if (!t.isTextual() || store.grantByToken(t.textValue()) == null) {
        throw new KmsException(ErrorType.INVALID_GRANT_TOKEN,
            "a grant token in GrantTokens is not valid (the grant was retired, revoked or never"
                + " existed); drop it or use the token CreateGrant returned");
      }
    }
  }

  private static String grantOperation(String operation) {
    return Grant.OPERATIONS.contains(operation) ? operation : null;
  }

  private static Map<String, List<String>> grantExtras(String operation, ObjectNode input) {
    if (!operation.equals("CreateGrant")) {
      return Map.of();
    }
    Map<String, List<String>> extra = new HashMap<>();
    List<String> ops = new ArrayList<>();
    JsonNode o = input.get("Operations");
    if (o != null && o.isArray()) {
      o.forEach(e -> ops.add(e.asText()));
    }
    extra.put("kms:GrantOperations", ops);
    String grantee = text(input, "GranteePrincipal");
    if (grantee != null) {
      extra.put("kms:GranteePrincipal", List.of(grantee));
    }
    String retiring = text(input, "RetiringPrincipal");
    if (retiring != null) {
      extra.put("kms:RetiringPrincipal", List.of(retiring));
    }
    return extra;
  }

  private static String text(ObjectNode input, String field) {
    JsonNode v = input.get(field);
    return v != null && v.isTextual() ? v.textValue() : null;
  }

  private static Map<String, String> context(ObjectNode input, String field) {
    JsonNode c = input.get(field);
    if (c == null || !c.isObject()) {
      return Map.of();
    }
    Map<String, String> out = new HashMap<>();
    Iterator<Map.Entry<String, JsonNode>> it = c.fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      out.put(e.getKey(), e.getValue().asText());
    }
    return out;
  }
}
