package dev.coffer.daemon.ops;

/**
 * What the {@link RequestPipeline} tells usage accounting about each request: before it runs,
 * whether its principal is within its monthly request limit ({@link #admit}); after it ran,
 * its outcome, to count durably before the answer is sent ({@link #count}, {@link
 * Ticket#await}). See {@code dev.coffer.daemon.usage}.
 */
public interface UsageMeter {

  /**
   * Refuses a request whose principal has used up its monthly request limit.
   *
   * @throws dev.coffer.protocol.KmsException {@code LimitExceededException}
   */
  void admit(Caller caller, String operation);

  /**
   * Counts one request; the count is durable once {@link Ticket#await} returns.
   *
   * @param operation the operation's name, {@code Unknown} for one the daemon does not serve
   * @param keyArn the key the request used (its first), or null
   * @param succeeded false for any error answer
   */
  Ticket count(Caller caller, String operation, String keyArn, boolean succeeded);

  /** A count on its way to the database. */
  interface Ticket {
    /**
     * Returns once the count is committed.
     *
     * @throws RuntimeException when it could not be committed
     */
    void await();
  }

  /** Counts nothing (tests and tools without usage accounting). */
  UsageMeter NONE = new UsageMeter() {
    @Override
    public void admit(Caller caller, String operation) {}

    @Override
    public Ticket count(Caller caller, String operation, String keyArn, boolean succeeded) {
      return () -> { };
    }
  };
}
