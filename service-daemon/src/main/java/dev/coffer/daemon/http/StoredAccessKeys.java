package dev.coffer.daemon.http;

import dev.coffer.daemon.accesskey.AccessKey;
import dev.coffer.daemon.accesskey.AccessKeyCredential;
import dev.coffer.daemon.accesskey.AccessKeyStore;
import java.util.Optional;

/**
 * The verifier's view of the daemon's {@link AccessKeyStore}: each lookup unwraps the stored
 * secret under the root key, hands the verifier its own copy and zeroes the store's. An inactive
 * key is handed over with its status, and the verifier refuses it.
 */
public final class StoredAccessKeys implements AccessKeySecrets {

  private final AccessKeyStore store;

  public StoredAccessKeys(AccessKeyStore store) {
    this.store = store;
  }

  @Override
  public Optional<AccessKeySecret> find(String accessKeyId) {
    Optional<AccessKeyCredential> found = store.find(accessKeyId);
    if (found.isEmpty()) {
      return Optional.empty();
    }
    try (AccessKeyCredential c = found.get()) {
      AccessKeyStatus status = c.key().status() == AccessKey.Status.Active
          ? AccessKeyStatus.Active : AccessKeyStatus.Inactive;
      return Optional.of(new AccessKeySecret(status, c.secret()));
    }
  }

  /** From the store's cache of key metadata: nothing is unwrapped. */
  @Override
  public Optional<AccessKeyStatus> status(String accessKeyId) {
    return store.metadata(accessKeyId).map(k -> k.status() == AccessKey.Status.Active
        ? AccessKeyStatus.Active : AccessKeyStatus.Inactive);
  }

  /** The key's metadata (user name, status), for the request's identity. */
  Optional<AccessKey> metadata(String accessKeyId) {
    return store.metadata(accessKeyId);
  }
}
