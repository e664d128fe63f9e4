package dev.coffer.jca.transport;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.protocol.DaemonClient;
import dev.coffer.protocol.KmsException;
import dev.coffer.protocol.SocketLocator;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The transport to a local daemon: one pooled, pipelined {@link DaemonClient} per socket path,
 * shared by every handle and SPI instance that names that socket.
 *
 * <p>Every call is counted ({@link KmsTransport#roundTrips()}), so tests and operators can see
 * whether a cache answered instead of the daemon. Failures stay {@link KmsException}s carrying
 * the AWS exception name; turning them into JCA exceptions is the core's job, in one place.
 *
 * <p>Settings (system properties): {@code coffer.socket} (path; otherwise {@link
 * SocketLocator#forClient()}), {@code coffer.connections} (pool size, default 4), {@code
 * coffer.timeoutMillis} (per call, default 30000).
 */
public final class SocketTransport implements KmsTransport {

  private static final Map<Path, SocketTransport> BY_SOCKET = new ConcurrentHashMap<>();

  private final Path socket;
  private final DaemonClient client;

  private SocketTransport(Path socket) {
    this.socket = socket;
    this.client =
        new DaemonClient(
            socket,
            Integer.getInteger("coffer.connections", 4),
            Duration.ofMillis(Long.getLong("coffer.timeoutMillis", 30_000L)));
  }

  /** The transport for {@code socket}, or for the located default socket when null. */
  static SocketTransport forSocket(Path socket) {
    Path p = (socket != null ? socket : SocketLocator.forClient()).toAbsolutePath().normalize();
    return BY_SOCKET.computeIfAbsent(p, SocketTransport::new);
  }

  public Path socket() {
    return socket;
  }

  @Override
  public String destination() {
    return "unix:" + socket;
  }

  /** One request/response; throws {@link KmsException} with the daemon's AWS error name. */
  @Override
  public ObjectNode call(String operation, ObjectNode input) {
    RoundTrips.increment();
    return client.call(operation, input);
  }
}
