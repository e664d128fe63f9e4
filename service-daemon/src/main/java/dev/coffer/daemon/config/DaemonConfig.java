package dev.coffer.daemon.config;

import dev.coffer.protocol.Frame;
import dev.coffer.protocol.SocketLocator;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Properties;

/**
 * Everything the daemon is configured with. Immutable; built from defaults, the optional
 * {@code $COFFER_HOME/coffer.properties} file, and command-line overrides.
 *
 * @param home data directory (database, root key)
 * @param socket Unix socket the daemon listens on
 * @param region region part of ARNs
 * @param account account part of ARNs
 * @param maxKeys quota of KMS keys ({@code LimitExceededException} beyond)
 * @param maxFrameBytes cap on a request body; larger frames are refused unread
 * @param maxConnections concurrent client connections
 * @param workerThreads threads executing requests
 * @param deletionCheckInterval how often keys whose deletion window ended are deleted
 * @param clock time source (tests move it forward)
 * @param access who administers the daemon, who may create keys, and the socket's mode
 * @param connectionLimits per-user share, deadlines and malformed-frame auditing of
 *     connections (see {@link ConnectionLimits})
 */
public record DaemonConfig(
    Path home,
    Path socket,
    String region,
    String account,
    int maxKeys,
    int maxFrameBytes,
    int maxConnections,
    int workerThreads,
    Duration deletionCheckInterval,
    Clock clock,
    Access access,
    ConnectionLimits connectionLimits) {

  /**
   * Account-level access, the part AWS leaves to IAM.
   *
   * @param administrators {@code user/<name>} or {@code group/<name>} entries: the account root
   *     principal of key policies ({@code arn:coffer:iam::<account>:root})
   * @param keyCreators who may call {@code CreateKey}
   * @param socketMode permissions of the socket file, {@code rw-------} or {@code rw-rw----}
   *     (with {@code socketGroup}) or {@code rw-rw-rw-}; key policies then decide who may do what
   * @param socketGroup group owning the socket file, or null
   */
  public record Access(java.util.List<String> administrators, java.util.List<String> keyCreators,
      String socketMode, String socketGroup) {

    public Access {
      administrators = java.util.List.copyOf(administrators);
      keyCreators = java.util.List.copyOf(keyCreators);
      if (!java.util.Set.of("rw-------", "rw-rw----", "rw-rw-rw-").contains(socketMode)) {
        throw new IllegalArgumentException(
            "socket-mode must be 0600, 0660 or 0666 (rw-------, rw-rw----, rw-rw-rw-)");
      }
    }

    /** root and the user running the daemon administer it; only they create keys. */
    public static Access defaults() {
      java.util.List<String> admins = new java.util.ArrayList<>(java.util.List.of("user/root"));
      String me = System.getProperty("user.name");
      if (me != null && !me.equals("root")) {
        admins.add("user/" + me);
      }
      return new Access(admins, admins, "rw-------", null);
    }
  }

  public static final String DEFAULT_REGION = "local";
  public static final String DEFAULT_ACCOUNT = "000000000000";
  public static final int DEFAULT_MAX_KEYS = 100_000;

  public DaemonConfig {
    if (home == null || socket == null) {
      throw new IllegalArgumentException("home and socket are required");
    }
    if (!region.matches("[a-z0-9-]{1,32}")) {
      throw new IllegalArgumentException("region must be 1-32 of [a-z0-9-]: " + region);
    }
    if (!account.matches("[0-9]{12}")) {
      throw new IllegalArgumentException("account must be 12 digits: " + account);
    }
    if (maxKeys < 1 || maxConnections < 1 || workerThreads < 1) {
      throw new IllegalArgumentException("maxKeys, maxConnections and workerThreads must be >= 1");
    }
    if (connectionLimits == null
        || connectionLimits.maxConnectionsPerUser() > maxConnections) {
      throw new IllegalArgumentException("coffer.properties: max-connections-per-user must be"
          + " between 1 and max-connections (" + maxConnections + ")");
    }
  }

  /** State in {@code home}, socket {@code home/coffer.sock}, every other value default. */
  public static DaemonConfig forDirectory(Path home) {
    return new DaemonConfig(
        home,
        home.resolve("coffer.sock"),
        DEFAULT_REGION,
        DEFAULT_ACCOUNT,
        DEFAULT_MAX_KEYS,
        Frame.DEFAULT_MAX_BODY_BYTES,
        256,
        Math.max(4, 2 * Runtime.getRuntime().availableProcessors()),
        Duration.ofSeconds(60),
        Clock.systemUTC(),
        Access.defaults(),
        ConnectionLimits.defaults(256));
  }

  /**
   * The configuration a user gets from {@code coffer serve}: {@code $COFFER_HOME} (default
   * {@code ~/.coffer}), the socket {@link SocketLocator#forDaemon()} finds, and overrides from
   * {@code $COFFER_HOME/coffer.properties} (keys {@code region}, {@code account}, {@code
   * max-keys}, {@code max-frame-bytes}, {@code max-connections}, {@code worker-threads}, {@code
   * deletion-check-seconds}).
   */
  public static DaemonConfig fromEnvironment(Path homeOverride, Path socketOverride)
      throws IOException {
    Path home = homeOverride != null ? homeOverride : defaultHome();
    DaemonConfig c = forDirectory(home);
    Path socket = socketOverride != null ? socketOverride : SocketLocator.forDaemon();
    c = c.withSocket(socket);
    Path file = home.resolve("coffer.properties");
    if (Files.isRegularFile(file)) {
      Properties p = new Properties();
      try (InputStream in = Files.newInputStream(file)) {
        p.load(in);
      }
      c = c.withProperties(p);
    }
    return c;
  }

  public static Path defaultHome() {
    String env = System.getenv("COFFER_HOME");
    return env != null && !env.isBlank()
        ? Path.of(env)
        : Path.of(System.getProperty("user.home"), ".coffer");
  }

  public DaemonConfig withSocket(Path s) {
    return new DaemonConfig(home, s, region, account, maxKeys, maxFrameBytes, maxConnections,
        workerThreads, deletionCheckInterval, clock, access, connectionLimits);
  }

  public DaemonConfig withClock(Clock c) {
    return new DaemonConfig(home, socket, region, account, maxKeys, maxFrameBytes, maxConnections,
        workerThreads, deletionCheckInterval, c, access, connectionLimits);
  }

  public DaemonConfig withMaxKeys(int n) {
    return new DaemonConfig(home, socket, region, account, n, maxFrameBytes, maxConnections,
        workerThreads, deletionCheckInterval, clock, access, connectionLimits);
  }

  public DaemonConfig withDeletionCheckInterval(Duration d) {
    return new DaemonConfig(home, socket, region, account, maxKeys, maxFrameBytes, maxConnections,
        workerThreads, d, clock, access, connectionLimits);
  }

  DaemonConfig withProperties(Properties p) {
    return new DaemonConfig(
        home,
        socket,
        p.getProperty("region", region).trim(),
        p.getProperty("account", account).trim(),
        intProp(p, "max-keys", maxKeys),
        intProp(p, "max-frame-bytes", maxFrameBytes),
        intProp(p, "max-connections", maxConnections),
        intProp(p, "worker-threads", workerThreads),
        Duration.ofSeconds(intProp(p, "deletion-check-seconds",
            (int) deletionCheckInterval.toSeconds())),
        clock,
        accessFrom(p, access),
        ConnectionLimits.from(p, connectionLimits, intProp(p, "max-connections", maxConnections)));
  }

  public DaemonConfig withAccess(Access a) {
    return new DaemonConfig(home, socket, region, account, maxKeys, maxFrameBytes, maxConnections,
        workerThreads, deletionCheckInterval, clock, a, connectionLimits);
  }

  private static Access accessFrom(Properties p, Access dflt) {
    java.util.List<String> admins = p.containsKey("admins")
        ? principalList(p.getProperty("admins")) : dflt.administrators();
    java.util.List<String> creators = p.containsKey("key-creators")
        ? principalList(p.getProperty("key-creators")) : admins;
    String mode = switch (p.getProperty("socket-mode", "0600").trim()) {
      case "0600", "600" -> "rw-------";
      case "0660", "660" -> "rw-rw----";
      case "0666", "666" -> "rw-rw-rw-";
      default -> throw new IllegalArgumentException(
          "coffer.properties: socket-mode must be 0600, 0660 or 0666");
    };
    String group = p.getProperty("socket-group");
    return new Access(admins, creators, mode, group == null ? null : group.trim());
  }

  private static java.util.List<String> principalList(String v) {
    java.util.List<String> out = new java.util.ArrayList<>();
    for (String e : v.split(",")) {
      String t = e.trim();
      if (t.isEmpty()) {
        continue;
      }
      if (!t.matches("(user|group)/[A-Za-z0-9._-]{1,64}")) {
        throw new IllegalArgumentException(
            "coffer.properties: principals are user/<name> or group/<name>, got " + t);
      }
      out.add(t);
    }
    return out;
  }

  private static int intProp(Properties p, String name, int dflt) {
    String v = p.getProperty(name);
    if (v == null) {
      return dflt;
    }
    try {
      return Integer.parseInt(v.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("coffer.properties: " + name + " must be an integer: " + v);
    }
  }

  // ---- Connection limits (issue 14, section 3): keys max-connections-per-user,
  // ---- frame-read-timeout-seconds, idle-timeout-seconds, write-timeout-seconds,
  // ---- audit-malformed-frames-per-window, audit-malformed-frames-window-seconds.

  /** The {@code coffer.properties} keys {@link ConnectionLimits} reads. */
  public static final java.util.Set<String> CONNECTION_LIMIT_KEYS = java.util.Set.of(
      "max-connections-per-user", "frame-read-timeout-seconds", "idle-timeout-seconds",
      "write-timeout-seconds", "audit-malformed-frames-per-window",
      "audit-malformed-frames-window-seconds");

  public DaemonConfig withConnectionLimits(ConnectionLimits l) {
    return new DaemonConfig(home, socket, region, account, maxKeys, maxFrameBytes, maxConnections,
        workerThreads, deletionCheckInterval, clock, access, l);
  }

  /**
   * How the daemon keeps one client from starving the others (documented in {@code
   * docs/protocol.md}, "Limits and timeouts").
   *
   * @param maxConnectionsPerUser connections one Unix user (peer uid) may hold at once; default
   *     a quarter of {@code max-connections}, so one local user cannot take the whole budget
   * @param frameReadTimeout once the first byte of a frame has arrived, the whole frame must
   *     arrive within this time, or the connection is closed (slow or stalled senders)
   * @param idleTimeout a connection with no request in flight and no partial frame is closed
   *     after this long; at the connection limit the longest-idle connection is closed at once
   *     to make room
   * @param writeTimeout a response the peer does not take within this time (it stopped
   *     reading) closes its connection; only that connection's own writer thread waits
   * @param malformedFrameRecordsPerWindow audit records written for malformed frames per window;
   *     beyond it frames are only counted, and one summary record is written per window
   * @param malformedFrameWindow the window of {@code malformedFrameRecordsPerWindow}
   */
  public record ConnectionLimits(int maxConnectionsPerUser, Duration frameReadTimeout,
      Duration idleTimeout, Duration writeTimeout, int malformedFrameRecordsPerWindow,
      Duration malformedFrameWindow) {

    public ConnectionLimits {
      if (maxConnectionsPerUser < 1) {
        throw new IllegalArgumentException(
            "coffer.properties: max-connections-per-user must be at least 1");
      }
      positive("frame-read-timeout-seconds", frameReadTimeout);
      positive("idle-timeout-seconds", idleTimeout);
      positive("write-timeout-seconds", writeTimeout);
      positive("audit-malformed-frames-window-seconds", malformedFrameWindow);
      if (malformedFrameRecordsPerWindow < 0) {
        throw new IllegalArgumentException(
            "coffer.properties: audit-malformed-frames-per-window must be 0 or more");
      }
    }

    private static void positive(String key, Duration d) {
      if (d == null || d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException("coffer.properties: " + key + " must be at least 1");
      }
    }

    /** Defaults for a daemon allowing {@code maxConnections} connections. */
    public static ConnectionLimits defaults(int maxConnections) {
      return new ConnectionLimits(Math.max(1, maxConnections / 4), Duration.ofSeconds(10),
          Duration.ofSeconds(300), Duration.ofSeconds(30), 10, Duration.ofSeconds(60));
    }

    static ConnectionLimits from(Properties p, ConnectionLimits current, int maxConnections) {
      ConnectionLimits d = p.containsKey("max-connections")
          ? defaults(maxConnections).withFramingOf(current) : current;
      return new ConnectionLimits(
          intProp(p, "max-connections-per-user", d.maxConnectionsPerUser()),
          seconds(p, "frame-read-timeout-seconds", d.frameReadTimeout()),
          seconds(p, "idle-timeout-seconds", d.idleTimeout()),
          seconds(p, "write-timeout-seconds", d.writeTimeout()),
          intProp(p, "audit-malformed-frames-per-window", d.malformedFrameRecordsPerWindow()),
          seconds(p, "audit-malformed-frames-window-seconds", d.malformedFrameWindow()));
    }

    /** These limits with the share of connections from this, the rest from {@code other}. */
    private ConnectionLimits withFramingOf(ConnectionLimits other) {
      return new ConnectionLimits(maxConnectionsPerUser, other.frameReadTimeout,
          other.idleTimeout, other.writeTimeout, other.malformedFrameRecordsPerWindow,
          other.malformedFrameWindow);
    }

    private static Duration seconds(Properties p, String key, Duration dflt) {
      return Duration.ofSeconds(intProp(p, key, (int) dflt.toSeconds()));
    }
  }
}
