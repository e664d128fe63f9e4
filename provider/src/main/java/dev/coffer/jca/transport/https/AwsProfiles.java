package dev.coffer.jca.transport.https;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;

/**
 * The selected AWS profile, merged from the shared config and credentials files as the AWS SDKs
 * merge them (the credentials file wins on a key both define).
 *
 * <ul>
 *   <li>profile: system property {@code aws.profile}, else {@code AWS_PROFILE}, else {@code
 *       default};
 *   <li>credentials file: {@code AWS_SHARED_CREDENTIALS_FILE}, else {@code ~/.aws/credentials};
 *   <li>config file: {@code AWS_CONFIG_FILE}, else {@code ~/.aws/config};
 *   <li>home: {@code HOME}, else the system property {@code user.home}; a leading {@code ~/} in
 *       either file variable means that home.
 * </ul>
 *
 * The environment comes in as a map so tests can give one (a JVM cannot change its own).
 */
final class AwsProfiles {

  private final String name;
  private final boolean named;
  private final Path credentialsFile;
  private final Path configFile;
  private final Map<String, String> merged; // null when neither file has the profile

  private AwsProfiles(
      String name, boolean named, Path credentialsFile, Path configFile,
      Map<String, String> merged) {
    this.name = name;
    this.named = named;
    this.credentialsFile = credentialsFile;
    this.configFile = configFile;
    this.merged = merged;
  }

  static AwsProfiles load(Map<String, String> env, Properties props) {
    String explicit = nonBlank(props.getProperty("aws.profile"));
    if (explicit == null) {
      explicit = nonBlank(env.get("AWS_PROFILE"));
    }
    String profile = explicit != null ? explicit : "default";
    String home = nonBlank(env.get("HOME"));
    if (home == null) {
      home = props.getProperty("user.home", "");
    }
    Path credentials = file(env.get("AWS_SHARED_CREDENTIALS_FILE"), home, "credentials");
    Path config = file(env.get("AWS_CONFIG_FILE"), home, "config");
    Map<String, String> fromConfig =
        ProfileFile.read(config, ProfileFile.Kind.CONFIG).profile(profile);
    Map<String, String> fromCredentials =
        ProfileFile.read(credentials, ProfileFile.Kind.CREDENTIALS).profile(profile);
    Map<String, String> merged = null;
    if (fromConfig != null || fromCredentials != null) {
      merged = new HashMap<>();
      if (fromConfig != null) {
        merged.putAll(fromConfig);
      }
      if (fromCredentials != null) {
        merged.putAll(fromCredentials);
      }
    }
    return new AwsProfiles(profile, explicit != null, credentials, config, merged);
  }

  private static Path file(String variable, String home, String leaf) {
    String v = nonBlank(variable);
    if (v == null) {
      return Path.of(home, ".aws", leaf);
    }
    return v.startsWith("~/") ? Path.of(home, v.substring(2)) : Path.of(v);
  }

  /** The profile's name. */
  String name() {
    return name;
  }

  /** Whether the profile was chosen ({@code aws.profile}, {@code AWS_PROFILE}) rather than defaulted. */
  boolean named() {
    return named;
  }

  boolean exists() {
    return merged != null;
  }

  /** A property of the profile (key in lower case), or null. */
  String get(String key) {
    return merged == null ? null : nonBlank(merged.get(key));
  }

  /** For messages: which profile in which files. */
  String describe() {
    return "profile '" + name + "' in " + credentialsFile + " and " + configFile;
  }

  static String nonBlank(String s) {
    return s == null || s.isBlank() ? null : s.strip();
  }
}
