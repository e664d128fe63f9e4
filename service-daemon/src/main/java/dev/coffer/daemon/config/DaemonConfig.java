package dev.coffer.daemon.config;

import dev.coffer.protocol.Frame;
import dev.coffer.protocol.SocketLocator;
import java.io.IOException;
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
 * @param partition partition part of ARNs ({@code arn:<partition>:kms:...} and the IAM
 *     principals {@code arn:<partition>:iam::...}); {@code coffer} is reserved for Unix principals
 * @param https the AWS-compatible HTTPS endpoint, if any (see {@link HttpsSettings})
 * @param audit retention and file size of the audit log (see {@link AuditSettings})
 * @param monitoring the metrics endpoint and imported-material expiry events (see {@link
 *     MonitoringSettings})
 * @param usageLimits per-principal monthly request limits ({@link UsageLimits}); none by default
 * @param storage the database holding durable state ({@link StorageSettings}); SQLite in
 *     {@code home} by default
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
    ConnectionLimits connectionLimits,
    String partition,
    HttpsSettings https,
    AuditSettings audit,
    MonitoringSettings monitoring,
    UsageLimits usageLimits,
    StorageSettings storage) {

  /**
   * Account-level access, the part AWS leaves to IAM.
   *
   * @param administrators {@code user/<unix-user>}, {@code group/<unix-group>} or {@code
   *     iam-user/<name>} entries: the account root principal of key policies ({@code
   *     arn:<partition>:iam::<account>:root})
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

  public static final String DEFAULT_PARTITION = "aws";
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
    if (!partition.matches(PARTITION) || partition.equals("coffer")) {
      throw new IllegalArgumentException("partition must be 1-32 of a-z, 0-9 and -, starting"
          + " with a letter, and not coffer (reserved for Unix principals): " + partition);
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
        ConnectionLimits.defaults(256),
        DEFAULT_PARTITION,
        HttpsSettings.none(),
        AuditSettings.defaults(),
        MonitoringSettings.defaults(),
        UsageLimits.none(),
        StorageSettings.defaults());
  }

  /** ARN partitions as AWS forms them ({@code aws}, {@code aws-cn}, {@code aws-us-gov}). */
  private static final String PARTITION = "[a-z][a-z0-9-]{0,31}";

  /**
   * Every key {@code coffer.properties} may hold, one a line; any other key is refused at
   * start-up with the nearest of these ({@link Settings#requireKnown}). Keys read in {@link
   * #withProperties} count as known anyway, so forgetting a line here only loses the suggestion.
   */
  public static final java.util.List<String> SETTINGS = java.util.List.of(
      "partition",
      "region",
      "account",
      "max-keys",
      "max-frame-bytes",
      "max-connections",
      "worker-threads",
      "deletion-check-seconds",
      "admins",
      "key-creators",
      "socket-mode",
      "socket-group",
      "root-key-store",
      "root-key-pkcs11-library",
      "root-key-pkcs11-token-label",
      "root-key-pkcs11-slot-list-index",
      "root-key-pkcs11-pin-file",
      "max-connections-per-user",
      "frame-read-timeout-seconds",
      "idle-timeout-seconds",
      "write-timeout-seconds",
      "audit-malformed-frames-per-window",
      "audit-malformed-frames-window-seconds",
      "https-listen",
      "http-listen",
      "https-names",
      "https-pkcs12-file",
      "https-pkcs12-password-file",
      "https-certificate-file",
      "https-private-key-file",
      "https-max-body-bytes",
      "https-max-connections",
      "https-idle-timeout-seconds",
      "https-request-read-timeout-seconds",
      "https-max-threads",
      "https-max-requests-per-key",
      "https-max-connections-per-source",
      "audit-refused-requests-per-window",
      "audit-refused-requests-window-seconds",
      "audit-retention-days",
      "audit-max-file-bytes",
      "metrics-listen",
      "metrics-tls",
      "expiry-warning-days",
      "expiry-event-webhook",
      "expiry-event-command",
      "expiry-event-timeout-seconds",
      "expiry-event-attempts",
      "monthly-request-limits",
      "storage",
      "jdbc-url",
      "jdbc-user",
      "jdbc-password-file");

  /**
   * The configuration a user gets from {@code coffer serve}: {@code $COFFER_HOME} (default
   * {@code ~/.coffer}), the socket {@link SocketLocator#forDaemon()} finds (or {@code
   * socketOverride}), and the settings of {@code $COFFER_HOME/coffer.properties} ({@link
   * #SETTINGS}; docs/operations.md lists them with their ranges).
   *
   * @throws IllegalArgumentException naming the file and key for an unknown key, a key set twice
   *     or an invalid value
   * @throws IOException if the file is unreadable or writable by other users
   */
  public static DaemonConfig fromEnvironment(Path homeOverride, Path socketOverride)
      throws IOException {
    Path home = homeOverride != null ? homeOverride : defaultHome();
    DaemonConfig c = forDirectory(home);
    Path socket = socketOverride != null ? socketOverride : SocketLocator.forDaemon();
    c = c.withSocket(socket);
    Settings settings = Settings.read(home.resolve("coffer.properties"));
    c = c.withProperties(settings);
    settings.requireKnown(SETTINGS);
    return c;
  }

  public static Path defaultHome() {
    String env = System.getenv("COFFER_HOME");
    return env != null && !env.isBlank()
        ? Path.of(env)
        : Path.of(System.getProperty("user.home"), ".coffer");
  }

  /** This configuration with the components {@code change} sets: the one copy of them all. */
  private DaemonConfig with(java.util.function.Consumer<Components> change) {
    Components f = new Components(this);
    change.accept(f);
    return f.config();
  }

  /** The components of a configuration, settable, for {@link #with}. */
  private static final class Components {
    Path home;
    Path socket;
    String region;
    String account;
    int maxKeys;
    int maxFrameBytes;
    int maxConnections;
    int workerThreads;
    Duration deletionCheckInterval;
    Clock clock;
    Access access;
    ConnectionLimits connectionLimits;
    String partition;
    HttpsSettings https;
    AuditSettings audit;
    MonitoringSettings monitoring;
    UsageLimits usageLimits;
    StorageSettings storage;

    Components(DaemonConfig c) {
      home = c.home;
      socket = c.socket;
      region = c.region;
      account = c.account;
      maxKeys = c.maxKeys;
      maxFrameBytes = c.maxFrameBytes;
      maxConnections = c.maxConnections;
      workerThreads = c.workerThreads;
      deletionCheckInterval = c.deletionCheckInterval;
      clock = c.clock;
      access = c.access;
      connectionLimits = c.connectionLimits;
      partition = c.partition;
      https = c.https;
      audit = c.audit;
      monitoring = c.monitoring;
      usageLimits = c.usageLimits;
      storage = c.storage;
    }

    DaemonConfig config() {
      return new DaemonConfig(home, socket, region, account, maxKeys, maxFrameBytes,
          maxConnections, workerThreads, deletionCheckInterval, clock, access, connectionLimits,
          partition, https, audit, monitoring, usageLimits, storage);
    }
  }

  public DaemonConfig withSocket(Path s) {
    return with(f -> f.socket = s);
  }

  public DaemonConfig withClock(Clock c) {
    return with(f -> f.clock = c);
  }

  public DaemonConfig withMaxKeys(int n) {
    return with(f -> f.maxKeys = n);
  }

  public DaemonConfig withDeletionCheckInterval(Duration d) {
    return with(f -> f.deletionCheckInterval = d);
  }

  DaemonConfig withProperties(Properties props) {
    Settings p = props instanceof Settings s ? s : Settings.of(props);
    return new DaemonConfig(
        home,
        socket,
        p.getMatching("region", region, "[a-z0-9-]{1,32}", "must be 1 to 32 of a-z, 0-9 and -"),
        p.getMatching("account", account, "[0-9]{12}", "must be 12 digits"),
        p.getInt("max-keys", maxKeys, 1, 100_000_000),
        p.getInt("max-frame-bytes", maxFrameBytes, 1024, 16 * 1024 * 1024),
        p.getInt("max-connections", maxConnections, 1, 65_536),
        p.getInt("worker-threads", workerThreads, 1, 1024),
        Duration.ofSeconds(p.getInt("deletion-check-seconds",
            (int) deletionCheckInterval.toSeconds(), 1, 86_400)),
        clock,
        accessFrom(p, access),
        ConnectionLimits.from(p, connectionLimits,
            p.getInt("max-connections", maxConnections, 1, 65_536)),
        partitionFrom(p, partition),
        HttpsSettings.from(p, https),
        AuditSettings.from(p, audit),
        MonitoringSettings.from(p, monitoring),
        UsageLimits.from(p, usageLimits),
        StorageSettings.from(p, storage));
  }

  /** This configuration with another HTTPS endpoint setting ({@code coffer serve --https-listen}). */
  public DaemonConfig withHttps(HttpsSettings h) {
    return with(f -> f.https = h);
  }

  /** The parts of every ARN the daemon writes: {@code arn:<partition>:kms:<region>:<account>:}. */
  public DaemonConfig withArnParts(String partition, String region, String account) {
    return with(f -> {
      f.partition = partition;
      f.region = region;
      f.account = account;
    });
  }

  /** This configuration with other audit retention and file size ({@link AuditSettings}). */
  public DaemonConfig withAudit(AuditSettings a) {
    return with(f -> f.audit = a);
  }

  /** This configuration with other monthly request limits. */
  public DaemonConfig withUsageLimits(UsageLimits l) {
    return with(f -> f.usageLimits = l);
  }

  /** This configuration with its state in another database. */
  public DaemonConfig withStorage(StorageSettings s) {
    return with(f -> f.storage = s);
  }

  /** This configuration with other metrics and expiry-event settings. */
  public DaemonConfig withMonitoring(MonitoringSettings m) {
    return with(f -> f.monitoring = m);
  }

  public DaemonConfig withAccess(Access a) {
    return with(f -> f.access = a);
  }

  private static Access accessFrom(Settings p, Access dflt) {
    java.util.List<String> admins = p.containsKey("admins")
        ? principalList(p, "admins") : dflt.administrators();
    java.util.List<String> creators = p.containsKey("key-creators")
        ? principalList(p, "key-creators") : admins;
    String given = p.get("socket-mode", "0600");
    String mode = switch (given) {
      case "0600", "600" -> "rw-------";
      case "0660", "660" -> "rw-rw----";
      case "0666", "666" -> "rw-rw-rw-";
      default -> throw p.invalid("socket-mode", given, "must be 0600, 0660 or 0666");
    };
    String group = p.getMatching("socket-group", null, "[A-Za-z0-9._][A-Za-z0-9._-]{0,31}",
        "must be a group name");
    if (group != null && !UnixNames.groupExists(group)) {
      throw p.invalid("socket-group", group, "no such Unix group on this host (getent group "
          + group + " finds none); create it or name an existing group");
    }
    return new Access(admins, creators, mode, group);
  }

  private static String partitionFrom(Settings p, String dflt) {
    String v = p.getMatching("partition", dflt, PARTITION,
        "must be 1 to 32 of a-z, 0-9 and -, starting with a letter (e.g. aws)");
    if (v.equals("coffer")) {
      throw p.invalid("partition", v, "coffer is reserved for Coffer's Unix principals");
    }
    return v;
  }

  /**
   * A comma-separated list of {@code user/<name>} and {@code group/<name>}. An empty list is
   * refused: {@code admins=} would leave a daemon nobody administers (even root's {@code
   * CreateKey} denied), {@code key-creators=} one where no key can be created; leaving the key
   * out gives the default. A name that is no Unix user or group on this host is refused too, as
   * a typo there would silently lock its owner out.
   */
  private static java.util.List<String> principalList(Settings p, String key) {
    java.util.List<String> out = new java.util.ArrayList<>();
    for (String e : p.getProperty(key).split(",")) {
      String t = e.trim();
      if (t.isEmpty()) {
        continue;
      }
      if (!t.matches("(user|group)/[A-Za-z0-9._-]{1,64}|iam-user/[A-Za-z0-9+=,.@_-]{1,128}")) {
        throw p.invalid(key, t, "principals are user/<unix-user>, group/<unix-group> or"
            + " iam-user/<access-key user>, comma-separated");
      }
      String name = t.substring(t.indexOf('/') + 1);
      if (t.startsWith("user/") && !UnixNames.userExists(name)) {
        throw p.invalid(key, t, "no such Unix user on this host (getent passwd " + name
            + " finds none)");
      }
      if (t.startsWith("group/") && !UnixNames.groupExists(name)) {
        throw p.invalid(key, t, "no such Unix group on this host (getent group " + name
            + " finds none)");
      }
      out.add(t);
    }
    if (out.isEmpty()) {
      throw p.invalid(key, p.getProperty(key).trim(), "must name at least one user/<name> or"
          + " group/<name>; remove the line for the default (root and the daemon's user)");
    }
    return out;
  }

  // ---- Connection limits (issue 14, section 3): keys max-connections-per-user,
  // ---- frame-read-timeout-seconds, idle-timeout-seconds, write-timeout-seconds,
  // ---- audit-malformed-frames-per-window, audit-malformed-frames-window-seconds,
  // ---- audit-refused-requests-per-window, audit-refused-requests-window-seconds.

  public DaemonConfig withConnectionLimits(ConnectionLimits l) {
    return with(f -> f.connectionLimits = l);
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
   * @param refusedRequestRecordsPerWindow audit records each principal (peer uid) may write per
   *     window for requests refused with an error that changed nothing; beyond it such refusals
   *     are counted, and one summary record per (principal, operation, error code) is written
   *     per window ({@code RefusedRequestAudit}, docs/audit.md)
   * @param refusedRequestWindow the window of {@code refusedRequestRecordsPerWindow}
   */
  public record ConnectionLimits(int maxConnectionsPerUser, Duration frameReadTimeout,
      Duration idleTimeout, Duration writeTimeout, int malformedFrameRecordsPerWindow,
      Duration malformedFrameWindow, int refusedRequestRecordsPerWindow,
      Duration refusedRequestWindow) {

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
      positive("audit-refused-requests-window-seconds", refusedRequestWindow);
      if (refusedRequestRecordsPerWindow < 0) {
        throw new IllegalArgumentException(
            "coffer.properties: audit-refused-requests-per-window must be 0 or more");
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
          Duration.ofSeconds(300), Duration.ofSeconds(30), 10, Duration.ofSeconds(60), 100,
          Duration.ofSeconds(60));
    }

    static ConnectionLimits from(Settings p, ConnectionLimits current, int maxConnections) {
      ConnectionLimits d = p.containsKey("max-connections")
          ? defaults(maxConnections).withFramingOf(current) : current;
      return new ConnectionLimits(
          p.getInt("max-connections-per-user", d.maxConnectionsPerUser(), 1, 65_536),
          seconds(p, "frame-read-timeout-seconds", d.frameReadTimeout()),
          seconds(p, "idle-timeout-seconds", d.idleTimeout()),
          seconds(p, "write-timeout-seconds", d.writeTimeout()),
          p.getInt("audit-malformed-frames-per-window", d.malformedFrameRecordsPerWindow(), 0,
              1_000_000),
          seconds(p, "audit-malformed-frames-window-seconds", d.malformedFrameWindow()),
          p.getInt("audit-refused-requests-per-window", d.refusedRequestRecordsPerWindow(), 0,
              1_000_000),
          seconds(p, "audit-refused-requests-window-seconds", d.refusedRequestWindow()));
    }

    /** These limits with the share of connections from this, the rest from {@code other}. */
    private ConnectionLimits withFramingOf(ConnectionLimits other) {
      return new ConnectionLimits(maxConnectionsPerUser, other.frameReadTimeout,
          other.idleTimeout, other.writeTimeout, other.malformedFrameRecordsPerWindow,
          other.malformedFrameWindow, other.refusedRequestRecordsPerWindow,
          other.refusedRequestWindow);
    }

    private static Duration seconds(Settings p, String key, Duration dflt) {
      return Duration.ofSeconds(p.getInt(key, (int) dflt.toSeconds(), 1, 86_400));
    }
  }
}
