package dev.coffer.daemon.audit;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.daemon.storage.Database;
import dev.coffer.daemon.storage.Change;
import dev.coffer.daemon.storage.CommitScope;
import dev.coffer.daemon.storage.OutboxRecord;
import dev.coffer.daemon.storage.StorageException;
import dev.coffer.protocol.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Makes every change and its audit record atomic: the {@link AuditLog} plus the database's
 * audit outbox.
 *
 * <p>A state-changing request runs in a {@linkplain Database#inScope commit scope}: each
 * transaction it commits also inserts the request's provisional record into {@code
 * audit_outbox}, in that same transaction. After the request, its final record (same {@code
 * eventID}, with the outcome) is written to the log, durably, and the outbox row is deleted. So
 * after {@code kill -9} at any point, a committed change has its record in the log, in the
 * outbox, or in both; {@link #ship} (at start-up, after the log recovers from a write failure,
 * and on every maintenance pass) writes the outbox rows whose {@code eventID} the log does not
 * hold yet, then deletes them. The daemon's own changes (maintenance: deletions at the end of
 * the waiting period, scheduled rotations, expired imported material) hold their service events
 * in the outbox the same way ({@link #maintenance}).
 */
public final class AuditTrail implements AuditSink {

  private static final Logger LOG = Logger.getLogger(AuditTrail.class.getName());

  private final AuditLog log;
  private final Database db;
  private final String region;
  private final String account;
  private final Clock clock;
  private final Function<UUID, String> keyArn;
  /** Event ids of requests running now: their outbox rows are theirs to settle, not ship's. */
  private final Set<String> inFlight = ConcurrentHashMap.newKeySet();

  /**
   * @param keyArn the ARN of a key id, for the daemon's service events
   */
  public AuditTrail(AuditLog log, Database db, String region, String account, Clock clock,
      Function<UUID, String> keyArn) {
    this.log = log;
    this.db = db;
    this.region = region;
    this.account = account;
    this.clock = clock;
    this.keyArn = keyArn;
    log.onRecovered(this::shipQuietly);
  }

  @Override
  public void record(AuditEvent event) {
    log.record(event);
  }

  @Override
  public boolean writable() {
    return log.writable();
  }

  @Override
  public RequestAudit begin(String eventId, Supplier<AuditEvent> provisional) {
    inFlight.add(eventId);
    return new Request(eventId, provisional);
  }

  private final class Request implements RequestAudit, CommitScope {
    private final String eventId;
    private final Supplier<AuditEvent> provisional;
    private volatile boolean committed;
    private final Set<String> changedKeys = new java.util.LinkedHashSet<>();

    Request(String eventId, Supplier<AuditEvent> provisional) {
      this.eventId = eventId;
      this.provisional = provisional;
    }

    @Override
    public <T> T run(Supplier<T> work) {
      return db.inScope(this, work);
    }

    @Override
    public List<OutboxRecord> records(List<Change> changes) {
      // The request names some keys only after its commit (CreateKey): the keys this request's
      // transactions changed make the provisional record name them too.
      changes.forEach(c -> changedKeys.add(keyArn.apply(c.keyId())));
      AuditEvent e = provisional.get();
      java.util.LinkedHashSet<String> resources = new java.util.LinkedHashSet<>(e.resources());
      resources.addAll(changedKeys);
      AuditEvent withKeys = new AuditEvent(e.eventTime(), e.eventName(), e.identity(),
          e.requestId(), e.request(), e.response(), e.errorCode(), e.errorMessage(),
          List.copyOf(resources), e.managementEvent(), e.readOnly(), e.eventId(), e.atCommit(),
          e.origin());
      return List.of(new OutboxRecord(eventId, clock.instant(),
          AuditRecords.toJson(withKeys, region, account)));
    }

    @Override
    public void committed(List<OutboxRecord> records) {
      committed = true;
    }

    @Override
    public boolean committed() {
      return committed;
    }

    @Override
    public Outcome record(AuditEvent event) {
      try {
        log.record(event);
      } catch (RuntimeException e) {
        if (!committed) {
          throw e;
        }
        // The change is committed with its provisional record in the outbox; keep the final
        // record there instead, for ship() once the log can be written.
        try {
          db.replaceOutboxRecord(eventId, AuditRecords.toJson(event, region, account));
        } catch (StorageException notReplaced) {
          LOG.log(Level.WARNING, "the outbox keeps the provisional record of " + eventId,
              notReplaced);
        }
        LOG.log(Level.WARNING, "audit log unavailable; the record of committed request "
            + eventId + " is held in the database outbox until it can be written", e);
        return Outcome.HELD;
      }
      if (committed) {
        db.markShipped(eventId);
      }
      return Outcome.LOGGED;
    }

    @Override
    public void close() {
      inFlight.remove(eventId);
    }
  }

  /**
   * Runs a maintenance pass so that each change it commits holds its service event in the
   * outbox (named from what the transaction changed: {@code DeleteKey}, {@code RotateKey},
   * {@code KeyMaterialExpired}, else {@code KeyMaintenance}), then ships the outbox.
   */
  public <T> T maintenance(Supplier<T> pass) {
    T result = db.inScope(this::serviceEvents, pass);
    shipQuietly();
    return result;
  }

  /**
   * Commits {@code work} and one service event in the same transaction (the event's record is
   * held in the outbox, so it is never lost nor written without the change), then ships the
   * outbox. For the daemon's own decisions that are not key changes, such as an imported-material
   * expiry event having been raised ({@code dev.coffer.daemon.events}).
   *
   * @param eventName the record's {@code eventName}
   * @param resources ARNs the record names
   * @param details the record's {@code requestParameters} (as the daemon's other service events)
   * @param work the change; returns false when there was nothing to change, and then no record
   *     is written either
   * @return what {@code work} returned
   */
  public boolean serviceEvent(String eventName, List<String> resources, ObjectNode details,
      Database.Work<Boolean> work) {
    Instant now = clock.instant();
    String eventId = UUID.randomUUID().toString();
    AuditEvent e = AuditEvent.serviceEvent(now, eventName, resources, details);
    OutboxRecord record = new OutboxRecord(eventId, now, AuditRecords.toJson(new AuditEvent(
        e.eventTime(), e.eventName(), e.identity(), e.requestId(), e.request(), null, null, null,
        e.resources(), true, false, eventId, false), region, account));
    boolean[] changed = {false};
    db.inScope(changes -> changed[0] ? List.of(record) : List.of(),
        () -> db.inTransaction(tx -> changed[0] = work.run(tx)));
    shipQuietly();
    return changed[0];
  }

  private List<OutboxRecord> serviceEvents(List<Change> changes) {
    Map<UUID, List<Change>> byKey = new LinkedHashMap<>();
    changes.forEach(c -> byKey.computeIfAbsent(c.keyId(), k -> new ArrayList<>()).add(c));
    List<OutboxRecord> out = new ArrayList<>();
    Instant now = clock.instant();
    byKey.forEach((id, cs) -> {
      String name = serviceEventName(cs);
      String arn = keyArn.apply(id);
      ObjectNode details = Json.object();
      details.put("KeyId", arn);
      AuditEvent e = AuditEvent.serviceEvent(now, name, List.of(arn), details);
      String eventId = UUID.randomUUID().toString();
      out.add(new OutboxRecord(eventId, now, AuditRecords.toJson(new AuditEvent(e.eventTime(),
          e.eventName(), e.identity(), e.requestId(), e.request(), null, null, null, e.resources(),
          true, false, eventId, false), region, account)));
    });
    return out;
  }

  private static String serviceEventName(List<Change> cs) {
    if (cs.stream().anyMatch(c -> c.kind() == Change.Kind.KEY_DELETED)) {
      return "DeleteKey";
    }
    if (cs.stream().anyMatch(c -> c.kind() == Change.Kind.VERSION_ADDED
        && "AUTOMATIC".equals(c.detail()))) {
      return "RotateKey";
    }
    if (cs.stream().anyMatch(c -> c.kind() == Change.Kind.VERSIONS_DELETED)) {
      return "KeyMaterialExpired";
    }
    return "KeyMaintenance";
  }

  /**
   * Writes every outbox record the log does not hold yet (except those of requests still
   * running), durably, then deletes the rows.
   *
   * @return how many records were written
   * @throws UncheckedIOException when the log cannot be read or written (the rows stay)
   */
  public synchronized int ship() {
    if (!log.writable()) {
      return 0;
    }
    db.deleteShipped();
    List<OutboxRecord> rows = db.outbox().stream()
        .filter(r -> !inFlight.contains(r.eventId())).toList();
    if (rows.isEmpty()) {
      return 0;
    }
    Set<String> present;
    try {
      present = log.eventIdsPresent(rows.stream().map(OutboxRecord::eventId).toList(),
          rows.get(0).created());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the audit log to ship the outbox", e);
    }
    int written = 0;
    for (OutboxRecord r : rows) {
      if (!present.contains(r.eventId())) {
        log.recordShaped(r.record());
        written++;
      }
      db.markShipped(r.eventId());
    }
    db.deleteShipped();
    if (written > 0) {
      int n = written;
      LOG.info(() -> "wrote " + n + " audit record(s) held in the database outbox");
    }
    return written;
  }

  private void shipQuietly() {
    try {
      ship();
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "audit outbox not shipped yet; will retry", e);
    }
  }
}
