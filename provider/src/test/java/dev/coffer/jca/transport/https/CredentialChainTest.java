package dev.coffer.jca.transport.https;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The credential chain, region and profile files, with a temporary HOME and injected environment
 * (a JVM cannot change its own environment, so the chain takes it as a map).
 */
class CredentialChainTest {

  @TempDir Path home;
  private final Map<String, String> env = new HashMap<>();
  private final Properties props = new Properties();

  @BeforeEach
  void emptyHome() {
    env.put("HOME", home.toString());
  }

  private void write(String leaf, String... lines) throws IOException {
    Files.createDirectories(home.resolve(".aws"));
    Files.write(home.resolve(".aws").resolve(leaf), List.of(lines));
  }

  @Test
  void environmentComesFirst() throws IOException {
    write("credentials", "[default]", "aws_access_key_id = AKIDFILE", "aws_secret_access_key = f");
    props.setProperty("aws.accessKeyId", "AKIDPROP");
    props.setProperty("aws.secretAccessKey", "p");
    env.put("AWS_ACCESS_KEY_ID", "AKIDENV");
    env.put("AWS_SECRET_ACCESS_KEY", "e");
    env.put("AWS_SESSION_TOKEN", "tok");
    AwsCredentials c = CredentialChain.resolve(env, props);
    assertEquals("AKIDENV", c.accessKeyId());
    assertEquals("tok", c.sessionToken());
    assertTrue(c.source().contains("AWS_ACCESS_KEY_ID"));
  }

  @Test
  void thenSystemPropertiesThenTheProfile() throws IOException {
    write("credentials", "[default]", "aws_access_key_id = AKIDFILE", "aws_secret_access_key = f");
    props.setProperty("aws.accessKeyId", "AKIDPROP");
    props.setProperty("aws.secretAccessKey", "p");
    assertEquals("AKIDPROP", CredentialChain.resolve(env, props).accessKeyId());
    props.clear();
    AwsCredentials c = CredentialChain.resolve(env, props);
    assertEquals("AKIDFILE", c.accessKeyId());
    assertNull(c.sessionToken());
    assertTrue(c.source().contains("profile 'default'"), c.source());
  }

  @Test
  void aHalfSetSourceIsAnErrorNotASkip() throws IOException {
    write("credentials", "[default]", "aws_access_key_id = AKIDFILE", "aws_secret_access_key = f");
    env.put("AWS_ACCESS_KEY_ID", "AKIDENV");
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> CredentialChain.resolve(env, props));
    assertTrue(e.getMessage().contains("AWS_SECRET_ACCESS_KEY is missing"), e.getMessage());
  }

  @Test
  void namedProfilesFromEitherFileWithTheCredentialsFileWinning() throws IOException {
    write("credentials",
        "# keys for the orders service",
        "[default]",
        "aws_access_key_id=AKIDDEFAULT",
        "aws_secret_access_key=d",
        "",
        "[orders]   ; the app's profile",
        "AWS_Access_Key_Id = AKIDORDERS   # uppercase key names are fine",
        "aws_secret_access_key = s3cr3t/with+slash==",
        "aws_session_token = T1",
        "[profile orders]",
        "aws_access_key_id = IGNORED_IN_CREDENTIALS_FILE");
    write("config",
        "[profile orders]",
        "region = eu-west-2",
        "aws_access_key_id = AKIDFROMCONFIG",
        "s3 =",
        "  max_concurrent_requests = 10",
        "[orders]",
        "region = ignored-without-profile-prefix",
        "[sso-session x]",
        "sso_region = us-east-1");
    env.put("AWS_PROFILE", "orders");
    AwsCredentials c = CredentialChain.resolve(env, props);
    assertEquals("AKIDORDERS", c.accessKeyId());
    assertEquals("T1", c.sessionToken());
    byte[] s = c.secretWithPrefix("");
    assertEquals("s3cr3t/with+slash==", new String(s, java.nio.charset.StandardCharsets.UTF_8));
    assertEquals("eu-west-2", HttpsSettings.region(env, props));
    props.setProperty("aws.profile", "default");
    assertEquals("AKIDDEFAULT", CredentialChain.resolve(env, props).accessKeyId());
  }

  @Test
  void fileLocationsFollowTheVariables() throws IOException {
    Path elsewhere = home.resolve("elsewhere");
    Files.createDirectories(elsewhere);
    Files.write(elsewhere.resolve("creds"),
        List.of("[p]", "aws_access_key_id = AKIDMOVED", "aws_secret_access_key = m"));
    Files.write(elsewhere.resolve("cfg"), List.of("[default]", "region = ap-south-1"));
    env.put("AWS_SHARED_CREDENTIALS_FILE", "~/elsewhere/creds");
    env.put("AWS_CONFIG_FILE", elsewhere.resolve("cfg").toString());
    env.put("AWS_PROFILE", "p");
    assertEquals("AKIDMOVED", CredentialChain.resolve(env, props).accessKeyId());
    env.remove("AWS_PROFILE");
    assertEquals("ap-south-1", HttpsSettings.region(env, props));
  }

  @Test
  void aMissingNamedProfileAndNoCredentialsAtAllSayWhatToDo() {
    env.put("AWS_PROFILE", "nope");
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> CredentialChain.resolve(env, props));
    assertTrue(e.getMessage().contains("profile 'nope'"), e.getMessage());
    env.remove("AWS_PROFILE");
    e = assertThrows(IllegalArgumentException.class, () -> CredentialChain.resolve(env, props));
    assertTrue(e.getMessage().contains("AWS_ACCESS_KEY_ID")
        && e.getMessage().contains("coffer create-access-key"), e.getMessage());
  }

  @Test
  void profilesThatNeedTheSdkAreRefusedByName() throws IOException {
    write("config", "[default]", "role_arn = arn:aws:iam::111122223333:role/x",
        "source_profile = base");
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> CredentialChain.resolve(env, props));
    assertTrue(e.getMessage().contains("role_arn"), e.getMessage());
  }

  @Test
  void aBrokenFileNamesItsLine() throws IOException {
    write("credentials", "[default]", "aws_access_key_id = A", "this line has no equals sign");
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> CredentialChain.resolve(env, props));
    assertTrue(e.getMessage().contains("line 3"), e.getMessage());
  }

  @Test
  void regionOrder() throws IOException {
    write("config", "[default]", "region = from-profile");
    assertEquals("from-profile", HttpsSettings.region(env, props));
    env.put("AWS_DEFAULT_REGION", "from-default-region");
    assertEquals("from-default-region", HttpsSettings.region(env, props));
    env.put("AWS_REGION", "from-aws-region");
    assertEquals("from-aws-region", HttpsSettings.region(env, props));
    props.setProperty("aws.region", "from-aws-property");
    assertEquals("from-aws-property", HttpsSettings.region(env, props));
    props.setProperty("coffer.region", "from-coffer");
    assertEquals("from-coffer", HttpsSettings.region(env, props));
    env.clear();
    props.clear();
    props.setProperty("user.home", home.resolve("nothing-here").toString());
    assertEquals("us-east-1", HttpsSettings.region(env, props));
  }

  @Test
  void endpointsAreCheckedAndPlainHttpOnlyOnLoopback() {
    HttpsSettings s = HttpsSettings.from(" https://a.example:8443 , https://b.example:8443/kms ",
        env, props);
    assertEquals("https://a.example:8443/", s.endpoints().get(0).toString());
    assertEquals("https://b.example:8443/kms", s.endpoints().get(1).toString());
    HttpsSettings.from("http://127.0.0.1:8080", env, props);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> HttpsSettings.from("http://coffer.example:8080", env, props));
    assertTrue(e.getMessage().contains("use https://"), e.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> HttpsSettings.from("https://u:p@h:1/", env, props));
    assertThrows(IllegalArgumentException.class,
        () -> HttpsSettings.from("coffer.example:8443", env, props));
  }

  @Test
  void theSecretIsNeverPrintedAndCanBeWiped() {
    AwsCredentials c = new AwsCredentials("AKIDX", "very-secret", null, "test");
    assertTrue(!c.toString().contains("very-secret"));
    c.destroy();
    byte[] s = c.secretWithPrefix("");
    for (byte b : s) {
      assertEquals(0, b);
    }
  }
}
