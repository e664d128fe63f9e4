package dev.coffer.daemon.usage;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.daemon.config.UsageLimits;
import dev.coffer.daemon.keys.KeyRecord;
import dev.coffer.daemon.ops.Caller;
import dev.coffer.daemon.ops.Input;
import dev.coffer.daemon.ops.OperationTable;
import dev.coffer.daemon.ops.UsageMeter;
import dev.coffer.daemon.policy.Principals;
import dev.coffer.daemon.storage.Database;
import dev.coffer.protocol.ErrorType;
import dev.coffer.protocol.Json;
import dev.coffer.protocol.KmsException;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * Usage accounting (the KMS FAQ's billing and free tier): every request counted per calendar
 * month (UTC), key, principal and operation, successful and refused, durably before it is
 * answered ({@link RequestCounters}); key-months per key ({@link KeyPeriods}); optional monthly
 * request limits per principal ({@link UsageLimits}); and the Coffer operation {@code
 * GetUsage} ({@code coffer get-usage}) that reports them from the counters.
 *
 * <p>What is counted: every request the pipeline runs, whatever its outcome, once, under the
 * operation it named ({@code Unknown} for one the daemon does not serve), the principal that
 * sent it, and the first key it used (none for requests that used no key, e.g. {@code ListKeys}
 * or a {@code Decrypt} of a malformed blob). {@code GetUsage} counts too (after it answered, so
 * not in its own answer). Requests refused before they had an identity (bad signatures on the
 * HTTPS endpoint) and malformed frames are not requests of a principal and are not counted.
 */
public final class UsageAccounting implements UsageMeter, AutoCloseable {

  /** {@code GetUsage}'s {@code GroupBy} values and the counter column of each. */
  private static final Map<String, String> GROUP_COLUMNS = Map.of(
      "KEY", "key_arn", "PRINCIPAL", "principal", "OPERATION", "operation");
  private static final Map<String, String> GROUP_FIELDS = Map.of(
      "KEY", "KeyId", "PRINCIPAL", "Principal", "OPERATION", "Operation");

  private final RequestCounters counters;
  private final KeyPeriods periods;
  private final Principals principals;
  private final UsageLimits limits;
  private final Clock clock;
  /** Successful requests per principal ARN in {@link #month}, for the limits. */
  private volatile MonthTotals month;

  /**
   * One month's totals; {@code fromSecond} (inclusive) to {@code untilSecond} (exclusive) are its
   * bounds in epoch seconds, UTC, so each request finds its month without formatting a date.
   */
  private record MonthTotals(String month, long fromSecond, long untilSecond,
      Map<String, AtomicLong> byPrincipal) {}

  /**
   * @param journalDir where the {@link UsageJournal} lives (the data directory)
   * @param keys the keys that exist now (spans are opened for those without one)
   * @param keyArn the ARN of a key id
   */
  public UsageAccounting(Database db, Path journalDir, Collection<KeyRecord> keys,
      Principals principals, UsageLimits limits, Clock clock, Function<UUID, String> keyArn)
      throws IOException {
    this.principals = principals;
    this.limits = limits;
    this.clock = clock;
    this.periods = new KeyPeriods(db, clock, keyArn);
    periods.backfill(keys);
    db.addCommitHook(periods);
    this.counters = new RequestCounters(db, journalDir);
  }

  /** Serves {@code GetUsage} from {@code table}. */
  public void register(OperationTable table) {
    table.registerExtension("GetUsage", Set.of("StartTime", "EndTime", "GroupBy"),
        (caller, in) -> report(in));
  }

  // ---------------------------------------------------------------- metering

  /**
   * The principal's count that {@link #admit} raised for the request this thread runs, until
   * {@link #count} settles it (the pipeline calls both on the request's thread).
   */
  private final ThreadLocal<AtomicLong> reserved = new ThreadLocal<>();

  @Override
  public void admit(Caller caller, String operation) {
    if (limits.entries().isEmpty()) {
      return;
    }
    long limit = Long.MAX_VALUE;
    for (UsageLimits.Entry e : limits.entries()) {
      if (principals.matchesEntry(e.principal(), caller.identity())) {
        limit = Math.min(limit, e.requestsPerMonth());
      }
    }
    if (limit == Long.MAX_VALUE) {
      return;
    }
    String who = principals.arnOf(caller.identity());
    MonthTotals m = totals();
    AtomicLong used = m.byPrincipal().computeIfAbsent(who, k -> new AtomicLong());
    // The request takes its place now, not when it succeeds: checked here and counted after it
    // ran, every request in flight while the count stood at limit - 1 got through. A request
    // that then fails gives its place back (count); only successful requests use the limit.
    long max = limit;
    long before = used.getAndUpdate(n -> n < max ? n + 1 : n);
    if (before >= limit) {
      throw new KmsException(ErrorType.LIMIT_EXCEEDED, who + " has made its " + limit
          + " requests for " + m.month() + " (monthly-request-limits in coffer.properties);"
          + " requests are refused until the month ends (UTC) or an administrator raises the"
          + " limit");
    }
    reserved.set(used);
  }

  @Override
  public Ticket count(Caller caller, String operation, String keyArn, boolean succeeded) {
    String who = principals.arnOf(caller.identity());
    MonthTotals m = totals();
    AtomicLong place = reserved.get();
    reserved.remove();
    if (place != null) {
      if (!succeeded) {
        place.decrementAndGet();
      }
    } else if (succeeded) {
      m.byPrincipal().computeIfAbsent(who, k -> new AtomicLong()).incrementAndGet();
    }
    return counters.add(new RequestCounters.Counter(m.month(), keyArn == null ? "" : keyArn,
        who, operation), succeeded);
  }

  /** This month's totals, loaded from the counters when the month begins or at start-up. */
  private MonthTotals totals() {
    Instant instant = clock.instant();
    long second = instant.getEpochSecond();
    MonthTotals m = month;
    if (m != null && second >= m.fromSecond() && second < m.untilSecond()) {
      return m;
    }
    YearMonth ym = YearMonth.from(instant.atOffset(ZoneOffset.UTC));
    String now = ym.toString();
    synchronized (this) {
      if (month == null || !month.month().equals(now)) {
        Map<String, AtomicLong> loaded = new ConcurrentHashMap<>();
        counters.succeededByPrincipal(now).forEach((k, v) -> loaded.put(k, new AtomicLong(v)));
        month = new MonthTotals(now, ym.atDay(1).atStartOfDay().toEpochSecond(ZoneOffset.UTC),
            ym.plusMonths(1).atDay(1).atStartOfDay().toEpochSecond(ZoneOffset.UTC), loaded);
      }
      return month;
    }
  }

  // ---------------------------------------------------------------- GetUsage

  /**
   * {@code GetUsage}: {@code StartTime} (default: the start of this month) and {@code EndTime}
   * (default: the end of this month), each epoch seconds, an ISO-8601 instant or a date
   * ({@code 2026-11-01}, midnight UTC); {@code GroupBy} {@code KEY}, {@code PRINCIPAL} or
   * {@code OPERATION} (any case; default {@code OPERATION}). Counters are monthly, so the report covers every calendar
   * month that overlaps {@code [StartTime, EndTime)}.
   */
  private ObjectNode report(Input in) {
    Instant now = clock.instant();
    Instant givenStart = time(in, "StartTime");
    Instant givenEnd = time(in, "EndTime");
    Instant start = givenStart != null ? givenStart : YearMonth.from(now.atOffset(
        ZoneOffset.UTC)).atDay(1).atStartOfDay().toInstant(ZoneOffset.UTC);
    Instant end = givenEnd != null ? givenEnd : YearMonth.from(now.atOffset(ZoneOffset.UTC))
        .plusMonths(1).atDay(1).atStartOfDay().toInstant(ZoneOffset.UTC);
    if (!end.isAfter(start)) {
      throw new KmsException(ErrorType.VALIDATION, periodError(givenStart, givenEnd, start, end));
    }
    String groupBy = in.has("GroupBy") ? in.string("GroupBy").toUpperCase(Locale.ROOT)
        : "OPERATION";
    String column = GROUP_COLUMNS.get(groupBy);
    if (column == null) {
      throw Input.invalid("GroupBy", "must be KEY, PRINCIPAL or OPERATION, got "
          + in.string("GroupBy"));
    }
    // Months are stored as "yyyy-MM" text and compared as text, which orders only four-digit
    // years (YearMonth writes "+10000-01" and "-0001-01"); no counter lies outside them, so the
    // range is clamped to them. A wider range is not an error: "everything" is a fair question.
    YearMonth from = max(YearMonth.from(start.atOffset(ZoneOffset.UTC)), FIRST_MONTH);
    YearMonth to = min(YearMonth.from(end.minusMillis(1).atOffset(ZoneOffset.UTC)), LAST_MONTH);
    Map<String, ObjectNode> rows = new TreeMap<>(); // month + group -> row, ordered
    String field = GROUP_FIELDS.get(groupBy);
    for (RequestCounters.Row r : from.isAfter(to) ? List.<RequestCounters.Row>of()
        : counters.rows(from.toString(), to.toString(), column)) {
      ObjectNode row = row(rows, r.month(), field, r.group().isEmpty() ? "none" : r.group());
      row.put("Succeeded", r.succeeded()).put("Refused", r.refused())
          .put("Requests", r.succeeded() + r.refused());
    }
    double totalKeyMonths = 0;
    if (groupBy.equals("KEY")) {
      for (Map.Entry<String, Map<String, Double>> m : periods.keyMonths(from, to, now)
          .entrySet()) {
        for (Map.Entry<String, Double> k : m.getValue().entrySet()) {
          row(rows, m.getKey(), field, k.getKey()).put("KeyMonths", rounded(k.getValue()));
          totalKeyMonths += k.getValue();
        }
      }
    }
    ObjectNode out = Json.object();
    out.put("StartTime", start.getEpochSecond());
    out.put("EndTime", end.getEpochSecond());
    out.put("GroupBy", groupBy);
    ArrayNode usage = out.putArray("Usage");
    long succeeded = 0;
    long refused = 0;
    for (ObjectNode r : rows.values()) {
      r.putIfAbsent("Succeeded", Json.MAPPER.getNodeFactory().numberNode(0L));
      r.putIfAbsent("Refused", Json.MAPPER.getNodeFactory().numberNode(0L));
      r.putIfAbsent("Requests", Json.MAPPER.getNodeFactory().numberNode(0L));
      if (groupBy.equals("KEY")) {
        r.putIfAbsent("KeyMonths", Json.MAPPER.getNodeFactory().numberNode(BigDecimal.ZERO));
      }
      succeeded += r.get("Succeeded").asLong();
      refused += r.get("Refused").asLong();
      usage.add(r);
    }
    ObjectNode totals = out.putObject("Totals");
    totals.put("Requests", succeeded + refused).put("Succeeded", succeeded)
        .put("Refused", refused);
    if (groupBy.equals("KEY")) {
      totals.put("KeyMonths", rounded(totalKeyMonths));
    }
    return out;
  }

  /**
   * Why {@code [start, end)} is empty, naming the bound that was defaulted (the user never gave
   * it, so "must be after StartTime" alone would puzzle) and what to give instead.
   */
  private static String periodError(Instant givenStart, Instant givenEnd, Instant start,
      Instant end) {
    if (givenStart == null) {
      return "EndTime (" + end + ") is not after StartTime, which was not given and defaults to"
          + " the start of this month (" + start + "): give a StartTime (get-usage"
          + " --start-time) before EndTime";
    }
    if (givenEnd == null) {
      return "StartTime (" + start + ") is not before EndTime, which was not given and defaults"
          + " to the end of this month (" + end + "): give an EndTime (get-usage --end-time)"
          + " after StartTime";
    }
    return "EndTime (" + end + ") must be after StartTime (" + start + "): give an --end-time"
        + " later than --start-time";
  }

  private static final YearMonth FIRST_MONTH = YearMonth.of(0, 1);
  private static final YearMonth LAST_MONTH = YearMonth.of(9999, 12);

  private static YearMonth max(YearMonth a, YearMonth b) {
    return a.isAfter(b) ? a : b;
  }

  private static YearMonth min(YearMonth a, YearMonth b) {
    return a.isBefore(b) ? a : b;
  }

  private static ObjectNode row(Map<String, ObjectNode> rows, String month, String field,
      String group) {
    return rows.computeIfAbsent(month + "\u0000" + group, k -> {
      ObjectNode r = Json.object();
      r.put("Month", month);
      r.put(field, group);
      return r;
    });
  }

  /** Key-months to 6 decimal places (a millionth of a month is about 2.6 seconds). */
  private static BigDecimal rounded(double v) {
    return BigDecimal.valueOf(v).setScale(6, RoundingMode.HALF_EVEN);
  }

  private static Instant time(Input in, String field) {
    if (in.node().get(field) != null && in.node().get(field).isTextual()) {
      String v = in.node().get(field).textValue();
      if (v.matches("[0-9]{4}-[0-9]{2}-[0-9]{2}")) {
        try {
          return LocalDate.parse(v).atStartOfDay().toInstant(ZoneOffset.UTC);
        } catch (java.time.format.DateTimeParseException e) {
          throw Input.invalid(field, "is not a date: " + v);
        }
      }
    }
    return in.timestamp(field);
  }

  @Override
  public void close() {
    counters.close();
  }
}
