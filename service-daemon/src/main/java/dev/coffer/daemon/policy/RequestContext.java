package dev.coffer.daemon.policy;

import dev.coffer.daemon.identity.Identity;
import java.time.Instant;
import java.util.Map;

/**
 * What a policy decision may look at: who asks ({@code identity}), for which action on which
 * key, with which encryption context, when, and (for CreateGrant) what grant is asked for.
 *
 * @param action {@code kms:<Operation>}
 * @param keyArn the key the action applies to, or {@code "*"} for account-level actions
 * @param encryptionContext the request's encryption context (empty when none)
 * @param extra further condition keys and values, e.g. {@code kms:GrantOperations}
 */
public record RequestContext(Identity identity, String action, String keyArn,
    Map<String, String> encryptionContext, Instant now, Map<String, java.util.List<String>> extra) {

  public RequestContext {
    encryptionContext = Map.copyOf(encryptionContext);
    extra = Map.copyOf(extra);
  }
}
