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
      "ListKeyPolicies", "CreateGrant", "ListGrants", "RevokeGrant", "Sign", "Verify",
      "GenerateMac", "VerifyMac", "GetPublicKey", "GenerateDataKeyPair",
      "GenerateDataKeyPairWithoutPlaintext", "PutCertificateChain", "GetCertificateChain");

  /** Checks one request; throws {@code AccessDeniedException} (or the resolution error). */
  public void authorize(String operation, Caller caller, Input request) {
    ObjectNode input = request.node();
    Map<String, String> ctx = context(input, "EncryptionContext");
    if (BY_KEY_ID.contains(operation)) {
      KeyRecord k = keyOf(input, "KeyId");
      if (k == null) {
        return; // the operation reports the missing field
      }
      requireKeyAccess(caller, "kms:" + operation, k, ctx,
          extras(operation, input, k, "EncryptionAlgorithm"), grantOperation(operation), input);
      return;
    }
    switch (operation) {
      case "Decrypt" -> {
        // An RSA ciphertext names no key: the KeyId the request must then give is the key.
        KeyRecord k = keyOfBlobOr(request, "KeyId");
        if (k != null) {
          requireKeyAccess(caller, "kms:Decrypt", k, ctx,
              extras(operation, input, k, "EncryptionAlgorithm"), "Decrypt", input);
        }
      }
      case "ReEncrypt" -> {
        KeyRecord src = keyOfBlobOr(request, "SourceKeyId");
        if (src != null) {
          requireKeyAccess(caller, "kms:ReEncryptFrom", src,
              context(input, "SourceEncryptionContext"),
              extras(operation, input, src, "SourceEncryptionAlgorithm"), "ReEncryptFrom", input);
        }
        KeyRecord dst = keyOf(input, "DestinationKeyId");
        if (dst != null) {
          requireKeyAccess(caller, "kms:ReEncryptTo", dst,
              context(input, "DestinationEncryptionContext"),
              extras(operation, input, dst, "DestinationEncryptionAlgorithm"), "ReEncryptTo",
              input);
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

  /**
   * The key a symmetric ciphertext names, else the key the request's {@code field} names (an
   * asymmetric ciphertext names none); null when neither names one.
   */
  private KeyRecord keyOfBlobOr(Input request, String field) {
    KeyRecord k = keyOfBlob(request);
    return k != null ? k : keyOf(request.node(), field);
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

  /**
   * The condition keys of a request on key {@code k} besides its encryption context (AWS KMS
   * condition keys): {@code kms:KeySpec}, {@code kms:KeyUsage} and {@code kms:KeyOrigin} of the
   * key; {@code kms:EncryptionAlgorithm} (from {@code algorithmField}, {@code
   * SYMMETRIC_DEFAULT} when absent) for Encrypt, Decrypt and ReEncrypt; {@code
   * kms:SigningAlgorithm} and {@code kms:MessageType} ({@code RAW} when absent) for Sign and
   * Verify; {@code kms:MacAlgorithm} for GenerateMac and VerifyMac; {@code kms:GrantOperations},
   * {@code kms:GranteePrincipal}, {@code kms:RetiringPrincipal} for CreateGrant.
   */
  private static Map<String, List<String>> extras(String operation, ObjectNode input,
      KeyRecord k, String algorithmField) {
    Map<String, List<String>> extra = new HashMap<>(grantExtras(operation, input));
    extra.put("kms:KeySpec", List.of(k.keySpec()));
    extra.put("kms:KeyUsage", List.of(k.keyUsage()));
    extra.put("kms:KeyOrigin", List.of(k.origin()));
    switch (operation) {
      case "Encrypt", "Decrypt", "ReEncrypt" -> {
        String alg = text(input, algorithmField);
        extra.put("kms:EncryptionAlgorithm", List.of(alg == null ? "SYMMETRIC_DEFAULT" : alg));
      }
      case "Sign", "Verify" -> {
        String alg = text(input, "SigningAlgorithm");
        if (alg != null) {
          extra.put("kms:SigningAlgorithm", List.of(alg));
        }
        String type = text(input, "MessageType");
        extra.put("kms:MessageType", List.of(type == null ? "RAW" : type));
      }
      case "GenerateMac", "VerifyMac" -> {
        String alg = text(input, "MacAlgorithm");
        if (alg != null) {
          extra.put("kms:MacAlgorithm", List.of(alg));
        }
      }
      default -> { }
    }
    return extra;
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
