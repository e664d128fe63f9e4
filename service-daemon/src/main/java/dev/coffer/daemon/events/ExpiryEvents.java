package dev.coffer.daemon.events;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.daemon.audit.AuditTrail;
import dev.coffer.daemon.keys.KeyMaterial;
import dev.coffer.daemon.keys.KeyRecord;
import dev.coffer.daemon.keys.KeyRegistry;
import dev.coffer.daemon.storage.Database;
import dev.coffer.daemon.storage.Tx;
import dev.coffer.protocol.Json;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.Function;

/**
 * Raises the imported-key-material events ({@link KeyMaterialEvent}) that are due, each exactly
 * once: the expiration once {@code ValidTo} has passed, and a warning once each configured lead
 * time before it. "Once" is per key, material id, {@code ValidTo} and lead time, kept in the
 * {@code key_material_events} table: an event's row, its delivery rows and its audit record
 * commit in one transaction ({@link AuditTrail#serviceEvent}), so after {@code kill -9} an event
 * is raised with its record, or not at all and then at the next pass; never twice. Re-importing
 * the material with another {@code ValidTo} starts its warnings afresh.
 *
 * <p>The maintenance pass runs {@link #raiseDue} before it erases expired material, so material
 * that expired while the daemon was stopped still gets its event at start-up. A warning whose
 * lead time had already begun when the material was imported (or while the daemon was stopped)
 * is raised at the next pass, unless the material has expired by then (only the expiration is).
 */
public final class ExpiryEvents {

  private final Database db;
  private final KeyRegistry registry;
  private final Function<UUID, String> keyArn;
  private final AuditTrail trail;
  private final String region;
  private final String account;
  private final List<Integer> leadDays;
  private final List<String> targets;

  /**
   * @param leadDays warning lead times, days (empty: the expiration event only)
   * @param targets where each new event is to be delivered ({@link EventDelivery#WEBHOOK},
   *     {@link EventDelivery#COMMAND}); empty: the audit log only
   */
  public ExpiryEvents(Database db, KeyRegistry registry, Function<UUID, String> keyArn,
      AuditTrail trail, String region, String account, List<Integer> leadDays,
      List<String> targets) {
    this.db = db;
    this.registry = registry;
    this.keyArn = keyArn;
    this.trail = trail;
    this.region = region;
    this.account = account;
    this.leadDays = List.copyOf(leadDays);
    this.targets = List.copyOf(targets);
  }

  /**
   * Raises every event due at {@code now} and not raised before.
   *
   * @param now the maintenance pass's instant: material expired by then is erased after this
   * @return how many were raised
   */
  public int raiseDue(Instant now) {
    int raised = 0;
    for (KeyRecord k : registry.all()) {
      if (!k.isExternal()) {
        continue;
      }
      for (KeyMaterial m : registry.materials(k.id())) {
        if (!m.imported() || m.validTo() == null) {
          continue;
        }
        for (int lead : dueLeads(m.validTo(), now)) {
          KeyMaterialEvent e = new KeyMaterialEvent(UUID.randomUUID(), now, k.id(),
              keyArn.apply(k.id()), m.id(), m.validTo(), lead);
          // Read first: most passes find every due event raised already, and a read costs no
          // transaction; raise checks again inside its own.
          if (!db.read(tx -> wasRaised(tx, e)) && raise(e)) {
            raised++;
          }
        }
      }
    }
    return raised;
  }

  /** 0 (the expiration) once {@code validTo} has passed, else the lead times that have begun. */
  private List<Integer> dueLeads(Instant validTo, Instant now) {
    if (!validTo.isAfter(now)) {
      return List.of(0);
    }
    List<Integer> due = new ArrayList<>();
    for (int lead : leadDays) {
      if (!validTo.minus(Duration.ofDays(lead)).isAfter(now)) {
        due.add(lead);
      }
    }
    return due;
  }

  /** Records {@code e} with its deliveries and audit record, unless it was raised before. */
  private boolean raise(KeyMaterialEvent e) {
    ObjectNode json = e.toJson(region, account);
    byte[] bytes = Json.toBytes(json);
    boolean raised = trail.serviceEvent(e.auditEventName(), List.of(e.keyArn()), json, tx -> {
      if (wasRaised(tx, e)) {
        return false;
      }
      try (PreparedStatement p = tx.connection().prepareStatement("INSERT INTO"
          + " key_material_events(event_id, key_id, material_id, valid_to_ms, lead_days,"
          + " created_ms, event) VALUES (?,?,?,?,?,?,?)")) {
        p.setString(1, e.id().toString());
        p.setString(2, e.keyId().toString());
        p.setString(3, e.materialId());
        p.setLong(4, e.validTo().toEpochMilli());
        p.setInt(5, e.leadDays());
        p.setLong(6, e.time().toEpochMilli());
        p.setBytes(7, bytes);
        p.executeUpdate();
      }
      try (PreparedStatement p = tx.connection().prepareStatement("INSERT INTO"
          + " key_material_event_deliveries(event_id, target, attempts, next_attempt_ms)"
          + " VALUES (?,?,0,?)")) {
        for (String target : targets) {
          p.setString(1, e.id().toString());
          p.setString(2, target);
          p.setLong(3, e.time().toEpochMilli());
          p.executeUpdate();
        }
      }
      return true;
    });
    return raised;
  }

  /** Whether an event for the same key, material, ValidTo and lead time was raised before. */
  private static boolean wasRaised(Tx tx, KeyMaterialEvent e)
      throws java.sql.SQLException {
    try (PreparedStatement q = tx.connection().prepareStatement("SELECT 1 FROM"
        + " key_material_events WHERE key_id = ? AND material_id = ? AND valid_to_ms = ?"
        + " AND lead_days = ?")) {
      q.setString(1, e.keyId().toString());
      q.setString(2, e.materialId());
      q.setLong(3, e.validTo().toEpochMilli());
      q.setInt(4, e.leadDays());
      try (ResultSet r = q.executeQuery()) {
        return r.next();
      }
    }
  }

  /**
   * A delivery not done yet.
   *
   * @param eventId the event
   * @param target {@link EventDelivery#WEBHOOK} or {@link EventDelivery#COMMAND}
   * @param attempts attempts made so far
   * @param event the event's JSON, as raised
   */
  record Pending(String eventId, String target, int attempts, byte[] event) {}

  /**
   * Deliveries due by {@code now} with fewer than {@code maxAttempts} attempts, in the order the
   * events were raised (a pass raises the longer lead time first).
   */
  List<Pending> pending(Instant now, int maxAttempts) {
    return db.read(tx -> {
      List<Pending> out = new ArrayList<>();
      try (PreparedStatement q = tx.connection().prepareStatement("SELECT d.event_id, d.target,"
          + " d.attempts, e.event FROM key_material_event_deliveries d JOIN key_material_events"
          + " e ON e.event_id = d.event_id WHERE d.done_ms IS NULL AND d.attempts < ?"
          + " AND d.next_attempt_ms <= ? ORDER BY e.created_ms, e.lead_days DESC, d.target")) {
        q.setInt(1, maxAttempts);
        q.setLong(2, now.toEpochMilli());
        try (ResultSet r = q.executeQuery()) {
          while (r.next()) {
            out.add(new Pending(r.getString(1), r.getString(2), r.getInt(3), r.getBytes(4)));
          }
        }
      }
      return out;
    });
  }

  /**
   * Records an attempt: done at {@code doneAt}, or (null) failed, to retry at {@code next}.
   */
  void attempted(Pending p, Instant doneAt, Instant next) {
    db.inTransaction(tx -> recordAttempt(tx, p, doneAt, next));
  }

  /**
   * Records the last attempt, failed, and that delivery to {@code p.target()} is given up, with
   * its audit record ({@link EventDelivery#GAVE_UP_EVENT_NAME}) in the same transaction: the
   * record names the key (as the event's {@code resources}) and has {@code EventId}, {@code
   * Target}, {@code Attempts} and {@code Reason} (the last failure, which names no secret: a
   * webhook by its host only) in its {@code requestParameters}.
   */
  void gaveUp(Pending p, Instant now, String reason) {
    ObjectNode event = Json.parseObject(p.event());
    List<String> resources = new ArrayList<>();
    event.path("resources").forEach(r -> resources.add(r.asText()));
    ObjectNode details = Json.object();
    details.put("EventId", p.eventId());
    details.put("DetailType", event.path("detail-type").asText());
    details.put("Target", p.target());
    details.put("Attempts", p.attempts() + 1);
    details.put("Reason", reason);
    trail.serviceEvent(EventDelivery.GAVE_UP_EVENT_NAME, resources, details,
        tx -> recordAttempt(tx, p, null, now) > 0);
  }

  private static int recordAttempt(Tx tx, Pending p, Instant doneAt, Instant next)
      throws java.sql.SQLException {
    try (PreparedStatement u = tx.connection().prepareStatement("UPDATE"
        + " key_material_event_deliveries SET attempts = attempts + 1, done_ms = ?,"
        + " next_attempt_ms = ? WHERE event_id = ? AND target = ?")) {
      u.setObject(1, doneAt == null ? null : doneAt.toEpochMilli());
      u.setLong(2, next.toEpochMilli());
      u.setString(3, p.eventId());
      u.setString(4, p.target());
      return u.executeUpdate();
    }
  }
}
