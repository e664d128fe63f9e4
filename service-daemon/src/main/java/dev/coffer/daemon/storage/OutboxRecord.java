package dev.coffer.daemon.storage;

import java.time.Instant;

/**
 * An audit record held in the database's audit outbox until it is durable in the audit log.
 *
 * @param eventId the record's {@code eventID}, unique: one row per event
 * @param created when the row was written
 * @param record the record as UTF-8 JSON, without the audit log's chain fields
 */
public record OutboxRecord(String eventId, Instant created, byte[] record) {}
