package dev.coffer.daemon.ops;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.daemon.asymmetric.KmsKeySpec;
import dev.coffer.daemon.keys.KeyRecord;
import dev.coffer.daemon.keys.KeyResolver;
import dev.coffer.daemon.keys.KeyState;
import dev.coffer.daemon.policy.Authorizer;
import dev.coffer.daemon.policy.PolicyEvaluator;
import dev.coffer.daemon.policy.Grant;
import dev.coffer.daemon.policy.PolicyStore;
import dev.coffer.daemon.policy.Principals;
import dev.coffer.daemon.policy.RequestContext;
import dev.coffer.protocol.ErrorType;
import dev.coffer.protocol.Json;
import dev.coffer.protocol.KmsException;
import dev.coffer.protocol.WellFormedText;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Base64;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Grants: {@code CreateGrant}, {@code ListGrants}, {@code ListRetirableGrants}, {@code
 * RetireGrant}, {@code RevokeGrant}. A grant takes effect for the next request; its token is
 * accepted in {@code GrantTokens} wherever AWS accepts one.
 */
final class GrantOperations {

  static final int MAX_GRANTS_PER_KEY = 50_000;
  /** Encryption context pairs in one grant constraint (CreateGrant API reference). */
  static final int MAX_CONSTRAINT_PAIRS = 8;
  /** Unicode characters in a grant constraint's value (CreateGrant API reference); keys too. */
  static final int MAX_CONSTRAINT_CHARS = 384;

  private final KeyResolver resolver;
  private final Authorizer authorizer;
  private final Clock clock;
  private final SecureRandom random;

  GrantOperations(KeyResolver resolver, Authorizer authorizer, Clock clock, SecureRandom random) {
    this.resolver = resolver;
    this.authorizer = authorizer;
    this.clock = clock;
    this.random = random;
  }

  void register(OperationTable table) {
    table.register("CreateGrant", Set.of("KeyId", "GranteePrincipal", "RetiringPrincipal",
        "Operations", "Constraints", "GrantTokens", "Name", "DryRun"), this::createGrant);
    table.register("ListGrants", Set.of("KeyId", "Limit", "Marker", "GrantId",
        "GranteePrincipal"), this::listGrants);
    table.register("ListRetirableGrants", Set.of("RetiringPrincipal", "Limit", "Marker"),
        this::listRetirableGrants);
    table.register("RetireGrant", Set.of("GrantToken", "KeyId", "GrantId", "DryRun"),
        this::retireGrant);
    table.register("RevokeGrant", Set.of("KeyId", "GrantId", "DryRun"), this::revokeGrant);
  }

  private PolicyStore store() {
    return authorizer.store();
  }

  private Principals principals() {
    return store().principals();
  }

  private ObjectNode createGrant(Caller caller, Input in) {
    KeyRecord k = resolver.resolveKeyOnly(in.requiredString("KeyId"));
    // AWS's key-state table: Disabled is DisabledException, pending deletion or import
    // KMSInvalidStateException; an Unavailable key (custom key store disconnected) takes grants.
    switch (k.state()) {
      case Disabled -> throw KeyStateRules.disabled(k);
      case PendingDeletion -> throw KeyStateRules.pendingDeletion(k,
          "no grants can be created for it; cancel-key-deletion first");
      case PendingImport -> throw KeyStateRules.pendingImport(k);
      default -> { }
    }
    String grantee = principal(in.requiredString("GranteePrincipal"), "GranteePrincipal");
    String retiring = in.has("RetiringPrincipal")
        ? principal(in.requiredString("RetiringPrincipal"), "RetiringPrincipal") : null;
    List<String> ops = in.stringList("Operations");
    if (ops.isEmpty()) {
      throw Input.invalid("Operations", "is required: the operations the grant allows");
    }
    for (String op : ops) {
      if (!Grant.OPERATIONS.contains(op)) {
        throw Input.invalid("Operations", "contains " + op + "; allowed: "
            + String.join(", ", new java.util.TreeSet<>(Grant.OPERATIONS)));
      }
      requireGrantableOn(k, op);
    }
    Map<String, String> equals = null;
    Map<String, String> subset = null;
    if (in.has("Constraints") && !SymmetricCryptoOperations.isSymmetric(k)) {
      // AWS: encryption context grant constraints are supported only with symmetric
      // encryption keys; asymmetric and HMAC operations take no encryption context.
      throw Input.invalid("Constraints", "applies only to grants on SYMMETRIC_DEFAULT keys; "
          + k.id() + " is a " + k.keySpec() + " key, whose operations take no encryption"
          + " context: create the grant without Constraints");
    }
    if (in.has("Constraints")) {
      Input c = in.object("Constraints", Set.of("EncryptionContextEquals",
          "EncryptionContextSubset"));
      equals = c.has("EncryptionContextEquals")
          ? constraint(c, "Constraints.EncryptionContextEquals", "EncryptionContextEquals") : null;
      subset = c.has("EncryptionContextSubset")
          ? constraint(c, "Constraints.EncryptionContextSubset", "EncryptionContextSubset") : null;
    }
    requireWithinCallersGrant(caller, k, new HashSet<>(ops));
    if (store().grantsOf(k.id()).size() >= MAX_GRANTS_PER_KEY) {
      throw new KmsException(ErrorType.LIMIT_EXCEEDED, "key " + k.id() + " already has "
          + MAX_GRANTS_PER_KEY + " grants; retire or revoke some first");
    }
    in.stopIfDryRun();
    byte[] id = new byte[32];
    byte[] token = new byte[32];
    random.nextBytes(id);
    random.nextBytes(token);
    Grant g = new Grant(HexFormat.of().formatHex(id), k.id(), in.string("Name"), grantee,
        retiring, Set.copyOf(ops), equals == null ? null : Map.copyOf(equals),
        subset == null ? null : Map.copyOf(subset), clock.instant(),
        Base64.getUrlEncoder().withoutPadding().encodeToString(token));
    store().addGrant(g);
    ObjectNode out = Json.object();
    out.put("GrantToken", g.token());
    out.put("GrantId", g.grantId());
    return out;
  }

  /** A caller allowed CreateGrant only through a grant may not hand out more than it holds. */
  private void requireWithinCallersGrant(Caller caller, KeyRecord k, Set<String> ops) {
    RequestContext rc = new RequestContext(caller.identity(), "kms:CreateGrant",
        resolver.keyArn(k.id()), Map.of(), clock.instant(), Map.of("kms:GrantOperations",
            List.copyOf(ops)));
    if (authorizer.decide(k.id(), rc) == PolicyEvaluator.Decision.ALLOW) {
      return;
    }
    Set<String> held = new HashSet<>();
    for (Grant g : store().grantsOf(k.id())) {
      if (principals().matches(g.grantee(), caller.identity())
          && g.operations().contains("CreateGrant")) {
        held.addAll(g.operations());
      }
    }
    if (!held.containsAll(ops)) {
      throw new KmsException(ErrorType.ACCESS_DENIED, "a grant can only pass on operations its"
          + " creator's grant allows; you hold " + new java.util.TreeSet<>(held));
    }
  }

  private String principal(String p, String field) {
    String why = p.equals("*") ? "must name one principal, not *" : principals().invalidReason(p);
    if (why != null) {
      throw Input.invalid(field, why);
    }
    return p;
  }

  /**
   * Refuses a grant operation the key's type cannot serve (AWS: "the grant operations must be
   * valid for the key": a Sign grant on a symmetric key is a {@code ValidationException}).
   * DescribeKey, CreateGrant and RetireGrant fit every key.
   */
  private static void requireGrantableOn(KeyRecord k, String op) {
    String usage = switch (op) {
      case "Encrypt", "Decrypt", "ReEncryptFrom", "ReEncryptTo" -> KmsKeySpec.ENCRYPT_DECRYPT;
      case "GenerateDataKey", "GenerateDataKeyWithoutPlaintext", "GenerateDataKeyPair",
          "GenerateDataKeyPairWithoutPlaintext" -> SymmetricCryptoOperations.SYMMETRIC_DEFAULT;
      case "Sign", "Verify" -> KmsKeySpec.SIGN_VERIFY;
      case "GenerateMac", "VerifyMac" -> KmsKeySpec.GENERATE_VERIFY_MAC;
      case "GetPublicKey" -> "asymmetric";
      default -> null;
    };
    boolean fits = usage == null
        || usage.equals(SymmetricCryptoOperations.SYMMETRIC_DEFAULT)
            && SymmetricCryptoOperations.isSymmetric(k)
        || usage.equals("asymmetric") && KmsKeySpec.ofStored(k.keySpec()).isAsymmetric()
        || usage.equals(k.keyUsage());
    if (!fits) {
      throw Input.invalid("Operations", "contains " + op + ", which a " + k.keySpec() + " key"
          + " with KeyUsage " + k.keyUsage() + " does not serve; grant only operations of this"
          + " key's type");
    }
  }

  /**
   * One grant constraint, within AWS's limits (CreateGrant API reference, {@code Constraints}):
   * at most {@value #MAX_CONSTRAINT_PAIRS} encryption context pairs, each value at most {@value
   * #MAX_CONSTRAINT_CHARS} Unicode characters. Coffer bounds each key the same way (AWS states no
   * key limit there). The bounds keep one grant far below a page's byte budget, so a page of
   * grants always holds at least one.
   *
   * @throws KmsException ValidationException past a bound
   */
  private static Map<String, String> constraint(Input c, String path, String name) {
    Map<String, String> pairs = c.stringMap(name);
    if (pairs.size() > MAX_CONSTRAINT_PAIRS) {
      throw Input.invalid(path, "has " + pairs.size() + " pairs; a grant constraint allows at"
          + " most " + MAX_CONSTRAINT_PAIRS);
    }
    for (Map.Entry<String, String> e : pairs.entrySet()) {
      for (String text : List.of(e.getKey(), e.getValue())) {
        int chars = text.codePointCount(0, text.length());
        if (chars > MAX_CONSTRAINT_CHARS) {
          throw Input.invalid(path, "pair " + WellFormedText.quote(e.getKey()) + " has a key or value of " + chars + " Unicode characters; at most "
              + MAX_CONSTRAINT_CHARS + " are allowed");
        }
      }
    }
    return pairs;
  }

  private ObjectNode grantJson(Grant g) {
    ObjectNode o = Json.object();
    o.put("KeyId", resolver.keyArn(g.keyId()));
    o.put("GrantId", g.grantId());
    if (g.name() != null) {
      o.put("Name", g.name());
    }
    o.put("CreationDate", Responses.epochSeconds(g.creationDate()));
    o.put("GranteePrincipal", g.grantee());
    if (g.retiringPrincipal() != null) {
      o.put("RetiringPrincipal", g.retiringPrincipal());
    }
    o.put("IssuingAccount", principals().rootArn());
    ArrayNode ops = o.putArray("Operations");
    new java.util.TreeSet<>(g.operations()).forEach(ops::add);
    if (g.contextEquals() != null || g.contextSubset() != null) {
      ObjectNode c = o.putObject("Constraints");
      if (g.contextEquals() != null) {
        c.set("EncryptionContextEquals", Json.MAPPER.valueToTree(new TreeMap<>(g.contextEquals())));
      }
      if (g.contextSubset() != null) {
        c.set("EncryptionContextSubset", Json.MAPPER.valueToTree(new TreeMap<>(g.contextSubset())));
      }
    }
    return o;
  }

  private ObjectNode list(List<Grant> grants, Input in) {
    List<Grant> sorted = grants.stream()
        .sorted(java.util.Comparator.comparing(Grant::grantId)).toList();
    ObjectNode out = Json.object();
    Paging.page(sorted, Grant::grantId, this::grantJson, in, 50, 100, "Grants", out);
    return out;
  }

  private ObjectNode listGrants(Caller caller, Input in) {
    KeyRecord k = resolver.resolveKeyOnly(in.requiredString("KeyId"));
    String id = in.string("GrantId");
    String grantee = in.string("GranteePrincipal");
    return list(store().grantsOf(k.id()).stream()
        .filter(g -> id == null || g.grantId().equals(id))
        .filter(g -> grantee == null || g.grantee().equals(grantee)).toList(), in);
  }

  private ObjectNode listRetirableGrants(Caller caller, Input in) {
    String retiring = principal(in.requiredString("RetiringPrincipal"), "RetiringPrincipal");
    if (!principals().matches(retiring, caller.identity())
        && !principals().isAdministrator(caller.identity())) {
      throw new KmsException(ErrorType.ACCESS_DENIED, "you may list only grants that you can"
          + " retire; RetiringPrincipal must name you");
    }
    return list(store().allGrants().stream()
        .filter(g -> retiring.equals(g.retiringPrincipal())).toList(), in);
  }

  private Grant find(Input in) {
    String token = in.string("GrantToken");
    if (token != null) {
      Grant g = store().grantByToken(token);
      if (g == null) {
        throw new KmsException(ErrorType.INVALID_GRANT_TOKEN,
            "no grant has this token; it may have been retired or revoked already");
      }
      return g;
    }
    KeyRecord k = resolver.resolveKeyOnly(in.requiredString("KeyId"));
    String id = in.requiredString("GrantId");
    if (!id.matches("[0-9a-f]{64}")) {
      throw new KmsException(ErrorType.INVALID_GRANT_ID, "GrantId " + id + " is not a grant id");
    }
    return store().grantsOf(k.id()).stream().filter(g -> g.grantId().equals(id)).findFirst()
        .orElseThrow(() -> new KmsException(ErrorType.NOT_FOUND,
            "key " + k.id() + " has no grant " + id + "; list them with list-grants"));
  }

  private ObjectNode retireGrant(Caller caller, Input in) {
    Grant g = find(in);
    caller.resource(resolver.keyArn(g.keyId()));
    boolean retiring = g.retiringPrincipal() != null
        && principals().matches(g.retiringPrincipal(), caller.identity());
    boolean granteeMayRetire = g.operations().contains("RetireGrant")
        && principals().matches(g.grantee(), caller.identity());
    // AWS lets the account that created the grant retire it. A daemon is one account, whose
    // account principal (":root") is the administrators (docs/policies.md).
    boolean creatingAccount = principals().isAdministrator(caller.identity());
    if (!retiring && !granteeMayRetire && !creatingAccount) {
      throw new KmsException(ErrorType.ACCESS_DENIED, "User: "
          + principals().arnOf(caller.identity()) + " is not authorized to perform:"
          + " kms:RetireGrant; only the grant's retiring principal, its grantee when the grant"
          + " allows RetireGrant, or the account that created it (the administrators) may"
          + " retire it");
    }
    in.stopIfDryRun();
    store().removeGrant(g);
    return Json.object();
  }

  private ObjectNode revokeGrant(Caller caller, Input in) {
    Grant g = find(in);
    in.stopIfDryRun();
    store().removeGrant(g);
    return Json.object();
  }
}
