package dev.coffer.daemon.audit;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.daemon.identity.Identity;
import dev.coffer.daemon.identity.RequestOrigin;
import dev.coffer.daemon.identity.UnixPeer;
import java.time.Instant;
import java.util.List;

/**
 * One request as the audit log records it, before it is shaped into a CloudTrail-like JSON
 * record. The request and response are the raw AWS-shaped objects; the audit log removes
 * plaintext, key material and other secrets before writing (see {@code AuditRecords}).
 *
 * @param eventTime when the daemon received the request
 * @param eventName the AWS operation name
 * @param identity who sent it, as the transport established it; null only for a request whose
 *     authentication failed ({@link #authenticationFailed})
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
 * @param origin the transport's view of the client (address, user agent, TLS), or null
 */
public record AuditEvent(
    Instant eventTime,
    String eventName,
    Identity identity,
    long requestId,
    ObjectNode request,
    ObjectNode response,
    String errorCode,
    String errorMessage,
    List<String> resources,
    boolean managementEvent,
    boolean readOnly,
    String eventId,
    boolean atCommit,
    RequestOrigin origin) {

  /** An event without transport details (the Unix socket, the daemon's own events). */
  public AuditEvent(Instant eventTime, String eventName, Identity identity, long requestId,
      ObjectNode request, ObjectNode response, String errorCode, String errorMessage,
      List<String> resources, boolean managementEvent, boolean readOnly, String eventId,
      boolean atCommit) {
    this(eventTime, eventName, identity, requestId, request, response, errorCode, errorMessage,
        resources, managementEvent, readOnly, eventId, atCommit, null);
  }

  /** An event with a fresh {@code eventID}, as the request's final record. */
  public AuditEvent(Instant eventTime, String eventName, Identity identity, long requestId,
      ObjectNode request, ObjectNode response, String errorCode, String errorMessage,
      List<String> resources, boolean managementEvent, boolean readOnly) {
    this(eventTime, eventName, identity, requestId, request, response, errorCode, errorMessage,
        resources, managementEvent, readOnly, null, false);
  }

  /**
   * An event the daemon originates itself, as CloudTrail's {@code AwsServiceEvent}s (a key
   * deleted at the end of its waiting period, imported material expired): caller {@link
   * UnixPeer#daemon()}, durable like a management event. {@code details} are written as the
   * request parameters unfiltered, so they must hold nothing secret.
   */
  public static AuditEvent serviceEvent(Instant time, String eventName, List<String> resources,
      ObjectNode details) {
    return new AuditEvent(time, eventName, UnixPeer.daemon(), -1, details, null, null, null,
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
  public static AuditEvent malformedFrame(Instant time, UnixPeer peer, long requestId,
      String reason) {
    return new AuditEvent(time, "MalformedFrame", peer, requestId,
        dev.coffer.protocol.Json.object(), null, dev.coffer.protocol.ErrorType.VALIDATION, reason,
        List.of(), false, true, null, false);
  }

  /**
   * A request refused before it had an identity: its signature did not verify, its access key
   * is unknown or inactive, or its credentials were missing or malformed. Recorded like a data
   * event (batched), with {@code userIdentity.type} {@code Unknown} and the access key id the
   * client claimed; every text here is client-chosen and is bounded when written.
   *
   * @param time when the request arrived
   * @param operation the operation the client named (e.g. from {@code X-Amz-Target}), or null
   * @param accessKeyId the access key id the client claimed, or null when it gave none
   * @param origin the transport's view of the client
   * @param errorCode the AWS exception name answered, e.g. {@code InvalidSignatureException}
   * @param message the message answered
   */
  public static AuditEvent authenticationFailed(Instant time, String operation,
      String accessKeyId, RequestOrigin origin, String errorCode, String message) {
    ObjectNode details = dev.coffer.protocol.Json.object();
    if (accessKeyId != null) {
      details.put("AccessKeyId", accessKeyId);
    }
    return new AuditEvent(time, operation == null ? "Unknown" : operation, null, -1, details,
        null, errorCode, message, List.of(), false, true, null, false, origin);
  }
}
