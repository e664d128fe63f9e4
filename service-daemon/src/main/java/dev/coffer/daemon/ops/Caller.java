package dev.coffer.daemon.ops;

import java.util.ArrayList;
import java.util.List;

/**
 * Who sent a request, as the kernel reports it for the Unix socket (never what the client
 * claims), and per-request scratch state.
 *
 * @param user peer user name from {@code SO_PEERCRED}
 * @param group peer primary group name from {@code SO_PEERCRED}
 */
public record Caller(String user, String group, List<byte[]> secretsToZero) {

  public Caller(String user, String group) {
    this(user, group, new ArrayList<>());
  }

  /** Registers a buffer holding secrets, zeroed once the response has been written. */
  public byte[] secret(byte[] b) {
    secretsToZero.add(b);
    return b;
  }

  public void zeroSecrets() {
    secretsToZero.forEach(b -> java.util.Arrays.fill(b, (byte) 0));
    secretsToZero.clear();
  }
}
