package dev.coffer.daemon.ops;

/**
 * What the {@link RequestPipeline} reports about every request it answers, for live metrics
 * ({@code dev.coffer.daemon.metrics.DaemonMetrics}). Called on the request's thread after the
 * answer is decided; implementations must be cheap and must not throw.
 */
public interface RequestObserver {

  /**
   * One answered request.
   *
   * @param operation the operation, or {@code Unknown} when the request named none the daemon
   *     serves (so a client cannot make up label values)
   * @param outcome {@code success}, or the AWS error name answered (e.g. {@code
   *     NotFoundException})
   * @param nanos time from receipt to the answer, nanoseconds
   */
  void requestAnswered(String operation, String outcome, long nanos);

  /**
   * One audit record written for a request (durably, for a management event).
   *
   * @param nanos time the write took, nanoseconds
   */
  void auditWritten(long nanos);

  /** Reports nowhere. */
  RequestObserver NONE = new RequestObserver() {
    @Override
    public void requestAnswered(String operation, String outcome, long nanos) {}

    @Override
    public void auditWritten(long nanos) {}
  };
}
