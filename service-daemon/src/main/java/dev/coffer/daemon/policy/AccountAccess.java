package dev.coffer.daemon.policy;

import dev.coffer.daemon.identity.Identity;
import dev.coffer.protocol.ErrorType;
import dev.coffer.protocol.KmsException;
import java.util.List;
import java.util.Set;

/**
 * Account-level permissions, which AWS grants through IAM: who may create keys, who may list
 * keys and aliases or draw random bytes, and who administers custom key stores.
 *
 * <ul>
 *   <li>{@code CreateKey}: the configured key creators (default: the administrators);
 *   <li>{@code ListKeys}, {@code ListAliases}, {@code GenerateRandom}, {@code
 *       ListRetirableGrants}, {@code GetMetrics}: anyone who can reach the socket (the socket's
 *       permissions are the gate), as these reveal no key material and no plaintext;
 *   <li>everything else account-level (custom key stores): the administrators.
 * </ul>
 */
public final class AccountAccess {

  private static final Set<String> ANY_CALLER = Set.of("ListKeys", "ListAliases",
      "GenerateRandom", "ListRetirableGrants", "GetMetrics");

  private final Principals principals;
  private final List<String> keyCreators;

  public AccountAccess(Principals principals, List<String> keyCreators) {
    this.principals = principals;
    this.keyCreators = List.copyOf(keyCreators);
  }

  public void authorize(String operation, Identity peer) {
    if (ANY_CALLER.contains(operation)) {
      return;
    }
    if (operation.equals("CreateKey")) {
      for (String c : keyCreators) {
        if (principals.matchesEntry(c, peer)) {
          return;
        }
      }
      throw denied(operation, peer, "only key creators (key-creators in coffer.properties) may"
          + " create keys");
    }
    if (!principals.isAdministrator(peer)) {
      throw denied(operation, peer, "only the daemon's administrators (admins in"
          + " coffer.properties) may do this");
    }
  }

  private KmsException denied(String operation, Identity peer, String why) {
    return new KmsException(ErrorType.ACCESS_DENIED, "User: " + principals.arnOf(peer)
        + " is not authorized to perform: kms:" + operation + "; " + why);
  }
}
