package dev.coffer.daemon.usage;

import dev.coffer.daemon.keys.KeyRecord;
import dev.coffer.daemon.keys.KeyState;
import dev.coffer.daemon.storage.Change;
import dev.coffer.daemon.storage.Database;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;

/**
 * Key-months: for each key and calendar month (UTC), the fraction of the month during which the
 * key existed and was not pending deletion, prorated to the millisecond (AWS bills each KMS key
 * per month, prorated hourly; 1.0 is a key held the whole month). The current month counts up
 * to now.
 *
 * <p>Kept as billable periods in the table {@code usage_key_periods}, one row per span
 * ({@code end_ms} null while open), written by a {@linkplain Database#addCommitHook commit hook}
 * in the same transaction as the key change that opens or closes a span: a key's creation opens
 * one at its creation date, {@code ScheduleKeyDeletion} closes it at the moment of scheduling
 * (the deletion date less the waiting period), {@code CancelKeyDeletion} opens a new one, and
 * the key's deletion closes any span left open. The rows outlive the key, so past months keep
 * their key-months.
 */
final class KeyPeriods implements Database.CommitHook {

  private final Database db;
  private final Clock clock;
  private final java.util.function.Function<UUID, String> keyArn;

  KeyPeriods(Database db, Clock clock, java.util.function.Function<UUID, String> keyArn) {
    this.db = db;
    this.clock = clock;
    this.keyArn = keyArn;
  }

  /**
   * Opens spans for keys that have none (keys created before usage accounting existed), from
   * their creation date; a key pending deletion gets a span closed when its deletion was
   * scheduled.
   */
  void backfill(Collection<KeyRecord> keys) {
    db.inTransaction(tx -> {
      Connection c = tx.connection();
      for (KeyRecord k : keys) {
        if (hasAnySpan(c, k.id())) {
          continue;
        }
        Instant end = k.state() == KeyState.PendingDeletion && k.deletionDate() != null
            ? scheduledAt(k.creationDate(), k.deletionDate(), k.pendingWindowInDays()) : null;
        open(c, k.id(), k.creationDate(), end);
      }
      return null;
    });
  }

  @Override
  public void beforeCommit(Connection c, List<Change> changes) throws SQLException {
    Set<UUID> created = new LinkedHashSet<>();
    Set<UUID> touched = new LinkedHashSet<>();
    for (Change ch : changes) {
      switch (ch.kind()) {
        case KEY_CREATED -> {
          created.add(ch.keyId());
          touched.add(ch.keyId());
        }
        case KEY_UPDATED, KEY_DELETED -> touched.add(ch.keyId());
        default -> { }
      }
    }
    for (UUID id : touched) {
      settle(c, id, created.contains(id));
    }
  }

  /** Opens or closes the key's span to match its state as this transaction leaves it. */
  private void settle(Connection c, UUID id, boolean created) throws SQLException {
    Long openSince = openSpan(c, id);
    try (PreparedStatement p = c.prepareStatement("SELECT state, creation_ms, deletion_ms,"
        + " pending_window_days FROM keys WHERE id = ?")) {
      p.setString(1, id.toString());
      try (ResultSet r = p.executeQuery()) {
        Instant now = clock.instant();
        if (!r.next()) { // deleted
          if (openSince != null) {
            close(c, id, now);
          }
          return;
        }
        boolean pending = KeyState.PendingDeletion.name().equals(r.getString(1));
        Instant creation = Instant.ofEpochMilli(r.getLong(2));
        if (pending && openSince != null) {
          long deletion = r.getLong(3);
          Instant at = r.wasNull() ? now
              : scheduledAt(creation, Instant.ofEpochMilli(deletion), r.getInt(4));
          close(c, id, at.isBefore(Instant.ofEpochMilli(openSince))
              ? Instant.ofEpochMilli(openSince) : at);
        } else if (!pending && openSince == null) {
          open(c, id, created ? creation : now, null);
        }
      }
    }
  }

  private static Instant scheduledAt(Instant creation, Instant deletion, int windowDays) {
    Instant at = deletion.minus(Duration.ofDays(windowDays));
    return at.isBefore(creation) ? creation : at;
  }

  private static boolean hasAnySpan(Connection c, UUID id) throws SQLException {
    try (PreparedStatement p = c.prepareStatement(
        "SELECT 1 FROM usage_key_periods WHERE key_id = ? LIMIT 1")) {
      p.setString(1, id.toString());
      try (ResultSet r = p.executeQuery()) {
        return r.next();
      }
    }
  }

  private static Long openSpan(Connection c, UUID id) throws SQLException {
    try (PreparedStatement p = c.prepareStatement(
        "SELECT start_ms FROM usage_key_periods WHERE key_id = ? AND end_ms IS NULL")) {
      p.setString(1, id.toString());
      try (ResultSet r = p.executeQuery()) {
        return r.next() ? r.getLong(1) : null;
      }
    }
  }

  private void open(Connection c, UUID id, Instant start, Instant end) throws SQLException {
    // A span opening at the instant the last one began (schedule and cancel in the same
    // millisecond) replaces that empty span.
    try (PreparedStatement p = c.prepareStatement("INSERT INTO usage_key_periods(key_id,"
        + " key_arn, start_ms, end_ms) VALUES (?,?,?,?) ON CONFLICT (key_id, start_ms)"
        + " DO UPDATE SET key_arn = excluded.key_arn, end_ms = excluded.end_ms")) {
      p.setString(1, id.toString());
      p.setString(2, keyArn.apply(id));
      p.setLong(3, start.toEpochMilli());
      if (end == null) {
        p.setNull(4, java.sql.Types.BIGINT);
      } else {
        p.setLong(4, end.toEpochMilli());
      }
      p.executeUpdate();
    }
  }

  private static void close(Connection c, UUID id, Instant end) throws SQLException {
    try (PreparedStatement p = c.prepareStatement("UPDATE usage_key_periods SET end_ms = ?"
        + " WHERE key_id = ? AND end_ms IS NULL")) {
      p.setLong(1, end.toEpochMilli());
      p.setString(2, id.toString());
      p.executeUpdate();
    }
  }

  /**
   * Key-months per month and key ARN for the months {@code from} to {@code to} inclusive, each
   * month counted up to {@code now} at most; keys with none in a month are absent.
   *
   * @return month ({@code yyyy-MM}) to key ARN to key-months
   */
  Map<String, Map<String, Double>> keyMonths(YearMonth from, YearMonth to, Instant now) {
    long lo = from.atDay(1).atStartOfDay().toInstant(ZoneOffset.UTC).toEpochMilli();
    long hi = to.plusMonths(1).atDay(1).atStartOfDay().toInstant(ZoneOffset.UTC).toEpochMilli();
    record Span(String arn, long start, long end) {}
    List<Span> spans = db.read(tx -> {
      List<Span> out = new ArrayList<>();
      try (PreparedStatement p = tx.connection().prepareStatement("SELECT key_arn, start_ms,"
          + " end_ms FROM usage_key_periods WHERE start_ms < ? AND (end_ms IS NULL"
          + " OR end_ms > ?)")) {
        p.setLong(1, hi);
        p.setLong(2, lo);
        try (ResultSet r = p.executeQuery()) {
          while (r.next()) {
            long end = r.getLong(3);
            boolean open = r.wasNull(); // read before any other column
            out.add(new Span(r.getString(1), r.getLong(2), open ? Long.MAX_VALUE : end));
          }
        }
      }
      return out;
    });
    Map<String, Map<String, Double>> out = new TreeMap<>();
    // Only months from the earliest span to now can hold a key (later ones are capped at now to
    // nothing): walking just those keeps a range of millions of months (GetUsage's EndTime far
    // in the future) from holding a daemon thread for hours.
    long earliest = spans.stream().mapToLong(Span::start).min().orElse(Long.MAX_VALUE);
    if (earliest == Long.MAX_VALUE) {
      return out;
    }
    YearMonth first = YearMonth.from(Instant.ofEpochMilli(earliest).atOffset(ZoneOffset.UTC));
    YearMonth last = YearMonth.from(now.atOffset(ZoneOffset.UTC));
    for (YearMonth m = first.isAfter(from) ? first : from; !m.isAfter(to) && !m.isAfter(last);
        m = m.plusMonths(1)) {
      long ms = m.atDay(1).atStartOfDay().toInstant(ZoneOffset.UTC).toEpochMilli();
      long me = m.plusMonths(1).atDay(1).atStartOfDay().toInstant(ZoneOffset.UTC).toEpochMilli();
      double length = me - ms;
      long cap = Math.min(me, now.toEpochMilli());
      for (Span s : spans) {
        long held = Math.min(s.end(), cap) - Math.max(s.start(), ms);
        if (held > 0) {
          out.computeIfAbsent(m.toString(), k -> new TreeMap<>())
              .merge(s.arn(), held / length, Double::sum);
        }
      }
    }
    return out;
  }
}
