package dev.coffer.daemon.usage;

import dev.coffer.daemon.ops.UsageMeter.Ticket;
import dev.coffer.daemon.storage.Database;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Durable request counters per month, key, principal and operation, in the table {@code
 * usage_requests} of the daemon's database.
 *
 * <p>Group commit: a request's count is queued ({@link #add}) and one writer thread commits
 * whatever is queued in one transaction, then releases the requests waiting for it ({@link
 * Ticket#await}). The pipeline answers a request only after its count committed, so an
 * acknowledged request is counted even after {@code kill -9}; under load many requests share
 * one commit. The commit is not fsynced ({@link Database#inTransactionWithoutSync}): an fsync
 * per batch cut direct {@code Encrypt} to a seventh of its rate ({@code
 * DirectKmsCipherBenchmark}), and a count is bookkeeping, not key state; so a power loss (not a
 * daemon crash) may lose the counts of the last moments, as it may lose the last 100 ms of data
 * events in the audit log. A request not yet answered when the daemon dies may or
 * may not be counted. When a commit fails (a full disk) the pipeline withholds the answer of a
 * successful request that changed nothing; a refusal or a committed change is answered, and the
 * lost count logged ({@code RequestPipeline}).
 */
final class RequestCounters implements AutoCloseable {

  private static final Logger LOG = Logger.getLogger(RequestCounters.class.getName());

  /**
   * The counters' table. {@code WITHOUT ROWID}: one B-tree, so a commit of counts writes one
   * page, not a table page and an index page (the daemon commits counts for every request).
   */
  static final String TABLE = "CREATE TABLE IF NOT EXISTS usage_requests ("
      + " month TEXT NOT NULL, key_arn TEXT NOT NULL, principal TEXT NOT NULL,"
      + " operation TEXT NOT NULL, succeeded INTEGER NOT NULL DEFAULT 0,"
      + " refused INTEGER NOT NULL DEFAULT 0,"
      + " PRIMARY KEY (month, key_arn, principal, operation)) WITHOUT ROWID";

  /** The row key of one counter; {@code keyArn} is empty for a request that used no key. */
  record Counter(String month, String keyArn, String principal, String operation) {}

  private record Pending(Counter counter, boolean succeeded, CompletableFuture<Void> done) {}

  /** Counts in one batch, and the most one commit takes. */
  private static final int MAX_BATCH = 4096;
  private static final Pending STOP = new Pending(null, false, null);

  private final Database db;
  private final LinkedBlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
  private final Thread writer;

  RequestCounters(Database db) {
    this.db = db;
    this.writer = new Thread(this::writeLoop, "coffer-usage-writer");
    writer.setDaemon(true);
    writer.start();
  }

  /** Longest wait for a commit: a request never hangs on a writer that stopped. */
  private static final java.time.Duration MAX_WAIT = java.time.Duration.ofSeconds(60);

  private volatile boolean closed;

  /** Queues one request's count; the ticket returns once it is committed. */
  Ticket add(Counter c, boolean succeeded) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    if (closed) {
      done.completeExceptionally(new IllegalStateException("usage accounting is closed"));
    } else {
      queue.add(new Pending(c, succeeded, done));
    }
    return () -> {
      try {
        done.get(MAX_WAIT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while the usage count was committed", e);
      } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
        throw new IllegalStateException("usage count not committed", e);
      }
    };
  }

  private void writeLoop() {
    List<Pending> batch = new ArrayList<>();
    while (true) {
      try {
        batch.add(queue.take());
      } catch (InterruptedException e) {
        return;
      }
      queue.drainTo(batch, MAX_BATCH - 1);
      boolean stop = batch.remove(STOP);
      commit(batch);
      batch.clear();
      if (stop) {
        return;
      }
    }
  }

  private void commit(List<Pending> batch) {
    if (batch.isEmpty()) {
      return;
    }
    Map<Counter, long[]> sums = new HashMap<>();
    for (Pending p : batch) {
      sums.computeIfAbsent(p.counter(), c -> new long[2])[p.succeeded() ? 0 : 1]++;
    }
    try {
      db.inTransactionWithoutSync(tx -> {
        try (PreparedStatement p = tx.connection().prepareStatement(
            "INSERT INTO usage_requests(month, key_arn, principal, operation, succeeded,"
                + " refused) VALUES (?,?,?,?,?,?) ON CONFLICT(month, key_arn, principal,"
                + " operation) DO UPDATE SET succeeded = succeeded + excluded.succeeded,"
                + " refused = refused + excluded.refused")) {
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
        return null;
      });
      batch.forEach(p -> p.done().complete(null));
    } catch (RuntimeException e) {
      LOG.log(Level.SEVERE, "usage counts of " + batch.size() + " request(s) not committed", e);
      batch.forEach(p -> p.done().completeExceptionally(e));
    }
  }

  /** Successful requests per principal in one month, as committed. */
  Map<String, Long> succeededByPrincipal(String month) {
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

  /** Commits what is queued, then stops the writer. */
  @Override
  public void close() {
    closed = true;
    queue.add(STOP);
    try {
      writer.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    // Counts queued after the stop (a request racing the shutdown) are not committed: fail them.
    List<Pending> left = new ArrayList<>();
    queue.drainTo(left);
    left.stream().filter(p -> p.done() != null).forEach(p -> p.done().completeExceptionally(
        new IllegalStateException("usage accounting closed before this count was committed")));
  }
}
