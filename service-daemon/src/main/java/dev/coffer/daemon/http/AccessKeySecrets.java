package dev.coffer.daemon.http;

import java.util.Optional;

/**
 * Where the verifier finds the secret of an access key. Implemented by the access-key store,
 * which keeps secrets wrapped under the root key and unwraps one per call.
 */
@FunctionalInterface
public interface AccessKeySecrets {

  /**
   * The secret and status of {@code accessKeyId}, or empty when no such key exists (never
   * created, or deleted). The verifier {@linkplain AccessKeySecret#close() zeroes} the returned
   * secret when it is done with it, so return a fresh copy on every call.
   */
  Optional<AccessKeySecret> find(String accessKeyId);
}
