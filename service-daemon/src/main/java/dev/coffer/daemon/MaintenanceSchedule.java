package dev.coffer.daemon;

import dev.coffer.daemon.audit.AuditRetention;
import dev.coffer.daemon.audit.AuditTrail;
import dev.coffer.daemon.audit.RefusedRequestAudit;
import dev.coffer.daemon.cluster.Leadership;
import dev.coffer.daemon.cluster.NodeIdClaim;
import dev.coffer.daemon.config.DaemonConfig;
import dev.coffer.daemon.events.EventDelivery;
import dev.coffer.daemon.events.ExpiryEvents;
import dev.coffer.daemon.files.SecureFiles;
import dev.coffer.daemon.metrics.DaemonMetrics;
import dev.coffer.daemon.ops.KmsOperations;
import java.io.IOException;
import java.time.Instant;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The daemon's maintenance: a pass ({@link #run}) at start-up and then every {@code
 * deletion-check-interval} on one thread, {@code coffer-scheduler}, which also lets a newly
 * elected leader catch up within a second and keeps this node's node-id claim.
 */
final class MaintenanceSchedule {

  // The daemon's logger, as before this class was cut out of Daemon: the CLI's log lines name it.
  private static final Logger LOG = Logger.getLogger(Daemon.class.getName());

  /** How long {@link #stop} waits for a pass under way to end. */
  static final int STOP_WAIT_SECONDS = 10;

  private final DaemonConfig config;
  private final Leadership leadership;
  private final RefusedRequestAudit refusedRequests;
  private final ExpiryEvents expiryEvents;
  private final EventDelivery eventDelivery;
  private final AuditTrail trail;
  private final KmsOperations ops;
  private final AuditRetention retention;
  private final DaemonMetrics metrics;
  /** Whether the last pass ran the scheduled work: a newly elected leader catches up. */
  private volatile boolean ledLastPass;
  private ScheduledExecutorService scheduler; // set once by start

  MaintenanceSchedule(DaemonConfig config, Leadership leadership,
      RefusedRequestAudit refusedRequests, ExpiryEvents expiryEvents, EventDelivery eventDelivery,
      AuditTrail trail, KmsOperations ops, AuditRetention retention, DaemonMetrics metrics) {
    this.config = config;
    this.leadership = leadership;
    this.refusedRequests = refusedRequests;
    this.expiryEvents = expiryEvents;
    this.eventDelivery = eventDelivery;
    this.trail = trail;
    this.ops = ops;
    this.retention = retention;
    this.metrics = metrics;
  }

  /**
   * Starts the periodic passes (the first one {@code deletion-check-interval}, at least 1 ms,
   * from now) and the once-a-second leader catch-up; with {@code nodeClaim} (PostgreSQL; null on
   * SQLite), also keeps that claim once a second.
   */
  void start(NodeIdClaim nodeClaim) {
    scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "coffer-scheduler");
      t.setDaemon(true);
      return t;
    });
    long every = Math.max(1, config.deletionCheckInterval().toMillis());
    scheduler.scheduleWithFixedDelay(this::run, every, every, TimeUnit.MILLISECONDS);
    // A node that becomes leader (its predecessor died) runs a pass within a second rather
    // than at its next periodic one.
    scheduler.scheduleWithFixedDelay(this::catchUpIfNewLeader, 1, 1, TimeUnit.SECONDS);
    if (nodeClaim != null) {
      // A database restart ends the session holding this node's name: take it back.
      scheduler.scheduleWithFixedDelay(nodeClaim::keep, 1, 1, TimeUnit.SECONDS);
    }
  }

  /**
   * Stops the scheduler thread, interrupting a pass under way, and waits up to {@value
   * #STOP_WAIT_SECONDS} s for it to end: the database and audit log close after this, and a
   * pass still running would write to them as they close.
   */
  void stop() {
    if (scheduler == null) {
      return; // never started
    }
    scheduler.shutdownNow();
    try {
      if (!scheduler.awaitTermination(STOP_WAIT_SECONDS, TimeUnit.SECONDS)) {
        LOG.warning("a maintenance pass did not end within " + STOP_WAIT_SECONDS
            + " s of shutdown; closing the database under it");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }


  /** One maintenance pass: see {@link Daemon#runMaintenance}. */
  void run() {
    refusedRequests.tick();
    boolean leader = leadership.isLeader();
    ledLastPass = leader;
    if (leader) {
      runScheduledWork();
    }
    try {
      writeMetrics();
      retention.run();
    } catch (RuntimeException | IOException e) {
      LOG.log(Level.SEVERE, "maintenance failed; will retry", e);
    }
  }

  private void catchUpIfNewLeader() {
    if (!ledLastPass && leadership.isLeader()) {
      run();
    }
  }

  /** The cluster's scheduled work on due items: the leader's share of {@link #run}. */
  private void runScheduledWork() {
    // One instant for the pass: material is erased only once its expiration event is raised.
    Instant now = config.clock().instant();
    Instant expiredBy = now;
    try {
      int raised = expiryEvents.raiseDue(now);
      if (raised > 0) {
        LOG.info(() -> "raised " + raised + " imported key material expiry event(s)");
      }
    } catch (RuntimeException e) {
      LOG.log(Level.SEVERE, "expiry events not raised; expired material is erased once they"
          + " are; will retry", e);
      expiredBy = Instant.MIN;
    }
    Instant erase = expiredBy;
    eventDelivery.deliverDueSoon();
    try {
      KmsOperations.Maintenance m = trail.maintenance(() -> ops.runMaintenance(erase));
      if (m.deleted() + m.rotated() + m.expired() > 0) {
        LOG.info(() -> "maintenance: deleted " + m.deleted() + " key(s), rotated " + m.rotated()
            + ", expired imported material of " + m.expired());
      }
    } catch (RuntimeException e) {
      LOG.log(Level.SEVERE, "scheduled key maintenance failed; will retry", e);
    }
  }

  /**
   * {@code metrics.prom}, mode 0644: the key gauges of {@link DaemonMetrics} for a node_exporter
   * textfile collector; counts only.
   */
  private void writeMetrics() throws IOException {
    SecureFiles.replace(config.home().resolve("metrics.prom"), metrics.keyGaugesText(),
        SecureFiles.PUBLIC_READ);
  }
}
