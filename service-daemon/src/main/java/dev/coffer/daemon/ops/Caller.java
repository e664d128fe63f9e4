package dev.coffer.daemon.ops;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * One request's caller and scratch state: who sent it ({@link Peer}), the key ARNs it touched
 * (for the audit record), and buffers holding secrets to zero once the response is written.
 */
public final class Caller {

  private final Peer peer;
  private final List<byte[]> secrets = new ArrayList<>();
  private final Set<String> resources = new LinkedHashSet<>();

  public Caller(Peer peer) {
    this.peer = peer;
  }

  public Peer peer() {
    return peer;
  }

  /** Registers a buffer holding secrets, zeroed once the response has been written. */
  public byte[] secret(byte[] b) {
    secrets.add(b);
    return b;
  }

  public void zeroSecrets() {
    secrets.forEach(b -> java.util.Arrays.fill(b, (byte) 0));
    secrets.clear();
  }

  /** Records that the request touched the key with this ARN. */
  public void resource(String arn) {
    resources.add(arn);
  }

  public List<String> resources() {
    return List.copyOf(resources);
  }
}
