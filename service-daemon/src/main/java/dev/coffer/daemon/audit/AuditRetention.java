package dev.coffer.daemon.audit;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.daemon.identity.UnixPeer;
import dev.coffer.protocol.Json;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The daemon's part in archiving, run on every maintenance pass:
 *
 * <ul>
 *   <li>With {@code audit-retention-days} set, deletes the closed log files (and their digests)
 *       sealed more than that many days ago, through {@link AuditArchiver} (so behind a signed
 *       archive point: verification still passes, and still reports any other removal).
 *       Retention deletes; it does not copy. Run {@code coffer audit archive} (from cron, say)
 *       more often than the retention to keep copies.
 *   <li>Records every archive point in the audit log exactly once, as an {@code AwsServiceEvent}
 *       ({@code AuditLogArchived} for {@code coffer audit archive}, {@code AuditLogExpired} for
 *       retention) whose {@code eventID} is the point's {@code archiveId} and whose request
 *       parameters are the point's fields. The signed point is written before anything is
 *       removed, so it is the durable outbox of its own record: an archive made by the CLI, or
 *       one the daemon was killed in, is recorded on the next pass or start-up.
 * </ul>
 */
public final class AuditRetention {

  private static final Logger LOG = Logger.getLogger(AuditRetention.class.getName());

  private final AuditLog log;
  private final AuditArchiver archiver;
  private final Duration retention;
  private final Clock clock;
  /** Archive points up to this sequence are known to be recorded in the log. */
  private long recordedThrough = -1;

  /**
   * @param retention how long closed files stay in the live tree, or null to keep them forever
   */
  public AuditRetention(AuditLog log, Duration retention, Clock clock) {
    this.log = log;
    this.archiver = log.archiver();
    this.retention = retention;
    this.clock = clock;
  }

  /** One pass: retention (if configured), then the records of archive points not yet logged. */
  public void run() {
    try {
      if (retention != null) {
        ObjectNode by = Json.object();
        by.put("userName", UnixPeer.daemon().user());
        by.put("reason", "audit-retention-days=" + retention.toDays());
        AuditArchiver.Result r = archiver.archive(clock.instant().minus(retention), null, by);
        if (r.point() != null) {
          LOG.info(() -> "audit retention: " + r.message());
        }
      }
      recordArchivePoints();
    } catch (AuditArchiver.Refused e) {
      LOG.warning(() -> "audit retention: " + e.getMessage());
    } catch (IOException | RuntimeException e) {
      LOG.log(Level.WARNING, "audit retention failed; will retry", e);
    }
  }

  /**
   * Writes the audit record of each archive point the log does not hold yet, oldest first.
   * Records are written in the points' order, so the unrecorded points are the newest ones:
   * those after the newest point whose record is present. A point made before the oldest live
   * file was started had its record (if any) archived with that file, and counts as recorded.
   */
  void recordArchivePoints() throws IOException, AuditArchiver.Refused {
    TreeMap<Long, AuditArchivePoint> points = archiver.points();
    if (points.isEmpty() || points.lastKey() <= recordedThrough) {
      return;
    }
    var logs = AuditFiles.logFiles(log.directory());
    Instant oldestLive = logs.isEmpty() ? Instant.MIN
        : AuditFiles.logStart(logs.firstEntry().getValue().getFileName().toString());
    List<AuditArchivePoint> candidates = new ArrayList<>();
    for (AuditArchivePoint p : points.tailMap(recordedThrough, false).values()) {
      if (!archiveTime(p).isBefore(oldestLive)) {
        candidates.add(p);
      }
    }
    if (!candidates.isEmpty()) {
      Set<String> present = log.eventIdsPresent(
          candidates.stream().map(AuditArchivePoint::archiveId).toList(),
          candidates.stream().map(AuditRetention::archiveTime).min(Instant::compareTo)
              .orElseThrow());
      long newestPresent = candidates.stream().filter(p -> present.contains(p.archiveId()))
          .mapToLong(AuditArchivePoint::sequence).max().orElse(0);
      for (AuditArchivePoint p : candidates) {
        if (p.sequence() > newestPresent) {
          log.record(new AuditEvent(clock.instant(),
              AuditArchivePoint.ACTION_DELETED.equals(p.action()) ? "AuditLogExpired"
                  : "AuditLogArchived", UnixPeer.daemon(), -1, p.body().deepCopy(), null, null,
              null, List.of(), true, false, p.archiveId(), false));
        }
      }
    }
    recordedThrough = points.lastKey();
  }

  private static Instant archiveTime(AuditArchivePoint p) {
    return Instant.parse(p.body().path("archiveTime").asText());
  }
}
