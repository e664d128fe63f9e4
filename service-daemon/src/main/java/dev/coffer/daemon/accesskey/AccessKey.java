package dev.coffer.daemon.accesskey;

import java.time.Instant;
import java.util.Objects;

/**
 * An access key's metadata, without its secret: IAM's {@code AccessKeyMetadata}.
 *
 * @param accessKeyId {@code AKIA} followed by 16 characters of {@code A-Z 2-7}
 * @param userName the IAM user the key authenticates as
 * @param status whether the key may sign requests
 * @param created when {@code CreateAccessKey} made it
 */
public record AccessKey(String accessKeyId, String userName, Status status, Instant created) {

  /** IAM's {@code statusType}, without {@code Expired} (which only IAM itself sets). */
  public enum Status {
    Active,
    Inactive
  }

  public AccessKey {
    Objects.requireNonNull(accessKeyId, "accessKeyId");
    Objects.requireNonNull(userName, "userName");
    Objects.requireNonNull(status, "status");
    Objects.requireNonNull(created, "created");
  }

  public AccessKey withStatus(Status s) {
    return new AccessKey(accessKeyId, userName, s, created);
  }
}
