package dev.coffer.daemon.managed;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.daemon.policy.KeyPolicy;
import dev.coffer.daemon.policy.Principals;
import dev.coffer.protocol.Json;

/**
 * The fixed key policy of a managed key, modelled on the policies AWS gives its managed keys:
 * the principal whose first use created the key may use it; the daemon's administrators (the
 * account root principal) may read its metadata and policy and grant its use to others
 * ({@code CreateGrant}, {@code RevokeGrant}, {@code ListGrants}); nobody may change it. Neither
 * statement allows {@code kms:PutKeyPolicy}, {@code kms:ScheduleKeyDeletion}, {@code
 * kms:DisableKey} or any other change, and no caller can replace the policy, so such requests
 * are refused with {@code AccessDeniedException}, as AWS refuses them on its managed keys.
 */
final class ManagedKeyPolicy {
  private ManagedKeyPolicy() {}

  /** What the creating principal may do: use the key, and read what a client needs. */
  static final java.util.List<String> USE_ACTIONS = java.util.List.of("kms:Encrypt",
      "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey",
      "kms:GetKeyRotationStatus");

  /** What administrators may do: read, and grant use to other principals. */
  static final java.util.List<String> ADMIN_ACTIONS = java.util.List.of("kms:Describe*",
      "kms:Get*", "kms:List*", "kms:CreateGrant", "kms:RevokeGrant");

  /**
   * @param creatorArn the principal ARN of the caller whose first use created the key
   */
  static KeyPolicy of(Principals principals, String creatorArn) {
    ObjectNode root = Json.object();
    root.put("Version", "2012-10-17");
    root.put("Id", "coffer-managed-key-policy-1");
    ArrayNode statements = root.putArray("Statement");
    statement(statements, "Allow the principal that created this managed key to use it",
        creatorArn, USE_ACTIONS);
    statement(statements, "Allow administrators to read this managed key and grant its use",
        principals.rootArn(), ADMIN_ACTIONS);
    return KeyPolicy.parse(Json.pretty(root), principals);
  }

  private static void statement(ArrayNode into, String sid, String principal,
      java.util.List<String> actions) {
    ObjectNode st = into.addObject();
    st.put("Sid", sid);
    st.put("Effect", "Allow");
    st.putObject("Principal").put("AWS", principal);
    ArrayNode a = st.putArray("Action");
    actions.forEach(a::add);
    st.put("Resource", "*");
  }
}
