package dev.coffer.daemon.identity;

import java.util.Set;

/**
 * A client on the Unix socket as the kernel reports it for its connection ({@code SO_PEERCRED}),
 * never as the client claims it.
 *
 * @param uid peer user id
 * @param gid peer primary group id
 * @param pid peer process id
 * @param user user name for {@code uid} ({@code "uid:<n>"} if the system knows none)
 * @param groups names of the primary and supplementary groups of {@code user}
 */
public record UnixPeer(long uid, long gid, long pid, String user, Set<String> groups)
    implements Identity {

  /** The user name of {@link #daemon()}. */
  public static final String DAEMON_USER = "coffer-daemon";

  public UnixPeer {
    groups = Set.copyOf(groups);
  }

  /** The daemon's own process, for work it does on its own behalf (maintenance). */
  public static UnixPeer daemon() {
    return new UnixPeer(-1, -1, ProcessHandle.current().pid(), DAEMON_USER, Set.of());
  }

  /** True for {@link #daemon()}: events the daemon originates itself. */
  public boolean isDaemon() {
    return uid == -1 && DAEMON_USER.equals(user);
  }

  @Override
  public String describe() {
    return "unix user " + user;
  }
}
