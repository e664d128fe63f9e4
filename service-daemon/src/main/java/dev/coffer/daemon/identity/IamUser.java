package dev.coffer.daemon.identity;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A caller authenticated by one of its access keys (AWS Signature Version 4 over HTTPS), named as
 * an IAM user of the daemon's account.
 *
 * @param partition the ARN partition of the daemon's account ({@code aws} by default)
 * @param account the 12-digit account the user belongs to (the daemon's)
 * @param userName the user name given to {@code CreateAccessKey}: 1-128 of {@code
 *     A-Z a-z 0-9 + = , . @ _ -} (IAM's {@code existingUserNameType})
 * @param accessKeyId the access key that signed the request ({@code AKIA...}, 20 characters)
 */
public record IamUser(String partition, String account, String userName, String accessKeyId)
    implements Identity {

  /** IAM's user name rule ({@code existingUserNameType}: {@code [\w+=,.@-]+}, 1-128). */
  public static final Pattern USER_NAME = Pattern.compile("[A-Za-z0-9+=,.@_-]{1,128}");

  public IamUser {
    Objects.requireNonNull(partition, "partition");
    Objects.requireNonNull(account, "account");
    Objects.requireNonNull(accessKeyId, "accessKeyId");
    if (!account.matches("[0-9]{12}")) {
      throw new IllegalArgumentException("account must be 12 digits");
    }
    if (userName == null || !USER_NAME.matcher(userName).matches()) {
      throw new IllegalArgumentException("user name must be 1-128 of A-Z a-z 0-9 + = , . @ _ -");
    }
  }

  /** The user's principal: {@code arn:<partition>:iam::<account>:user/<userName>}. */
  public String arn() {
    return "arn:" + partition + ":iam::" + account + ":user/" + userName;
  }

  @Override
  public String describe() {
    return "IAM user " + userName;
  }
}
