package dev.coffer.jca.transport.https;

import java.util.Map;
import java.util.Properties;

/**
 * Finds the AWS access key the provider signs with, in this order (the first source that has an
 * access key id or a secret is used; one without the other is an error, not a reason to look
 * further, so a half-set variable cannot silently pick another identity):
 *
 * <ol>
 *   <li>environment: {@code AWS_ACCESS_KEY_ID}, {@code AWS_SECRET_ACCESS_KEY}, {@code
 *       AWS_SESSION_TOKEN};
 *   <li>system properties: {@code aws.accessKeyId}, {@code aws.secretAccessKey}, {@code
 *       aws.sessionToken};
 *   <li>the selected profile ({@link AwsProfiles}): {@code aws_access_key_id}, {@code
 *       aws_secret_access_key}, {@code aws_session_token}.
 * </ol>
 *
 * This is the AWS SDK for Java v1's order; SDK v2 reads system properties before the
 * environment. Profiles that obtain keys by other means ({@code role_arn}, {@code
 * credential_process}, {@code sso_*}) are not supported: the provider has no AWS SDK.
 */
public final class CredentialChain {
  private CredentialChain() {}

  /**
   * The credentials from {@code env} (the process environment, or a test's map) and {@code
   * props} (system properties).
   *
   * @throws IllegalArgumentException naming every place looked at when none has a key, or the
   *     half-configured source
   */
  public static AwsCredentials resolve(Map<String, String> env, Properties props) {
    AwsCredentials c = pair(env.get("AWS_ACCESS_KEY_ID"), env.get("AWS_SECRET_ACCESS_KEY"),
        env.get("AWS_SESSION_TOKEN"), "the environment", "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY");
    if (c != null) {
      return c;
    }
    c = pair(props.getProperty("aws.accessKeyId"), props.getProperty("aws.secretAccessKey"),
        props.getProperty("aws.sessionToken"), "system properties", "aws.accessKeyId",
        "aws.secretAccessKey");
    if (c != null) {
      return c;
    }
    AwsProfiles profiles = AwsProfiles.load(env, props);
    if (profiles.exists()) {
      c = pair(profiles.get("aws_access_key_id"), profiles.get("aws_secret_access_key"),
          profiles.get("aws_session_token"), profiles.describe(), "aws_access_key_id",
          "aws_secret_access_key");
      if (c != null) {
        return c;
      }
      for (String other : new String[] {"role_arn", "credential_process", "sso_session",
          "sso_start_url", "web_identity_token_file"}) {
        if (profiles.get(other) != null) {
          throw new IllegalArgumentException(profiles.describe() + " gets its keys through "
              + other + ", which the Coffer provider does not support; give it"
              + " aws_access_key_id and aws_secret_access_key from `coffer create-access-key`");
        }
      }
    } else if (profiles.named()) {
      throw new IllegalArgumentException("the AWS profile chosen by AWS_PROFILE/aws.profile does"
          + " not exist: " + profiles.describe());
    }
    throw new IllegalArgumentException("no AWS credentials for the Coffer endpoint: set"
        + " AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or -Daws.accessKeyId and"
        + " -Daws.secretAccessKey, or put them in " + profiles.describe()
        + " (create a key with `coffer create-access-key --user-name NAME`)");
  }

  private static AwsCredentials pair(
      String id, String secret, String token, String source, String idName, String secretName) {
    id = AwsProfiles.nonBlank(id);
    secret = AwsProfiles.nonBlank(secret);
    if (id == null && secret == null) {
      return null;
    }
    if (id == null || secret == null) {
      throw new IllegalArgumentException("incomplete AWS credentials in " + source + ": "
          + (id == null ? idName : secretName) + " is missing while "
          + (id == null ? secretName : idName) + " is set; set both or neither");
    }
    return new AwsCredentials(id, secret, AwsProfiles.nonBlank(token),
        source + " (" + idName + ")");
  }
}
