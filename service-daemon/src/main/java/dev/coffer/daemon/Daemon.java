package dev.coffer.daemon;

import dev.coffer.daemon.audit.AuditLog;
import dev.coffer.daemon.audit.AuditTrail;
import dev.coffer.daemon.config.DaemonConfig;
import dev.coffer.daemon.files.SecureFiles;
import dev.coffer.daemon.policy.AccountAccess;
import dev.coffer.daemon.policy.Authorizer;
import dev.coffer.daemon.policy.PolicyStore;
import dev.coffer.daemon.policy.Principals;
import dev.coffer.daemon.keys.BackingKeys;
import dev.coffer.daemon.keys.KeyRegistry;
import dev.coffer.daemon.keys.KeyResolver;
import dev.coffer.daemon.keystore.KeyStoreBackend;
import dev.coffer.daemon.keystore.RootKey;
import dev.coffer.daemon.keystore.RootKeys;
import dev.coffer.daemon.keystore.SoftwareKeyStore;
import dev.coffer.daemon.accesskey.AccessKeyStore;
import dev.coffer.daemon.ops.KmsOperations;
import dev.coffer.daemon.ops.OperationTable;
import dev.coffer.daemon.ops.RequestPipeline;
import dev.coffer.daemon.server.SocketServer;
import dev.coffer.daemon.storage.Database;
import java.io.Closeable;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A running Coffer daemon: data directory, database, key stores, operations and the socket
 * listener, wired together. {@link #start} returns once the socket accepts connections.
 */
public final class Daemon implements Closeable {

  private static final Logger LOG = Logger.getLogger(Daemon.class.getName());
  private static final String DB_FILE = "coffer.db";

  /** Files of the data directory that hold secret or wrapped key material, and what they hold. */
  private static final Map<String, String> SECRET_FILES = secretFiles();

  private final DaemonConfig config;
  private final Database db;
  private final KeyRegistry registry;
  private final BackingKeys backingKeys;
  private final KmsOperations ops;
  private final SocketServer server;
  private final ScheduledExecutorService scheduler;
  private final AuditLog audit;
  private final AuditTrail trail;
  private final RequestPipeline pipeline;

  private Daemon(DaemonConfig config) throws IOException {
    this.config = config;
    prepareHome(config.home());
    SecureRandom random = newRandom();
    RootKey root = RootKeys.load(config.home(), random);
    this.db = Database.open(config.home().resolve(DB_FILE));
    try {
      this.audit = AuditLog.open(config.home(), config.home().resolve("audit"),
          config.region(), config.account(), config.clock(), AuditLog.Options.defaults());
    } catch (IOException | RuntimeException e) {
      db.close();
      throw e;
    }
    try {
      this.registry = new KeyRegistry(db, config.maxKeys());
      KeyStoreBackend software = new SoftwareKeyStore(root, random);
      this.backingKeys = new BackingKeys(db, Map.of(software.id(), software), 100_000);
      KeyResolver resolver = new KeyResolver(registry, config.partition(), config.region(),
          config.account());
      Principals principals = new Principals(config.partition(), config.account(),
          config.access().administrators());
      Authorizer authorizer = new Authorizer(registry, resolver,
          new PolicyStore(db, principals),
          new AccountAccess(principals, config.access().keyCreators()), config.clock());
      this.ops = new KmsOperations(registry, resolver, backingKeys, root, config.clock(),
          random, config.account(), authorizer);
      // Service events are held in the audit outbox by the maintenance pass's own transactions
      // (AuditTrail.maintenance), so KmsOperations does not record them a second time.
      this.trail = new AuditTrail(audit, db, config.region(), config.account(), config.clock(),
          resolver::keyArn);
      this.pipeline = new RequestPipeline(ops.table(), trail, config.clock());
      // Records of changes committed before a crash that had not reached the log yet. If the
      // log cannot take them now they stay in the outbox for the next attempt.
      try {
        trail.ship();
      } catch (RuntimeException e) {
        LOG.log(Level.WARNING, "audit outbox not shipped at start-up; will retry", e);
      }
      runMaintenance();
      this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "coffer-scheduler");
        t.setDaemon(true);
        return t;
      });
      long every = Math.max(1, config.deletionCheckInterval().toMillis());
      scheduler.scheduleWithFixedDelay(this::runMaintenance, every, every, TimeUnit.MILLISECONDS);
      this.server = new SocketServer(config.socket(), ops.table(), config.maxFrameBytes(),
          config.maxConnections(), config.workerThreads(), trail, config.clock(),
          config.access().socketMode(), config.access().socketGroup(),
          config.connectionLimits());
    } catch (IOException | RuntimeException e) {
      audit.close();
      db.close();
      throw e;
    }
  }

  /** Starts a daemon; the socket accepts connections when this returns. */
  public static Daemon start(DaemonConfig config) throws IOException {
    return new Daemon(config);
  }

  public Path socket() {
    return server.socket();
  }

  public DaemonConfig config() {
    return config;
  }

  /**
   * The daemon's access keys: the HTTPS door verifies request signatures with {@link
   * AccessKeyStore#find}.
   */
  public AccessKeyStore accessKeys() {
    return ops.accessKeys();
  }

  /**
   * The request pipeline over this daemon's operations and audit trail, for a transport other than
   * the Unix socket (which has its own): it authenticates nothing itself, so its caller must
   * pass the {@link dev.coffer.daemon.identity.Identity} it established.
   */
  /** The operations the daemon serves; a transport checks {@code isSocketOnly} with it. */
  public OperationTable operationTable() {
    return ops.table();
  }

  public RequestPipeline pipeline() {
    return pipeline;
  }

  /**
   * Deletes keys whose waiting period has ended, rotates keys that are due, expires imported
   * material, and refreshes {@code metrics.prom}; runs at start-up and periodically.
   */
  public void runMaintenance() {
    try {
      KmsOperations.Maintenance m = trail.maintenance(ops::runMaintenance);
      if (m.deleted() + m.rotated() + m.expired() > 0) {
        LOG.info(() -> "maintenance: deleted " + m.deleted() + " key(s), rotated " + m.rotated()
            + ", expired imported material of " + m.expired());
      }
      writeMetrics();
    } catch (RuntimeException | IOException e) {
      LOG.log(Level.SEVERE, "maintenance failed; will retry", e);
    }
  }

  /** {@code metrics.prom}, mode 0644: for a node_exporter textfile collector; counts only. */
  private void writeMetrics() throws IOException {
    SecureFiles.replace(config.home().resolve("metrics.prom"),
        ops.metrics().prometheus().getBytes(StandardCharsets.UTF_8), SecureFiles.PUBLIC_READ);
  }

  /**
   * Creates the data directory (0700) on first start, and refuses to start, saying which
   * {@code chmod} fixes it, when other users could list or write it or could read or write a
   * file holding secret or wrapped key material: the ssh rule, because a home made 0755 once let
   * another user open the database.
   */
  private static void prepareHome(Path home) throws IOException {
    SecureFiles.createPrivateDirectory(home);
    SecureFiles.requirePrivateDirectory(home);
    for (Map.Entry<String, String> f : SECRET_FILES.entrySet()) {
      SecureFiles.requireOwnerOnlyIfPresent(home.resolve(f.getKey()), f.getValue());
    }
  }

  private static Map<String, String> secretFiles() {
    Map<String, String> m = new java.util.LinkedHashMap<>();
    m.put("root.key", "the root key");
    m.put(DB_FILE, "wrapped key material, grant tokens and wrapped PINs");
    for (String journal : Database.JOURNAL_SUFFIXES) {
      m.put(DB_FILE + journal, "recent database changes (wrapped key material)");
    }
    m.put("audit-signing-key.p8", "the audit signing key");
    return java.util.Collections.unmodifiableMap(m);
  }

  private static SecureRandom newRandom() {
    try {
      return SecureRandom.getInstance("DRBG");
    } catch (NoSuchAlgorithmException e) {
      return new SecureRandom();
    }
  }

  @Override
  public void close() {
    server.close();
    scheduler.shutdownNow();
    db.deleteShipped();
    audit.close();
    db.close();
  }
}
