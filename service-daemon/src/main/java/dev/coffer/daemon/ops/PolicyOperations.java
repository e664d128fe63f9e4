package dev.coffer.daemon.ops;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.coffer.daemon.keys.KeyRecord;
import dev.coffer.daemon.keys.KeyResolver;
import dev.coffer.daemon.policy.Authorizer;
import dev.coffer.daemon.policy.PolicyEvaluator;
import dev.coffer.daemon.policy.KeyPolicy;
import dev.coffer.daemon.policy.PolicyStore;
import dev.coffer.daemon.policy.RequestContext;
import dev.coffer.daemon.storage.Database;
import dev.coffer.protocol.ErrorType;
import dev.coffer.protocol.Json;
import dev.coffer.protocol.KmsException;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** {@code PutKeyPolicy}, {@code GetKeyPolicy}, {@code ListKeyPolicies}: one policy per key, named "default". */
final class PolicyOperations {

  static final String POLICY_NAME = "default";

  private final KeyResolver resolver;
  private final Authorizer authorizer;
  private final Database db;
  private final Clock clock;

  PolicyOperations(KeyResolver resolver, Authorizer authorizer, Database db, Clock clock) {
    this.resolver = resolver;
    this.authorizer = authorizer;
    this.db = db;
    this.clock = clock;
  }

  void register(OperationTable table) {
    table.register("PutKeyPolicy", Set.of("KeyId", "PolicyName", "Policy",
        "BypassPolicyLockoutSafetyCheck"), this::putKeyPolicy);
    table.register("GetKeyPolicy", Set.of("KeyId", "PolicyName"), this::getKeyPolicy);
    table.register("ListKeyPolicies", Set.of("KeyId", "Limit", "Marker"), this::listKeyPolicies);
  }

  private static void checkName(Input in) {
    String name = in.string("PolicyName");
    if (name != null && !name.equals(POLICY_NAME)) {
      throw new KmsException(ErrorType.NOT_FOUND,
          "a key has one policy, named \"default\"; got PolicyName " + name);
    }
  }

  /**
   * Parses a policy and applies the lock-out safety check: unless bypassed, the new policy must
   * let the caller change the policy again.
   */
  KeyPolicy checked(Caller caller, String document, boolean bypass, String keyArn) {
    KeyPolicy policy = KeyPolicy.parse(document, authorizer.store().principals());
    if (!bypass) {
      RequestContext rc = new RequestContext(caller.identity(), "kms:PutKeyPolicy", keyArn,
          Map.of(), clock.instant(), Map.of());
      if (authorizer.decide(policy, rc) != PolicyEvaluator.Decision.ALLOW) {
        throw new KmsException(ErrorType.MALFORMED_POLICY,
            "the new key policy will not allow you to update the key policy in the future;"
                + " include a statement that allows you kms:PutKeyPolicy, or set"
                + " BypassPolicyLockoutSafetyCheck if you really mean to lock yourself out");
      }
    }
    return policy;
  }

  private ObjectNode putKeyPolicy(Caller caller, Input in) {
    KeyRecord k = resolver.resolveKeyOnly(in.requiredString("KeyId"));
    checkName(in);
    KeyPolicy policy = checked(caller, in.requiredString("Policy"),
        in.bool("BypassPolicyLockoutSafetyCheck"), resolver.keyArn(k.id()));
    PolicyStore store = authorizer.store();
    db.inTransaction(tx -> {
      store.putPolicy(tx, k.id(), policy);
      return null;
    });
    store.policyCommitted(k.id(), policy);
    return Json.object();
  }

  private ObjectNode getKeyPolicy(Caller caller, Input in) {
    KeyRecord k = resolver.resolveKeyOnly(in.requiredString("KeyId"));
    checkName(in);
    ObjectNode out = Json.object();
    out.put("Policy", authorizer.store().policy(k.id()).document());
    out.put("PolicyName", POLICY_NAME);
    return out;
  }

  private ObjectNode listKeyPolicies(Caller caller, Input in) {
    resolver.resolveKeyOnly(in.requiredString("KeyId"));
    // Paged like every listing, so a Marker is checked (InvalidMarkerException) here too.
    ObjectNode out = Json.object();
    Paging.page(List.of(POLICY_NAME), n -> n, n -> TextNode.valueOf(n), in, 100, 1000,
        "PolicyNames", out);
    return out;
  }
}
