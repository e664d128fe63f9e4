package dev.coffer.daemon.policy;

import dev.coffer.daemon.ops.Peer;
import java.util.List;
import java.util.Set;

/**
 * Principal ARNs as Coffer writes them, and who the account's administrators are.
 *
 * <ul>
 *   <li>{@code arn:coffer:iam::<account>:user/<unix-user>} — that Unix user;
 *   <li>{@code arn:coffer:iam::<account>:group/<unix-group>} — every member of that group,
 *       primary or supplementary;
 *   <li>{@code arn:coffer:iam::<account>:root} — the daemon's administrators (configured;
 *       root and the user the daemon runs as by default), as the account root principal in AWS;
 *   <li>{@code *} — anyone who can connect to the socket.
 * </ul>
 */
public final class Principals {

  private final String account;
  private final String prefix;
  private final List<String> administrators;

  /**
   * @param administrators entries {@code user/<name>} or {@code group/<name>}
   */
  public Principals(String account, List<String> administrators) {
    this.account = account;
    this.prefix = "arn:coffer:iam::" + account + ":";
    this.administrators = List.copyOf(administrators);
  }

  public String account() {
    return account;
  }

  public String rootArn() {
    return prefix + "root";
  }

  public String userArn(String user) {
    return prefix + "user/" + user;
  }

  public String groupArn(String group) {
    return prefix + "group/" + group;
  }

  public boolean isAdministrator(Peer peer) {
    for (String a : administrators) {
      if (matchesLocal(a, peer)) {
        return true;
      }
    }
    return false;
  }

  /** True when the ARN (or {@code *}) names this peer. */
  public boolean matches(String principal, Peer peer) {
    if (principal.equals("*")) {
      return true;
    }
    if (!principal.startsWith(prefix)) {
      return false;
    }
    String local = principal.substring(prefix.length());
    if (local.equals("root")) {
      return isAdministrator(peer);
    }
    return matchesLocal(local, peer);
  }

  private static boolean matchesLocal(String local, Peer peer) {
    if (local.startsWith("user/")) {
      return local.substring(5).equals(peer.user());
    }
    if (local.startsWith("group/")) {
      return peer.groups().contains(local.substring(6));
    }
    return false;
  }

  /** Checks an ARN's syntax; returns null if fine, else what is wrong. */
  public String invalidReason(String principal) {
    if (principal.equals("*")) {
      return null;
    }
    if (!principal.startsWith("arn:coffer:iam::")) {
      return "principal " + principal + " is not an ARN of the form arn:coffer:iam::<account>:"
          + "user/<name>, group/<name> or root";
    }
    if (!principal.startsWith(prefix)) {
      return "principal " + principal + " belongs to another account (this daemon is " + account
          + ")";
    }
    String local = principal.substring(prefix.length());
    if (local.equals("root") || local.matches("(user|group)/[A-Za-z0-9._-]{1,64}")) {
      return null;
    }
    return "principal " + principal + " must end in root, user/<name> or group/<name>";
  }

  /** Parses the {@code admins} setting: comma-separated {@code user/x} or {@code group/y}. */
  public static List<String> parseAdministrators(String setting) {
    return Set.of(setting.split(",")).stream().map(String::trim).filter(s -> !s.isEmpty())
        .sorted().toList();
  }
}
