package dev.coffer.jca.transport;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.jca.transport.https.HttpsTransport;
import dev.coffer.protocol.KmsException;
import java.nio.file.Path;

/**
 * The provider's way to a Coffer daemon: one KMS operation in, its JSON output back. Two
 * implementations speak the same operations and JSON shapes: {@link SocketTransport} (the local
 * Unix socket, Coffer's framed protocol) and {@link HttpsTransport} (a remote Coffer's AWS JSON
 * 1.1 endpoint, SigV4-signed). Failures are {@link KmsException}s carrying the AWS exception name
 * either way, so the core maps them to JCA exceptions in one place whatever the transport.
 *
 * <p>Which one ({@link #forSocket(Path)} with null): {@code -Dcoffer.endpoint} selects HTTPS,
 * else {@code -Dcoffer.socket} the socket, else {@code COFFER_ENDPOINT} HTTPS, else the located
 * socket ({@code COFFER_SOCKET}, ...). A system property beats an environment variable, as for
 * the JDK's own settings. Transports are shared per destination and thread-safe.
 */
public interface KmsTransport {

  /** One request/response; throws {@link KmsException} with the daemon's AWS error name. */
  ObjectNode call(String operation, ObjectNode input);

  /**
   * Names where the calls go ({@code unix:/run/coffer/coffer.sock}, {@code
   * https://h:8443/,https://h2:8443/}); two transports with the same destination reach the same
   * daemon, so caches may be keyed by it.
   */
  String destination();

  /** Daemon round trips made by this JVM's provider since start, over any transport. */
  static long roundTrips() {
    return RoundTrips.count();
  }

  /**
   * The transport for an explicit {@code socket}, or, when null, the configured default:
   * HTTPS when an endpoint is configured (see the class comment), else the located socket.
   */
  static KmsTransport forSocket(Path socket) {
    return Transports.select(socket);
  }
}
