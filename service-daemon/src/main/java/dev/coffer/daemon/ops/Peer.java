package dev.coffer.daemon.ops;

import java.util.Set;

/**
 * The identity of a client as the kernel reports it for its Unix socket connection
 * ({@code SO_PEERCRED}), never as the client claims it.
 *
 * @param uid peer user id
 * @param gid peer primary group id
 * @param pid peer process id
 * @param user user name for {@code uid} ({@code "uid:<n>"} if the system knows none)
 * @param groups names of the primary and supplementary groups of {@code user}
 */
public record Peer(long uid, long gid, long pid, String user, Set<String> groups) {

  public Peer {
    groups = Set.copyOf(groups);
  }

  /** The daemon's own process, for work it does on its own behalf (maintenance). */
  public static Peer daemon() {
    return new Peer(-1, -1, ProcessHandle.current().pid(), "coffer-daemon", Set.of());
  }
}
