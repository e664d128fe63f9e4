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

  /**
   * The status of {@code accessKeyId}, or empty when no such key exists. The verifier asks only
   * this when it already holds the key's derived signing key for the request's scope, so that a
   * kept-alive client's requests do not unwrap the secret each time. This default unwraps;
   * stores that know a key's status without its secret say so more cheaply.
   */
  default Optional<AccessKeyStatus> status(String accessKeyId) {
    return find(accessKeyId).map(secret -> {
      try (secret) {
        return secret.status();
      }
    });
  }
}
