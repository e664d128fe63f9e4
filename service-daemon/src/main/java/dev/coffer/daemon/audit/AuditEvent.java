package dev.coffer.daemon.audit;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.daemon.ops.Peer;
import java.time.Instant;
import java.util.List;

/**
 * One request as the audit log records it, before it is shaped into a CloudTrail-like JSON
 * record. The request and response are the raw AWS-shaped objects; the audit log removes
 * plaintext, key material and other secrets before writing (see {@code AuditRecords}).
 *
 * @param eventTime when the daemon received the request
 * @param eventName the AWS operation name
 * @param peer who sent it (from the socket's peer credentials)
 * @param requestId the frame's request id on its connection
 * @param request the request input (unsanitised: must be filtered before writing)
 * @param response the operation output, or null when it failed (unsanitised)
 * @param errorCode the AWS exception name when it failed, else null
 * @param errorMessage the exception message when it failed, else null
 * @param resources ARNs of the keys the request touched
 * @param managementEvent true for every operation but the cryptographic ones (CloudTrail's
 *     split of management and data events), reads included: written durably before the
 *     response is sent
 * @param readOnly true for operations that change nothing
 * @param eventId the record's {@code eventID}, chosen before the request runs so that the
 *     record held in the database's outbox and the one written to the log are the same event;
 *     null to draw a fresh one
 * @param atCommit true for the provisional record a change holds in the outbox, made inside its
 *     transaction before the request's outcome (response or error) is known
 */
public record AuditEvent(
    Instant eventTime,
    String eventName,
    Peer peer,
    long requestId,
    ObjectNode request,
    ObjectNode response,
    String errorCode,
    String errorMessage,
    List<String> resources,
    boolean managementEvent,
    boolean readOnly,
    String eventId,
    boolean atCommit) {

  /** An event with a fresh {@code eventID}, as the request's final record. */
  public AuditEvent(Instant eventTime, String eventName, Peer peer, long requestId,
      ObjectNode request, ObjectNode response, String errorCode, String errorMessage,
      List<String> resources, boolean managementEvent, boolean readOnly) {
    this(eventTime, eventName, peer, requestId, request, response, errorCode, errorMessage,
        resources, managementEvent, readOnly, null, false);
  }

  /**
   * An event the daemon originates itself, as CloudTrail's {@code AwsServiceEvent}s (a key
   * deleted at the end of its waiting period, imported material expired): caller {@link
   * Peer#daemon()}, durable like a management event. {@code details} are written as the
   * request parameters unfiltered, so they must hold nothing secret.
   */
  public static AuditEvent serviceEvent(Instant time, String eventName, List<String> resources,
      ObjectNode details) {
    return new AuditEvent(time, eventName, Peer.daemon(), -1, details, null, null, null,
        List.copyOf(resources), true, false);
  }

  /**
   * A frame the daemon could not accept as a request (bad magic, unsupported version or kind,
   * a length over the limit, a stream that ended or stalled inside a frame): caller {@code
   * peer}, {@code errorCode} {@code ValidationException}. Such an event changes nothing, so it is
   * written like a data event (batched, not fsynced on its own). {@code reason} is the daemon's
   * own text; callers cap any untrusted part of it (the server adds at most the 16 header bytes,
   * as hex).
   */
  public static AuditEvent malformedFrame(Instant time, Peer peer, long requestId, String reason) {
    return new AuditEvent(time, "MalformedFrame", peer, requestId,
        dev.coffer.protocol.Json.object(), null, dev.coffer.protocol.ErrorType.VALIDATION, reason,
        List.of(), false, true);
  }
}
