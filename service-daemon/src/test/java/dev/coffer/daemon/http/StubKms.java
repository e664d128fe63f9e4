package dev.coffer.daemon.http;

import dev.coffer.protocol.ErrorType;
import dev.coffer.protocol.KmsException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

/** A stand-in operation layer: answers DescribeKey for alias/test, NotFound for the rest. */
final class StubKms implements AwsJsonHandler {

  static final String AKID = SigV4VerifierTest.AKID;
  static final String SECRET = SigV4VerifierTest.SECRET;
  static final String ARN = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

  /** How many alias/throttled requests are answered ThrottlingException before one succeeds. */
  final java.util.concurrent.atomic.AtomicInteger throttledLeft =
      new java.util.concurrent.atomic.AtomicInteger();
  final List<AwsJsonRequest> requests = new CopyOnWriteArrayList<>();
  final List<AuthenticationException> failures = new CopyOnWriteArrayList<>();
  final List<RequestContext> failureContexts = new CopyOnWriteArrayList<>();
  final List<KmsException> refusals = new CopyOnWriteArrayList<>();

  static SigV4Verifier verifier() {
    return new SigV4Verifier(Clock.systemUTC(), Set.of("us-east-1"), "kms",
        id -> id.equals(AKID) ? Optional.of(AccessKeySecret.of(AccessKeyStatus.Active, SECRET))
            : Optional.empty());
  }

  @Override
  public AwsJsonResponse handle(AwsJsonRequest request) {
    requests.add(request);
    String body = new String(request.body(), StandardCharsets.UTF_8);
    if (!request.operation().equals("DescribeKey")) {
      throw new KmsException(ErrorType.UNKNOWN_OPERATION, "stub knows only DescribeKey");
    }
    if (body.contains("alias/throttled") && throttledLeft.getAndDecrement() > 0) {
      throw new KmsException(ErrorType.THROTTLING, "Rate exceeded");
    }
    if (body.contains("alias/broken")) {
      throw new IllegalStateException("a bug with a secret detail");
    }
    if (!body.contains("alias/test") && !body.contains("alias/throttled")) {
      throw new KmsException(ErrorType.NOT_FOUND, "Alias 'alias/missing' does not exist");
    }
    return new AwsJsonResponse(("{\"KeyMetadata\":{\"AWSAccountId\":\"111122223333\","
        + "\"KeyId\":\"1234abcd-12ab-34cd-56ef-1234567890ab\",\"Arn\":\"" + ARN + "\","
        + "\"CreationDate\":1700000000.5,\"Enabled\":true,\"KeyState\":\"Enabled\","
        + "\"KeyUsage\":\"ENCRYPT_DECRYPT\",\"KeySpec\":\"SYMMETRIC_DEFAULT\"}}")
        .getBytes(StandardCharsets.UTF_8));
  }

  @Override
  public void authenticationFailed(RequestContext context, AuthenticationException failure) {
    failureContexts.add(context);
    failures.add(failure);
  }

  @Override
  public void refusedUnauthenticated(RequestContext context, KmsException refusal) {
    failureContexts.add(context);
    refusals.add(refusal);
  }
}
