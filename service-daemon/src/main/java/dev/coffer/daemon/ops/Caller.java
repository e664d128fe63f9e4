package dev.coffer.daemon.ops;

import dev.coffer.daemon.identity.Identity;
import dev.coffer.daemon.identity.RequestOrigin;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * One request's caller and scratch state: who sent it ({@link Identity}), where from (the
 * transport's {@link RequestOrigin}, for the audit record; null on the Unix socket), the key ARNs
 * it touched (for the audit record), and buffers holding secrets to zero once the response is
 * written.
 */
public final class Caller {

  private final Identity identity;
  private final RequestOrigin origin;
  private final List<byte[]> secrets = new ArrayList<>();
  private final Set<String> resources = new LinkedHashSet<>();

  public Caller(Identity identity) {
    this(identity, null);
  }

  /**
   * @param identity who sent the request, as the transport established it
   * @param origin the transport's view of the client, or null (Unix socket)
   */
  public Caller(Identity identity, RequestOrigin origin) {
    this.identity = Objects.requireNonNull(identity, "identity");
    this.origin = origin;
  }

  public Identity identity() {
    return identity;
  }

  /** The transport's view of the client, or null when it has none (the Unix socket). */
  public RequestOrigin origin() {
    return origin;
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
