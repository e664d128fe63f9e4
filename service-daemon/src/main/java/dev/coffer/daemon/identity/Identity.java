package dev.coffer.daemon.identity;

/**
 * Who sent a request, as the daemon established it (never as the client claims it). Two kinds,
 * which can never be mistaken for each other: policies, grants and audit records name them in
 * different principal forms (see {@code docs/policies.md}).
 *
 * <ul>
 *   <li>{@link UnixPeer}: a local process on the Unix socket, identified by the kernel
 *       ({@code SO_PEERCRED}); principal {@code arn:coffer:iam::<account>:user/<unix-user>};
 *   <li>{@link IamUser}: a holder of an access key, authenticated by its signature;
 *       principal {@code arn:<partition>:iam::<account>:user/<name>}, as in AWS IAM.
 * </ul>
 */
public sealed interface Identity permits UnixPeer, IamUser {

  /** A short label for messages and logs: {@code unix user alice}, {@code IAM user alice}. */
  String describe();
}
