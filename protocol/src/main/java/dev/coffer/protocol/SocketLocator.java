package dev.coffer.protocol;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Finds the daemon's socket the same way on both sides.
 *
 * <p>Order: system property {@code coffer.socket}; {@code $COFFER_SOCKET}; {@code
 * /run/coffer/coffer.sock} when {@code /run/coffer} is writable (daemon) or the socket exists
 * there (client); {@code $XDG_RUNTIME_DIR/coffer.sock}; {@code ~/.coffer/coffer.sock}.
 */
public final class SocketLocator {
  private SocketLocator() {}

  public static final Path SYSTEM_SOCKET = Path.of("/run/coffer/coffer.sock");

  /** The socket path a client connects to. */
  public static Path forClient() {
    return locate(System.getenv(), System.getProperties().getProperty("coffer.socket"), false);
  }

  /** The socket path a daemon listens on. */
  public static Path forDaemon() {
    return locate(System.getenv(), System.getProperties().getProperty("coffer.socket"), true);
  }

  static Path locate(Map<String, String> env, String property, boolean daemon) {
    if (property != null && !property.isBlank()) {
      return Path.of(property);
    }
    String explicit = env.get("COFFER_SOCKET");
    if (explicit != null && !explicit.isBlank()) {
      return Path.of(explicit);
    }
    Path runDir = SYSTEM_SOCKET.getParent();
    if (daemon ? Files.isDirectory(runDir) && Files.isWritable(runDir)
        : Files.exists(SYSTEM_SOCKET)) {
      return SYSTEM_SOCKET;
    }
    String xdg = env.get("XDG_RUNTIME_DIR");
    if (xdg != null && !xdg.isBlank()) {
      return Path.of(xdg, "coffer.sock");
    }
    return Path.of(System.getProperty("user.home"), ".coffer", "coffer.sock");
  }
}
