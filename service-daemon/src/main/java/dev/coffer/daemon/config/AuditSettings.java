package dev.coffer.daemon.config;

import java.time.Duration;

/**
 * How the daemon keeps its audit log ({@code docs/audit.md}, "Archiving and retention").
 *
 * @param retention closed log files sealed longer ago than this are deleted from the live tree,
 *     behind a signed archive point ({@code audit-retention-days}, 1 to 36,500); null keeps
 *     them forever (the default)
 * @param maxFileBytes a log file is closed and a new one started once it reaches this size
 *     ({@code audit-max-file-bytes}, 4 KiB to 1 GiB; default 16 MiB)
 */
public record AuditSettings(Duration retention, long maxFileBytes) {

  public static final long DEFAULT_MAX_FILE_BYTES = 16L << 20;
  static final int MAX_RETENTION_DAYS = 36_500;

  public AuditSettings {
    if (retention != null && (retention.toDays() < 1 || retention.toDays() > MAX_RETENTION_DAYS)) {
      throw new IllegalArgumentException("coffer.properties: audit-retention-days must be from 1"
          + " to " + MAX_RETENTION_DAYS + ", or absent to keep audit files forever");
    }
    if (maxFileBytes < 4096 || maxFileBytes > (1L << 30)) {
      throw new IllegalArgumentException("coffer.properties: audit-max-file-bytes must be from"
          + " 4096 to 1073741824");
    }
  }

  /** Keep everything; 16 MiB files. */
  public static AuditSettings defaults() {
    return new AuditSettings(null, DEFAULT_MAX_FILE_BYTES);
  }

  static AuditSettings from(Settings p, AuditSettings current) {
    Duration retention = current.retention();
    if (p.containsKey("audit-retention-days")) {
      retention = Duration.ofDays(p.getInt("audit-retention-days", 0, 1, MAX_RETENTION_DAYS));
    }
    return new AuditSettings(retention,
        p.getInt("audit-max-file-bytes", (int) current.maxFileBytes(), 4096, 1 << 30));
  }
}
