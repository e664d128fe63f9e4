package dev.coffer.daemon.usage;

import dev.coffer.daemon.ops.UsageMeter.Ticket;
import dev.coffer.daemon.storage.Database;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Durable request counters per month, key, principal and operation, in the table {@code
 * usage_requests} of the daemon's database.
 *
 * <p>A request's count is appended to the {@link UsageJournal} on the request's thread before
 * it is answered, so an acknowledged request is counted even after {@code kill -9}; a writer
 * thread folds the journal into the table once a second (one fsynced commit, which also records
 * the folded journal generation, so a fold interrupted by a crash is neither lost nor counted
 * twice), and before every read. In a cluster each node folds its own journal (the generation is
 * kept per node, {@code usage_journal_folds}) into the shared counters, which add up. At start-up the journals left by the previous run are folded.
 * When the journal cannot be written (a full disk) the pipeline withholds the answer of a
 * successful request that changed nothing; a refusal or a committed change is answered, and the
 * lost count logged ({@code RequestPipeline}).
 */
final class RequestCounters implements AutoCloseable {

  private static final Logger LOG = Logger.getLogger(RequestCounters.class.getName());

  /** The row key of one counter; {@code keyArn} is empty for a request that used no key. */
  record Counter(String month, String keyArn, String principal, String operation) {}

  private static final Ticket COUNTED = () -> { };
  private static final Duration FOLD_INTERVAL = Duration.ofSeconds(1);

  private final Database db;
  private final UsageJournal journal;
  private final Object foldLock = new Object();
  private final Thread writer;
  private volatile boolean closed;

  /**
   * Folds the journals a previous run left in {@code dir}, then starts a new one.
   *
   * @throws IOException if the journal directory cannot be read or written
   */
  RequestCounters(Database db, Path dir) throws IOException {
    this.db = db;
    long folded = foldedGeneration();
    this.journal = new UsageJournal(dir, folded);
    for (long g : journal.generations()) {
      if (g == journal.current()) {
        continue;
      }
      if (g <= folded) {
        journal.delete(g); // folded before a crash that left the file
      } else {
        fold(g);
      }
    }
    this.writer = new Thread(this::foldLoop, "coffer-usage-writer");
    writer.setDaemon(true);
    writer.start();
  }

  /** Appends one request's count to the journal; the ticket reports a failed write. */
  Ticket add(Counter c, boolean succeeded) {
    if (closed) {
      return () -> {
        throw new IllegalStateException("usage accounting is closed");
      };
    }
    try {
      journal.append(c, succeeded);
      return COUNTED;
    } catch (UncheckedIOException e) {
      return () -> {
        throw new IllegalStateException("usage count not written", e);
      };
    }
  }

  private void foldLoop() {
    while (!closed) {
      try {
        Thread.sleep(FOLD_INTERVAL.toMillis());
        foldNow();
      } catch (InterruptedException e) {
        return;
      } catch (RuntimeException | IOException e) {
        LOG.log(Level.SEVERE, "usage journal not folded into the database; will retry", e);
      }
    }
  }

  /** Folds the records appended so far into the table. */
  void foldNow() throws IOException {
    synchronized (foldLock) {
      long g = journal.rotate();
      if (g >= 0) {
        fold(g);
      }
    }
  }

  /** Adds journal {@code g}'s records to the table in one fsynced commit, then deletes it. */
  private void fold(long g) throws IOException {
    Map<Counter, long[]> sums = new HashMap<>();
    journal.read(g, (c, succeeded) ->
        sums.computeIfAbsent(c, k -> new long[2])[succeeded ? 0 : 1]++);
    db.inTransaction(tx -> {
      try (PreparedStatement p = tx.connection().prepareStatement(
          "INSERT INTO usage_requests(month, key_arn, principal, operation, succeeded,"
              + " refused) VALUES (?,?,?,?,?,?) ON CONFLICT(month, key_arn, principal,"
              + " operation) DO UPDATE SET"
              + " succeeded = usage_requests.succeeded + excluded.succeeded,"
              + " refused = usage_requests.refused + excluded.refused")) {
        for (Map.Entry<Counter, long[]> e : sums.entrySet()) {
          Counter c = e.getKey();
          p.setString(1, c.month());
          p.setString(2, c.keyArn());
          p.setString(3, c.principal());
          p.setString(4, c.operation());
          p.setLong(5, e.getValue()[0]);
          p.setLong(6, e.getValue()[1]);
          p.addBatch();
        }
        p.executeBatch();
      }
      try (PreparedStatement p = tx.connection().prepareStatement("INSERT INTO"
          + " usage_journal_folds(node_id, generation) VALUES (?, ?) ON CONFLICT(node_id)"
          + " DO UPDATE SET generation = excluded.generation")) {
        p.setString(1, db.nodeId());
        p.setLong(2, g);
        p.executeUpdate();
      }
      return null;
    });
    journal.delete(g);
  }

  private long foldedGeneration() {
    return db.read(tx -> {
      try (PreparedStatement p = tx.connection().prepareStatement(
          "SELECT generation FROM usage_journal_folds WHERE node_id = ?")) {
        p.setString(1, db.nodeId());
        try (ResultSet r = p.executeQuery()) {
          return r.next() ? r.getLong(1) : 0L;
        }
      }
    });
  }

  /** Successful requests per principal in one month, as committed. */
  Map<String, Long> succeededByPrincipal(String month) {
    foldBeforeRead();
    return db.read(tx -> {
      Map<String, Long> out = new HashMap<>();
      try (PreparedStatement p = tx.connection().prepareStatement("SELECT principal,"
          + " SUM(succeeded) FROM usage_requests WHERE month = ? GROUP BY principal")) {
        p.setString(1, month);
        try (ResultSet r = p.executeQuery()) {
          while (r.next()) {
            out.put(r.getString(1), r.getLong(2));
          }
        }
      }
      return out;
    });
  }

  /** One row of a report: a month, the group's value, and its counts. */
  record Row(String month, String group, long succeeded, long refused) {}

  /**
   * Counts per month and group for the months {@code fromMonth} to {@code toMonth} inclusive
   * ({@code yyyy-MM}), ordered by month then group.
   *
   * @param column {@code key_arn}, {@code principal} or {@code operation}
   */
  List<Row> rows(String fromMonth, String toMonth, String column) {
    if (!List.of("key_arn", "principal", "operation").contains(column)) {
      throw new IllegalArgumentException(column);
    }
    foldBeforeRead();
    return db.read(tx -> {
      List<Row> out = new ArrayList<>();
      try (PreparedStatement p = tx.connection().prepareStatement("SELECT month, " + column
          + ", SUM(succeeded), SUM(refused) FROM usage_requests WHERE month BETWEEN ? AND ?"
          + " GROUP BY month, " + column + " ORDER BY month, " + column)) {
        p.setString(1, fromMonth);
        p.setString(2, toMonth);
        try (ResultSet r = p.executeQuery()) {
          while (r.next()) {
            out.add(new Row(r.getString(1), r.getString(2), r.getLong(3), r.getLong(4)));
          }
        }
      }
      return out;
    });
  }

  private void foldBeforeRead() {
    try {
      foldNow();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot fold the usage journal: " + e.getMessage(), e);
    }
  }

  /** Stops the writer and folds what is left. */
  @Override
  public void close() {
    closed = true;
    writer.interrupt();
    try {
      writer.join(10_000);
      foldNow();
      journal.close();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IOException | RuntimeException e) {
      LOG.log(Level.SEVERE, "usage journal not folded at close; the next start folds it", e);
    }
  }
}
