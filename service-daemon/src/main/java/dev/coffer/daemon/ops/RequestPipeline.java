package dev.coffer.daemon.ops;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.daemon.audit.AuditEvent;
import dev.coffer.daemon.audit.AuditRecords;
import dev.coffer.daemon.audit.RefusedRequestAudit;
import dev.coffer.daemon.audit.AuditSink;
import dev.coffer.daemon.audit.AuditSink.RequestAudit;
import dev.coffer.daemon.identity.Identity;
import dev.coffer.daemon.identity.RequestOrigin;
import dev.coffer.daemon.storage.StorageException;
import dev.coffer.protocol.ErrorType;
import dev.coffer.protocol.Json;
import dev.coffer.protocol.KmsException;
import dev.coffer.protocol.WellFormedText;
import java.time.Clock;
import java.time.Instant;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * What every door into the daemon does with one request body, whatever carried it (the Unix
 * socket today): parse it, validate it, authorize and run the operation ({@link
 * OperationTable#dispatch}), and audit it, in that order, answering with the AWS-shaped response
 * or error body.
 *
 * <p>Audit guarantee: a request that changes state runs inside an {@link RequestAudit}, so each
 * transaction it commits holds its audit record (see {@code AuditTrail}); its final record is
 * durable before the answer. While the audit log cannot be written every request is refused
 * before it runs (the daemon fails closed, cryptographic calls included), and the answer says
 * that nothing was done. If the log fails while a request runs, the answer stays honest: a
 * committed change is answered normally (its record is held durably in the database's outbox
 * and reaches the log once it can be written), anything else is answered {@code
 * KMSInternalException} saying that nothing changed. See {@code docs/audit.md}.
 *
 * <p>Refused requests that changed nothing are audited within a per-principal budget ({@link
 * RefusedRequestAudit}): beyond it they are counted and summarised, so that no client can fill
 * the audit disk with failing requests.
 *
 * <p>Every answer, and every audit write's duration, is reported to a {@link RequestObserver}
 * (the live metrics), here once rather than in each operation.
 */
public final class RequestPipeline {

  private static final Logger LOG = Logger.getLogger(RequestPipeline.class.getName());

  static final String REFUSED_UNAUDITABLE = "the daemon cannot write its audit log at the moment"
      + " (see the daemon's log; is the audit file system full?), so it refuses requests until it"
      + " can; nothing was done; retry shortly";
  static final String WITHHELD = "the audit log could not be written, so the daemon withholds"
      + " the result; nothing was changed; retry, and check the daemon's log and disk";

  /** Longest error message answered; longer ones end in an ellipsis. */
  static final int MAX_MESSAGE_CHARS = 1024;

  private final OperationTable operations;
  private final AuditSink audit;
  private final Clock clock;
  private final RefusedRequestAudit refusals;
  private final RequestObserver observer;
  private volatile UsageMeter meter = UsageMeter.NONE;

  /** The top-level fields of a request body (docs/protocol.md, "Request body"). */
  private static final Set<String> BODY_FIELDS = Set.of("Operation", "Input");

  /** A pipeline that records every refusal on its own (no budget): for tests and tools. */
  public RequestPipeline(OperationTable operations, AuditSink audit, Clock clock) {
    this(operations, audit, clock, new RefusedRequestAudit(audit, clock, Integer.MAX_VALUE,
        java.time.Duration.ofMinutes(1)));
  }

  public RequestPipeline(OperationTable operations, AuditSink audit, Clock clock,
      RefusedRequestAudit refusals) {
    this(operations, audit, clock, refusals, RequestObserver.NONE);
  }

  /**
   * @param refusals the budget of individual records for refused requests; its owner writes its
   *     summaries ({@link RefusedRequestAudit#tick}, {@link RefusedRequestAudit#close})
   * @param observer told of every answered request and audit write (live metrics)
   */
  public RequestPipeline(OperationTable operations, AuditSink audit, Clock clock,
      RefusedRequestAudit refusals, RequestObserver observer) {
    this.operations = operations;
    this.audit = audit;
    this.clock = clock;
    this.refusals = refusals;
    this.observer = observer;
  }

  /** The operation and outcome of one request, as {@link RequestObserver} labels them. */
  private static final class Observed {
    String operation = "Unknown";
    String outcome = "success";

    Answer failed(KmsException e) {
      outcome = e.errorType();
      return error(e);
    }
  }

  /**
   * Sets usage accounting: each request is admitted against its principal's monthly limit
   * before it runs and counted, durably, before it is answered.
   */
  public void setUsageMeter(UsageMeter m) {
    this.meter = m;
  }

  static final String UNCOUNTED = "the daemon could not record this request's usage (see its"
      + " log; is the disk full?), so it withholds the result; nothing was changed; retry";

  /**
   * The answer to one request.
   *
   * @param error true for an AWS error body ({@code __type}, {@code message}), false for the
   *     operation's output
   * @param body UTF-8 JSON; the caller zeroes it once sent (it may hold plaintext)
   */
  public record Answer(boolean error, byte[] body) {}

  /**
   * Runs one request.
   *
   * @param caller who sent it; the transport zeroes its secrets once the answer is sent
   * @param requestId the transport's id of the request, recorded in the audit record
   * @param body the request body {@code {"Operation": "...", "Input": {...}}}; zeroed here
   * @param parsedBody {@code body} already parsed, or null to parse it here
   */
  public Answer handle(Caller caller, long requestId, byte[] body, ObjectNode parsedBody) {
    return run(caller, requestId, body,
        () -> parsedBody != null ? parsedBody : Json.parseRequest(body));
  }

  /**
   * Runs one request whose operation the transport carried apart from its input (AWS JSON 1.1:
   * {@code X-Amz-Target: TrentService.<Operation>} and the input object as the HTTP body).
   * Everything else is as {@link #handle(Caller, long, byte[], ObjectNode)}: same validation,
   * authorization and audit.
   *
   * @param operation the operation name, e.g. {@code Encrypt}
   * <p>A body that is not one well-formed JSON object is {@code SerializationException}, the
   * name AWS JSON 1.1 services give a body they cannot deserialise (aws-http-endpoint.md §1.3);
   * the socket's framing keeps its documented {@code ValidationException}.
   *
   * @param input the input object's UTF-8 JSON bytes, {@code {...}}; empty for no input; zeroed
   *     here
   */
  public Answer handle(Caller caller, long requestId, String operation, byte[] input) {
    return run(caller, requestId, input, () -> {
      ObjectNode framed = Json.object();
      framed.put("Operation", operation);
      ObjectNode parsed;
      try {
        parsed = input.length == 0 ? Json.object() : Json.parseRequest(input);
      } catch (KmsException e) {
        throw new KmsException(ErrorType.SERIALIZATION, e.getMessage());
      }
      framed.set("Input", parsed);
      return framed;
    });
  }

  private Answer run(Caller caller, long requestId, byte[] body,
      java.util.function.Supplier<ObjectNode> parse) {
    long start = System.nanoTime();
    Observed observed = new Observed();
    try {
      return run(caller, requestId, body, parse, observed);
    } finally {
      observer.requestAnswered(observed.operation, observed.outcome, System.nanoTime() - start);
    }
  }

  private Answer run(Caller caller, long requestId, byte[] body,
      java.util.function.Supplier<ObjectNode> parse, Observed observed) {
    Instant received = clock.instant();
    Identity identity = caller.identity();
    String operation = "Unknown";
    ObjectNode inputNode = Json.object();
    ObjectNode output = null;
    KmsException failure = null;
    RequestAudit guard = null;
    String eventId = null;
    boolean refused = false;
    try {
      ObjectNode parsed = parse.get();
      JsonNode op = parsed.get("Operation");
      JsonNode input = parsed.get("Input");
      if (op == null || !op.isTextual()) {
        throw new KmsException(ErrorType.VALIDATION, "the request names no Operation");
      }
      operation = op.textValue();
      observed.operation = served(operation);
      requireOnlyBodyFields(parsed);
      if (input != null && !input.isObject()) {
        throw new KmsException(ErrorType.VALIDATION, "Input must be a JSON object (omit it for"
            + " no parameters), not " + input.getNodeType().toString().toLowerCase());
      }
      inputNode = input instanceof ObjectNode o ? o : Json.object();
      if (!audit.writable()) {
        refused = true;
        throw new KmsException(ErrorType.INTERNAL, REFUSED_UNAUDITABLE);
      }
      meter.admit(caller, operation);
      String name = operation;
      ObjectNode in = inputNode;
      if (OperationKinds.isCryptographic(name)) {
        output = operations.dispatch(name, caller, in);
      } else {
        // A management call may change state: each commit holds its provisional record.
        eventId = AuditRecords.randomUuid();
        String id = eventId;
        guard = audit.begin(id, () -> new AuditEvent(received, name, identity, requestId, in,
            null, null, null, caller.resources(), true, OperationKinds.isReadOnly(name), id, true,
            caller.origin()));
        output = guard.run(() -> operations.dispatch(name, caller, in));
      }
    } catch (KmsException e) {
      failure = e;
    } catch (StorageException e) {
      LOG.log(Level.SEVERE, "storage failure", e);
      failure = new KmsException(ErrorType.INTERNAL, guard != null && guard.committed()
          ? "the daemon could not complete the change, and part of it was applied (it is in the"
              + " audit log); check the key with describe-key before retrying, and check the"
              + " daemon's log and disk"
          : "the daemon could not commit the change; nothing was applied; retry, and check the"
              + " daemon's log and disk");
    } catch (RuntimeException | Error e) {
      // Errors too (a class missing from a jar replaced under the daemon, a stack overflow):
      // escaping here, they left the request unanswered and unaudited, its client waiting out
      // its read timeout.
      LOG.log(Level.SEVERE, "internal error", e);
      failure = new KmsException(ErrorType.INTERNAL, "internal error in the daemon; see its log");
    } finally {
      Arrays.fill(body, (byte) 0);
    }
    // Counted before the audit record is written; a failed count is reported after it.
    List<String> touched = caller.resources();
    UsageMeter.Ticket counted = meter.count(caller, served(operation),
        touched.isEmpty() ? null : touched.get(0), failure == null);
    Answer answer = audited(caller, requestId, received, operation, inputNode, output, failure,
        guard, eventId, refused, observed);
    try {
      counted.await();
    } catch (RuntimeException e) {
      if (answer.error() || (guard != null && guard.committed())) {
        // A refusal says itself that nothing was done (and often why: the same full disk); a
        // committed change is audited and its answer must say it happened. Only the count is
        // lost, and logged.
        LOG.log(Level.SEVERE, "usage of " + operation + " not counted", e);
      } else {
        LOG.log(Level.SEVERE, "usage not counted; withholding the answer", e);
        return observed.failed(new KmsException(ErrorType.INTERNAL, UNCOUNTED));
      }
    }
    return answer;
  }

  /** Audits a request that ran (or was refused) and makes its answer. */
  private Answer audited(Caller caller, long requestId, Instant received, String operation,
      ObjectNode inputNode, ObjectNode output, KmsException failure, RequestAudit guard,
      String eventId, boolean refused, Observed observed) {
    Identity identity = caller.identity();
    try {
      if (refused) {
        return observed.failed(failure);
      }
      AuditEvent event = new AuditEvent(received, operation, identity, requestId, inputNode,
          output,
          failure == null ? null : failure.errorType(),
          failure == null ? null : failure.getMessage(), caller.resources(),
          !OperationKinds.isCryptographic(operation), OperationKinds.isReadOnly(operation),
          eventId, false, caller.origin());
      try {
        // A refusal that changed nothing may be summarised instead, within its principal's
        // budget; a change is always recorded on its own.
        boolean changed = guard != null && guard.committed();
        if (failure != null && !changed && !refusals.admit(event)) {
          return observed.failed(failure);
        }
        // Durable (management events) before the caller sees the answer.
        long writing = System.nanoTime();
        if (guard != null) {
          guard.record(event);
        } else {
          audit.record(event);
        }
        observer.auditWritten(System.nanoTime() - writing);
      } catch (RuntimeException e) {
        LOG.log(Level.SEVERE, "audit log write failed; refusing to answer", e);
        return observed.failed(new KmsException(ErrorType.INTERNAL, WITHHELD));
      }
      return failure != null ? observed.failed(failure) : new Answer(false, Json.toBytes(output));
    } finally {
      if (guard != null) {
        guard.close();
      }
    }
  }

  /**
   * Answers and audits a request its transport refused before running it, though it knew the
   * caller (the HTTPS door's per-access-key limit: {@code ThrottlingException}). Such a refusal
   * changed nothing, so it spends the caller's refused-request budget ({@link
   * RefusedRequestAudit}) like any other refusal; its record has no request parameters (the
   * body was not read as input). It is counted in the caller's usage as a refused request. If the
   * audit log or the usage counters cannot take it, the refusal is still answered.
   *
   * @param operation the operation the client named (untrusted; the audit log bounds it)
   * @param refusal the AWS error to answer
   */
  public Answer refused(Caller caller, long requestId, String operation, KmsException refusal) {
    AuditEvent event = new AuditEvent(clock.instant(), operation, caller.identity(), requestId,
        Json.object(), null, refusal.errorType(), refusal.getMessage(), caller.resources(),
        !OperationKinds.isCryptographic(operation), OperationKinds.isReadOnly(operation), null,
        false, caller.origin());
    long start = System.nanoTime();
    UsageMeter.Ticket counted = meter.count(caller, served(operation), null, false);
    try {
      if (refusals.admit(event)) {
        audit.record(event);
        observer.auditWritten(System.nanoTime() - start);
      }
    } catch (RuntimeException e) {
      LOG.log(Level.SEVERE, "audit log write failed for a refused request", e);
    }
    try {
      counted.await();
    } catch (RuntimeException e) {
      LOG.log(Level.SEVERE, "usage of a refused " + served(operation) + " not counted", e);
    }
    observer.requestAnswered(served(operation), refusal.errorType(), System.nanoTime() - start);
    return error(refusal);
  }

  /**
   * Answers and audits a request refused before it had an identity (a transport's
   * authentication step failed: bad or missing signature, unknown or inactive access key). The
   * record is {@link AuditEvent#authenticationFailed}; if the audit log cannot take it, the
   * refusal is still answered (it changes nothing) and the failure is logged.
   *
   * @param operation the operation the client named, or null
   * @param accessKeyId the access key id the client claimed, or null
   * @param origin the transport's view of the client
   * @param refusal the AWS error to answer, e.g. {@code InvalidSignatureException}
   */
  public Answer authenticationFailed(String operation, String accessKeyId, RequestOrigin origin,
      KmsException refusal) {
    long start = System.nanoTime();
    try {
      audit.record(AuditEvent.authenticationFailed(clock.instant(), operation, accessKeyId,
          origin, refusal.errorType(), refusal.getMessage()));
      observer.auditWritten(System.nanoTime() - start);
    } catch (RuntimeException e) {
      LOG.log(Level.SEVERE, "audit log write failed for a refused authentication", e);
    }
    // Timed from here only: the transport's authentication step ran before.
    observer.requestAnswered(served(operation), refusal.errorType(), System.nanoTime() - start);
    return error(refusal);
  }

  /** {@code operation} if the daemon serves it, else {@code Unknown}: a closed label set. */
  private String served(String operation) {
    return operation != null && operations.operations().contains(operation)
        ? operation : "Unknown";
  }

  /**
   * Refuses a body with a top-level field other than {@code Operation} and {@code Input}: a
   * misspelt {@code "input"} or a {@code "DryRun"} beside {@code Input} would otherwise be
   * ignored and the request run with other parameters than the client meant.
   */
  private static void requireOnlyBodyFields(ObjectNode parsed) {
    Iterator<String> names = parsed.fieldNames();
    while (names.hasNext()) {
      String n = names.next();
      if (!BODY_FIELDS.contains(n)) {
        throw new KmsException(ErrorType.VALIDATION, "the request body has the field "
            + WellFormedText.shown(n) + "; a request body holds only \"Operation\" and \"Input\""
            + " (operation parameters, DryRun included, go inside Input, names case-sensitive)");
      }
    }
  }

  /**
   * The error body of {@code e}, its message cut to {@link #MAX_MESSAGE_CHARS}: the one exit of
   * every error, so no message can echo a large piece of a request whatever built it (the
   * messages quote request text through {@link WellFormedText#shown}, at most 64 characters).
   */
  private static Answer error(KmsException e) {
    String m = String.valueOf(e.getMessage());
    if (m.length() > MAX_MESSAGE_CHARS) {
      int end = Character.isHighSurrogate(m.charAt(MAX_MESSAGE_CHARS - 1))
          ? MAX_MESSAGE_CHARS - 1 : MAX_MESSAGE_CHARS;
      m = m.substring(0, end) + "\u2026";
    }
    return new Answer(true, Json.error(e.errorType(), m));
  }
}
