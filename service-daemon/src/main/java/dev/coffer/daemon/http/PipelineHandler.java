package dev.coffer.daemon.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.daemon.accesskey.AccessKey;
import dev.coffer.daemon.audit.AuditSink;
import dev.coffer.daemon.identity.IamUser;
import dev.coffer.daemon.identity.RequestOrigin;
import dev.coffer.daemon.ops.Caller;
import dev.coffer.daemon.ops.RequestPipeline;
import dev.coffer.protocol.ErrorType;
import dev.coffer.protocol.Json;
import dev.coffer.protocol.KmsException;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The HTTPS door's {@link AwsJsonHandler}: hands each authenticated request to the daemon's
 * {@link RequestPipeline}, the same validation, authorization, operations and audit the Unix
 * socket uses. This class only translates: the verified access key becomes an {@link IamUser},
 * the transport's facts a {@link RequestOrigin}, the pipeline's error body a {@link
 * KmsException} for the wire.
 *
 * <p>Socket-only operations (access-key administration) reach the pipeline like any other, which
 * refuses them to an IAM user with {@code AccessDeniedException} and audits the attempt.
 */
public final class PipelineHandler implements AwsJsonHandler {

  /** Failed authentications audited per window at most; the rest are counted. */
  static final int FAILED_AUTH_RECORDS_PER_WINDOW = 100;

  static final Duration FAILED_AUTH_WINDOW = Duration.ofMinutes(1);

  private final RequestPipeline pipeline;
  private final StoredAccessKeys keys;
  private final String partition;
  private final String account;
  private final FailedAuthenticationAudit failures;
  private final AtomicLong requestIds = new AtomicLong();
  private final int maxRequestsPerKey;
  /** Requests in progress per access key; an entry lives while its key has one. */
  private final ConcurrentHashMap<String, AtomicInteger> inProgress = new ConcurrentHashMap<>();

  /**
   * @param partition the ARN partition of the daemon's account, for the IAM user principal
   * @param account the daemon's 12-digit account
   * @param audit where failed authentications are recorded (at most {@value
   *     #FAILED_AUTH_RECORDS_PER_WINDOW} a minute)
   * @param maxRequestsPerKey requests one access key may have in progress; beyond it {@code
   *     ThrottlingException}
   */
  public PipelineHandler(RequestPipeline pipeline, StoredAccessKeys keys, String partition,
      String account, AuditSink audit, Clock clock, int maxRequestsPerKey) {
    this.maxRequestsPerKey = maxRequestsPerKey;
    this.pipeline = pipeline;
    this.keys = keys;
    this.partition = partition;
    this.account = account;
    this.failures = new FailedAuthenticationAudit(pipeline, audit, clock, FAILED_AUTH_RECORDS_PER_WINDOW,
        FAILED_AUTH_WINDOW);
  }

  /**
   * The request's access key if it is still active; otherwise the refusal to answer, already
   * audited. The key verified a moment ago; it may have been deactivated or deleted since. That
   * is a failed authentication like any other, audited within the same per-source budget.
   */
  private AccessKey activeKey(AwsJsonRequest request) {
    AccessKey key = keys.metadata(request.accessKeyId())
        .filter(k -> k.status() == AccessKey.Status.Active)
        .orElse(null);
    if (key == null) {
      KmsException refusal = new KmsException(ErrorType.UNRECOGNIZED_CLIENT,
          "The security token included in the request is invalid.");
      failures.record(request.operation(), request.accessKeyId(), origin(request.context()),
          refusal);
      throw refusal;
    }
    return key;
  }

  private Caller caller(AccessKey key, AwsJsonRequest request) {
    return new Caller(new IamUser(partition, account, key.userName(), key.accessKeyId()),
        origin(request.context()));
  }

  @Override
  public KmsException refused(AwsJsonRequest request, KmsException refusal) {
    AccessKey key;
    try {
      key = activeKey(request);
    } catch (KmsException unrecognized) {
      return unrecognized;
    }
    Caller caller = caller(key, request);
    try {
      // Nothing ran; a refusal of a known caller, within its refused-request budget.
      pipeline.refused(caller, requestIds.incrementAndGet(), request.operation(), refusal);
    } catch (RuntimeException e) {
      // The pipeline logs a failed audit write itself; anything else must not change the
      // answer, which says that nothing was done.
    } finally {
      caller.zeroSecrets();
    }
    return refusal;
  }

  @Override
  public AwsJsonResponse handle(AwsJsonRequest request) {
    AccessKey key = activeKey(request);
    Caller caller = caller(key, request);
    if (!enter(key.accessKeyId())) {
      // Like KMS's request quotas: a 400 ThrottlingException, which SDKs and the CLI retry
      // with backoff. Nothing ran; it is audited as a refusal, within the caller's budget.
      KmsException throttled = new KmsException(ErrorType.THROTTLING, "Rate exceeded: access"
          + " key " + key.accessKeyId() + " already has " + maxRequestsPerKey + " requests in"
          + " progress (https-max-requests-per-key); retry with backoff");
      try {
        pipeline.refused(caller, requestIds.incrementAndGet(), request.operation(), throttled);
      } finally {
        caller.zeroSecrets();
      }
      throw throttled;
    }
    RequestPipeline.Answer answer = null;
    try {
      answer = pipeline.handle(caller, requestIds.incrementAndGet(), request.operation(),
          request.body());
      if (answer.error()) {
        ObjectNode error = Json.parseRequest(answer.body());
        throw new KmsException(error.path("__type").asText(ErrorType.INTERNAL),
            error.path("message").asText(""));
      }
      return new AwsJsonResponse(answer.body());
    } finally {
      leave(key.accessKeyId());
      caller.zeroSecrets();
      if (answer != null) {
        Arrays.fill(answer.body(), (byte) 0);
      }
    }
  }

  private boolean enter(String accessKeyId) {
    boolean[] admitted = new boolean[1];
    inProgress.compute(accessKeyId, (k, n) -> {
      AtomicInteger count = n != null ? n : new AtomicInteger();
      admitted[0] = count.get() < maxRequestsPerKey;
      if (admitted[0]) {
        count.incrementAndGet();
      }
      return count.get() == 0 ? null : count;
    });
    return admitted[0];
  }

  private void leave(String accessKeyId) {
    inProgress.computeIfPresent(accessKeyId, (k, n) -> n.decrementAndGet() == 0 ? null : n);
  }

  @Override
  public void authenticationFailed(RequestContext context, AuthenticationException failure) {
    String operation = AwsJsonWire.operation(context.target());
    failures.record(operation, failure.claimedAccessKeyId().orElse(null), origin(context),
        failure);
  }

  @Override
  public void refusedUnauthenticated(RequestContext context, KmsException refusal) {
    failures.record(AwsJsonWire.operation(context.target()), null, origin(context), refusal);
  }

  private static RequestOrigin origin(RequestContext c) {
    return new RequestOrigin(c.sourceIp(), c.userAgent().isEmpty() ? null : c.userAgent(),
        c.tlsVersion().orElse(null), c.cipherSuite().orElse(null),
        c.host().isEmpty() ? null : c.host(), c.requestId());
  }
}
