package dev.coffer.daemon.http;

/** IAM's access key status ({@code UpdateAccessKey --status}). */
public enum AccessKeyStatus {
  /** The key signs requests. */
  Active,
  /** The key is kept but every request signed with it is refused. */
  Inactive
}
