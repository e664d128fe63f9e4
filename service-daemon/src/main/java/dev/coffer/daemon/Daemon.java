package dev.coffer.daemon;

import dev.coffer.daemon.accesskey.AccessKeyStore;
import dev.coffer.daemon.audit.AuditLog;
import dev.coffer.daemon.audit.AuditRetention;
import dev.coffer.daemon.audit.AuditTrail;
import dev.coffer.daemon.audit.RefusedRequestAudit;
import dev.coffer.daemon.cluster.AdvisoryLockLeadership;
import dev.coffer.daemon.cluster.Announcer;
import dev.coffer.daemon.cluster.ChangeFeed;
import dev.coffer.daemon.cluster.Leadership;
import dev.coffer.daemon.cluster.NodeIdClaim;
import dev.coffer.daemon.cluster.Reloaders;
import dev.coffer.daemon.cluster.SingleNodeLeadership;
import dev.coffer.daemon.config.DaemonConfig;
import dev.coffer.daemon.config.MonitoringSettings;
import dev.coffer.daemon.config.StorageSettings;
import dev.coffer.daemon.crypto.PerThreadDrbg;
import dev.coffer.daemon.events.EventDelivery;
import dev.coffer.daemon.events.ExpiryEvents;
import dev.coffer.daemon.http.AwsEndpoints;
import dev.coffer.daemon.keys.BackingKeys;
import dev.coffer.daemon.keys.KeyRegistry;
import dev.coffer.daemon.keys.KeyResolver;
import dev.coffer.daemon.keystore.KeyStoreBackend;
import dev.coffer.daemon.keystore.RootKey;
import dev.coffer.daemon.keystore.SoftwareKeyStore;
import dev.coffer.daemon.managed.ManagedKeys;
import dev.coffer.daemon.metrics.DaemonMetrics;
import dev.coffer.daemon.metrics.MetricsServer;
import dev.coffer.daemon.ops.KmsOperations;
import dev.coffer.daemon.ops.OperationTable;
import dev.coffer.daemon.ops.RequestPipeline;
import dev.coffer.daemon.policy.AccountAccess;
import dev.coffer.daemon.policy.Authorizer;
import dev.coffer.daemon.policy.PolicyStore;
import dev.coffer.daemon.policy.Principals;
import dev.coffer.daemon.server.SocketServer;
import dev.coffer.daemon.storage.Database;
import dev.coffer.daemon.usage.UsageAccounting;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A running Coffer daemon: data directory, database, key stores, operations and the socket
 * listener, wired together. {@link #start} returns once the socket accepts connections.
 *
 * <p>Its parts live beside it: the data directory and what start-up opens in it in {@code
 * DataDirectory}, the maintenance pass and its thread in {@code MaintenanceSchedule}, how each
 * door is opened in {@code Doors}. This class assembles them and keeps the shutdown order.
 */
public final class Daemon implements Closeable {

  private static final Logger LOG = Logger.getLogger(Daemon.class.getName());

  private final DaemonConfig config;
  private final Database db;
  private final KeyRegistry registry;
  private final BackingKeys backingKeys;
  private final KmsOperations ops;
  private SocketServer server; // set once in the constructor
  private final MaintenanceSchedule maintenance;
  private final AuditLog audit;
  private final AuditTrail trail;
  private final RequestPipeline pipeline;
  private final RefusedRequestAudit refusedRequests;
  private AwsEndpoints endpoints = AwsEndpoints.none(null); // replaced once in the constructor
  private final DaemonMetrics metrics;
  private EventDelivery eventDelivery; // set once in the constructor
  private MetricsServer metricsServer; // set once in the constructor, if metrics-listen is set
  private UsageAccounting usage; // set once in the constructor
  private final Leadership leadership;
  /** This node's hold on its node-id in a shared database (null on SQLite): see NodeIdClaim. */
  private final NodeIdClaim nodeClaim;
  /** What this node reloads when another node announces a change (see {@link #reloaders}). */
  private final Reloaders reloaders = new Reloaders();
  private ChangeFeed feed; // set once in the constructor on PostgreSQL
  private final PolicyStore policies;

  /**
   * Chooses how a daemon learns whether it runs the cluster's scheduled work, given its open
   * database: {@link SingleNodeLeadership} for SQLite, {@link
   * dev.coffer.daemon.cluster.AdvisoryLockLeadership} over {@code Database.newConnection()} for
   * PostgreSQL.
   */
  @FunctionalInterface
  public interface LeadershipFactory {
    Leadership open(Database db);

    /** Always leader: one node on its own database. */
    LeadershipFactory SINGLE_NODE = db -> new SingleNodeLeadership();

    /**
     * Alone on SQLite; on PostgreSQL, the node holding the cluster's advisory lock
     * ({@link AdvisoryLockLeadership}).
     */
    LeadershipFactory BY_ENGINE = db -> db.engine() == StorageSettings.Engine.POSTGRESQL
        ? new AdvisoryLockLeadership(db::newConnection, db.nodeId())
        : new SingleNodeLeadership();
  }

  private Daemon(DaemonConfig config, LeadershipFactory leadershipFactory) throws IOException {
    this.config = config;
    DataDirectory.prepare(config.home());
    SecureRandom random = new PerThreadDrbg();
    DataDirectory dir = DataDirectory.open(config, random);
    this.db = dir.database();
    this.nodeClaim = dir.nodeClaim();
    RootKey root = dir.root();
    try {
      this.leadership = leadershipFactory.open(db);
    } catch (RuntimeException e) {
      releaseNodeId();
      db.close();
      throw e;
    }
    try {
      this.audit = AuditLog.open(config.home(), config.home().resolve("audit"),
          config.region(), config.account(), config.clock(), auditOptions(config));
    } catch (IOException | RuntimeException e) {
      leadership.close();
      releaseNodeId();
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
      this.policies = new PolicyStore(db, principals);
      AccountAccess accountAccess = new AccountAccess(principals, config.access().keyCreators());
      Authorizer authorizer = new Authorizer(registry, resolver, policies, accountAccess,
          config.clock());
      this.ops = new KmsOperations(registry, resolver, backingKeys, root, config.clock(),
          random, config.account(), authorizer, db.nodeId());
      // Service events are held in the audit outbox by the maintenance pass's own transactions
      // (AuditTrail.maintenance), so KmsOperations does not record them a second time.
      AuditRetention retention = new AuditRetention(audit, config.audit().retention(),
          config.clock());
      this.trail = new AuditTrail(audit, db, config.region(), config.account(), config.clock(),
          resolver::keyArn);
      // One pipeline and one refusal budget for every door (the socket and HTTPS).
      this.refusedRequests = new RefusedRequestAudit(trail, config.clock(),
          config.connectionLimits().refusedRequestRecordsPerWindow(),
          config.connectionLimits().refusedRequestWindow());
      this.metrics = new DaemonMetrics(ops.metrics(), config.clock(), db::outboxBacklog,
          backingKeys::cacheStats);
      this.pipeline = new RequestPipeline(ops.table(), trail, config.clock(), refusedRequests,
          metrics);
      MonitoringSettings m = config.monitoring();
      ExpiryEvents expiryEvents = new ExpiryEvents(db, registry, resolver::keyArn, trail,
          config.region(), config.account(), m.expiryWarningDays(),
          EventDelivery.targets(m.webhook(), m.command()));
      this.eventDelivery = new EventDelivery(expiryEvents, m.webhook(), m.command(),
          m.deliveryTimeout(), m.deliveryAttempts(), config.clock());
      // Managed keys (alias/coffer/*) are created on first use and guarded before the key
      // policy is consulted; usage is counted for every request the pipeline runs.
      ManagedKeys managed = new ManagedKeys(registry, resolver, backingKeys, policies,
          accountAccess, trail, config.clock());
      ops.table().setAccessCheck(managed.guarding(authorizer::authorize));
      ops.setAwsManaged(managed::isManaged);
      registerReloads(managed);
      if (db.engine() == StorageSettings.Engine.POSTGRESQL) {
        joinChangeFeed();
      }
      this.usage = new UsageAccounting(db, config.home(), registry.all(), principals,
          config.usageLimits(), config.clock(), resolver::keyArn);
      usage.register(ops.table());
      pipeline.setUsageMeter(usage);
      shipOutbox();
      this.maintenance = new MaintenanceSchedule(config, leadership, refusedRequests,
          expiryEvents, eventDelivery, trail, ops, retention, metrics);
      maintenance.run();
      db.checkpoint(); // start-up's many small schema transactions, folded into the file
      maintenance.start(nodeClaim);
      this.server = Doors.openSocket(config, ops.table(), pipeline, trail, refusedRequests,
          metrics);
      this.endpoints = Doors.startEndpoints(config, ops.accessKeys(), pipeline, trail, random,
          metrics);
      this.metricsServer = Doors.startMetrics(config, random, metrics);
    } catch (IOException | RuntimeException e) {
      shutDown(false);
      throw e;
    }
  }

  /**
   * Order of a key announcement's reloads: whether the key is managed and its policy and grants
   * before its record and aliases, so a key another node created is never seen (through its
   * alias) as a customer key or with the default policy; then its opened versions are dropped.
   */
  private void registerReloads(ManagedKeys managed) {
    managed.registerReloads(reloaders);
    policies.registerReloads(reloaders);
    registry.registerReloads(reloaders);
    backingKeys.registerReloads(reloaders);
    ops.accessKeys().registerReloads(reloaders);
  }

  /**
   * Ships the records of changes committed before a crash that had not reached the log yet. If
   * the log cannot take them now they stay in the outbox for the next attempt.
   */
  private void shipOutbox() {
    try {
      trail.ship();
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "audit outbox not shipped at start-up; will retry", e);
    }
  }

  /**
   * The metrics endpoint, e.g. {@code http://127.0.0.1:9464/metrics}; empty without {@code
   * metrics-listen}.
   */
  public Optional<String> metricsUrl() {
    return Doors.metricsUrl(config.monitoring(), metricsServer);
  }

  /**
   * The bound endpoints, e.g. {@code https://0.0.0.0:8443}, in the order https, http; empty
   * without {@code https-listen} and {@code http-listen}.
   */
  public List<String> endpointUrls() {
    return endpoints.urls();
  }

  /** Starts a single-node daemon; the socket accepts connections when this returns. */
  public static Daemon start(DaemonConfig config) throws IOException {
    return new Daemon(config, LeadershipFactory.BY_ENGINE);
  }

  /**
   * Starts a daemon whose scheduled work runs only while {@code leadership} says it leads; the
   * socket accepts connections when this returns.
   */
  public static Daemon start(DaemonConfig config, LeadershipFactory leadership)
      throws IOException {
    return new Daemon(config, leadership);
  }

  /** Whether this node runs the scheduled work now (always true for a single node). */
  public boolean isLeader() {
    return leadership.isLeader();
  }

  public Path socket() {
    return server.socket();
  }

  public DaemonConfig config() {
    return config;
  }

  /**
   * Every cache of this node's in-memory view, by the announcement topic that invalidates it:
   * what {@code ChangeFeed.start} calls when another node changed something, and reloads whole
   * after a lost feed connection.
   */
  public Reloaders reloaders() {
    return reloaders;
  }

  /**
   * Makes this node's writes announce what they change, inside their transactions: on
   * PostgreSQL {@code announceThrough(ChangeFeed.pgNotify())}, then {@code
   * ChangeFeed.start(db::newConnection, reloaders())}. Not called on SQLite (one node).
   */
  public void announceThrough(Announcer announcer) {
    registry.setAnnouncer(announcer);
    policies.setAnnouncer(announcer);
    ops.accessKeys().setAnnouncer(announcer);
  }

  /**
   * Joins the cluster's change feed (docs/cluster.md, "Consistency"): this node's writes announce
   * what they change, and other nodes' announcements reload this node's view. What changed
   * between this node's loading its view and its first {@code LISTEN} is caught by one reload
   * of everything once the feed listens.
   */
  private void joinChangeFeed() throws IOException {
    announceThrough(ChangeFeed.pgNotify());
    ops.joinChangeFeed(ChangeFeed.pgNotify(), reloaders);
    try {
      feed = ChangeFeed.start(db::newConnection, reloaders);
    } catch (java.sql.SQLException | RuntimeException e) {
      throw new IOException("cannot listen for other nodes' changes on "
          + config.storage().jdbcUrl() + ": " + e.getMessage(), e);
    }
    reloaders.reloadAll();
  }

  /**
   * The daemon's access keys: the HTTPS door verifies request signatures with {@link
   * AccessKeyStore#find}.
   */
  public AccessKeyStore accessKeys() {
    return ops.accessKeys();
  }

  /** The operations the daemon serves; a transport checks {@code isSocketOnly} with it. */
  public OperationTable operationTable() {
    return ops.table();
  }

  /**
   * The request pipeline over this daemon's operations and audit trail, which every door (the
   * Unix socket, HTTPS) uses: it authenticates nothing itself, so its caller must pass the
   * {@link dev.coffer.daemon.identity.Identity} it established.
   */
  public RequestPipeline pipeline() {
    return pipeline;
  }

  /**
   * One maintenance pass; runs at start-up and periodically. Every node: the refused-request
   * window, {@code metrics.prom}, retention of its own audit log. Only the leader ({@link
   * Leadership}): raises imported-material expiry events that are due (before the material they
   * name is erased), delivers events, deletes keys whose waiting period has ended, rotates keys
   * that are due and expires imported material, so each due item is acted on by one node.
   */
  public void runMaintenance() {
    maintenance.run();
  }

  /** The audit log's tunables, with the file size from {@code audit-max-file-bytes}. */
  private static AuditLog.Options auditOptions(DaemonConfig config) {
    AuditLog.Options d = AuditLog.Options.defaults();
    return new AuditLog.Options(config.audit().maxFileBytes(), d.cryptoFlushBound(),
        d.digestInterval(), d.queueCapacity());
  }

  @Override
  public void close() {
    shutDown(true);
  }

  /**
   * Closes the parts in one order for both ends of a daemon's life: after {@link #close}, or
   * after a start that failed once the audit log was open (then parts not yet made are
   * skipped). The maintenance schedule stops before the database closes: an application that
   * catches a failed start must not keep a scheduler running passes against it.
   *
   * @param started whether the start completed: then rows shipped to the audit log are deleted
   *     and this node's node-id is released last, since another process with this name may
   *     ship this node's rows once it is; after a failed start nothing was shipped, and the
   *     node-id is released before the database closes
   */
  private void shutDown(boolean started) {
    if (metricsServer != null) {
      metricsServer.close();
    }
    if (eventDelivery != null) {
      eventDelivery.close();
    }
    endpoints.close();
    if (server != null) {
      server.close();
    }
    if (maintenance != null) {
      maintenance.stop();
    }
    if (feed != null) {
      feed.close();
    }
    leadership.close();
    if (refusedRequests != null) {
      refusedRequests.close();
    }
    if (usage != null) {
      usage.close();
    }
    if (started) {
      db.deleteShipped();
    }
    audit.close();
    if (!started) {
      releaseNodeId();
    }
    db.close();
    if (started) {
      releaseNodeId();
    }
  }

  private void releaseNodeId() {
    if (nodeClaim != null) {
      nodeClaim.close();
    }
  }
}
