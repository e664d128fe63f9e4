package dev.coffer.daemon.policy;

import dev.coffer.daemon.identity.IamUser;
import dev.coffer.daemon.identity.Identity;
import dev.coffer.daemon.identity.UnixPeer;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The principal forms key policies and grants may name, which identity each one matches, and who
 * the account's administrators are. Two families that can never collide, because Coffer refuses
 * {@code coffer} as the configured partition:
 *
 * <ul>
 *   <li>AWS's forms, as policies copied from the AWS documentation write them:
 *       <ul>
 *         <li>{@code arn:<partition>:iam::<account>:root} or the bare 12-digit {@code <account>}
 *             — the account root principal: the daemon's administrators;
 *         <li>{@code arn:<partition>:iam::<account>:user/<name>} — the {@link IamUser} of that
 *             name (an access-key holder);
 *       </ul>
 *   <li>Coffer's Unix forms, partition {@code coffer}:
 *       <ul>
 *         <li>{@code arn:coffer:iam::<account>:user/<unix-user>} — that {@link UnixPeer};
 *         <li>{@code arn:coffer:iam::<account>:group/<unix-group>} — every Unix member of that
 *             group, primary or supplementary;
 *         <li>{@code arn:coffer:iam::<account>:root} — the account root principal, as before
 *             (policies stored with it keep working);
 *       </ul>
 *   <li>{@code *} — anyone who reached the daemon and was authenticated.
 * </ul>
 *
 * <p>Administrators are configured ({@code admins}) as {@code user/<unix-user>}, {@code
 * group/<unix-group>} or {@code iam-user/<name>} entries.
 */
public final class Principals {

  /** The partition of Coffer's Unix principal ARNs. */
  public static final String UNIX_PARTITION = "coffer";

  private static final Pattern UNIX_NAME = Pattern.compile("[A-Za-z0-9._-]{1,64}");

  private final String partition;
  private final String account;
  private final String awsPrefix;
  private final String unixPrefix;
  private final List<String> administrators;

  /**
   * @param partition the ARN partition of the account ({@code aws} by default), never {@code
   *     coffer}
   * @param account the 12-digit account
   * @param administrators entries {@code user/<name>}, {@code group/<name>} or {@code
   *     iam-user/<name>}
   */
  public Principals(String partition, String account, List<String> administrators) {
    if (partition.equals(UNIX_PARTITION)) {
      throw new IllegalArgumentException("partition coffer is reserved for Unix principals");
    }
    this.partition = partition;
    this.account = account;
    this.awsPrefix = "arn:" + partition + ":iam::" + account + ":";
    this.unixPrefix = "arn:" + UNIX_PARTITION + ":iam::" + account + ":";
    this.administrators = List.copyOf(administrators);
  }

  public String account() {
    return account;
  }

  public String partition() {
    return partition;
  }

  /** The account root principal as AWS writes it: {@code arn:<partition>:iam::<account>:root}. */
  public String rootArn() {
    return awsPrefix + "root";
  }

  /** A Unix user's principal: {@code arn:coffer:iam::<account>:user/<name>}. */
  public String unixUserArn(String user) {
    return unixPrefix + "user/" + user;
  }

  /** A Unix group's principal: {@code arn:coffer:iam::<account>:group/<name>}. */
  public String groupArn(String group) {
    return unixPrefix + "group/" + group;
  }

  /** An access-key user's principal: {@code arn:<partition>:iam::<account>:user/<name>}. */
  public String iamUserArn(String userName) {
    return awsPrefix + "user/" + userName;
  }

  /** The principal ARN of a caller, as {@code aws:PrincipalArn} and denial messages give it. */
  public String arnOf(Identity identity) {
    if (identity instanceof IamUser u) {
      return iamUserArn(u.userName());
    }
    return unixUserArn(((UnixPeer) identity).user());
  }

  /** True when a configured administrator entry names this caller. */
  public boolean isAdministrator(Identity identity) {
    for (String a : administrators) {
      if (matchesEntry(a, identity)) {
        return true;
      }
    }
    return false;
  }

  /**
   * True when a configured entry ({@code user/<unix-user>}, {@code group/<unix-group>} or
   * {@code iam-user/<name>}, the forms of {@code admins} and {@code key-creators}) names this
   * caller.
   */
  public boolean matchesEntry(String entry, Identity identity) {
    if (entry.startsWith("iam-user/")) {
      return identity instanceof IamUser u && isOurs(u)
          && u.userName().equals(entry.substring("iam-user/".length()));
    }
    return identity instanceof UnixPeer p && matchesUnix(entry, p);
  }

  /** True when the principal (an ARN, a 12-digit account, or {@code *}) names this caller. */
  public boolean matches(String principal, Identity identity) {
    if (principal.equals("*")) {
      return true;
    }
    if (principal.equals(account) || principal.equals(awsPrefix + "root")
        || principal.equals(unixPrefix + "root")) {
      return isAdministrator(identity);
    }
    if (principal.startsWith(awsPrefix + "user/")) {
      return identity instanceof IamUser u && isOurs(u)
          && u.userName().equals(principal.substring(awsPrefix.length() + 5));
    }
    if (principal.startsWith(unixPrefix)) {
      return identity instanceof UnixPeer p
          && matchesUnix(principal.substring(unixPrefix.length()), p);
    }
    return false;
  }

  private boolean isOurs(IamUser u) {
    return u.account().equals(account) && u.partition().equals(partition);
  }

  private static boolean matchesUnix(String local, UnixPeer peer) {
    if (local.startsWith("user/")) {
      return local.substring(5).equals(peer.user());
    }
    if (local.startsWith("group/")) {
      return peer.groups().contains(local.substring(6));
    }
    return false;
  }

  /** Checks a principal's syntax; returns null if fine, else what is wrong and what to write. */
  public String invalidReason(String principal) {
    if (principal.equals("*") || principal.equals(account)) {
      return null;
    }
    if (principal.matches("[0-9]{12}")) {
      return "principal " + principal + " is another account (this daemon is " + account + ")";
    }
    String forms = "principals are arn:" + partition + ":iam::" + account + ":root, arn:"
        + partition + ":iam::" + account + ":user/<access-key user>, the account number "
        + account + ", or the Unix forms arn:coffer:iam::" + account
        + ":user/<unix-user> and group/<unix-group>";
    boolean unix = principal.startsWith(unixPrefix);
    if (!unix && !principal.startsWith(awsPrefix)) {
      if (principal.startsWith("arn:" + partition + ":iam::")
          || principal.startsWith("arn:" + UNIX_PARTITION + ":iam::")) {
        return "principal " + principal + " belongs to another account (this daemon is "
            + account + ")";
      }
      return "principal " + principal + " is not one Coffer knows; " + forms;
    }
    String local = principal.substring((unix ? unixPrefix : awsPrefix).length());
    if (local.equals("root")) {
      return null;
    }
    if (!unix && local.startsWith("user/")
        && IamUser.USER_NAME.matcher(local.substring(5)).matches()) {
      return null;
    }
    if (unix && local.matches("(user|group)/.*")
        && UNIX_NAME.matcher(local.substring(local.indexOf('/') + 1)).matches()) {
      return null;
    }
    return "principal " + principal + " must end in root or user/<name>"
        + (unix ? " or group/<name>" : "") + "; " + forms;
  }

  /**
   * Parses the {@code admins} setting: comma-separated {@code user/x}, {@code group/y} or
   * {@code iam-user/z}.
   */
  public static List<String> parseAdministrators(String setting) {
    return Set.of(setting.split(",")).stream().map(String::trim).filter(s -> !s.isEmpty())
        .sorted().toList();
  }
}
