package dev.coffer.conformance.provider;

import static dev.coffer.conformance.provider.ProviderTools.PROVIDER_JAR;
import static dev.coffer.conformance.provider.ProviderTools.command;
import static dev.coffer.conformance.provider.UnchangedAppConformanceTest.compileApp;
import static dev.coffer.conformance.provider.UnchangedAppConformanceTest.createKeyWithAlias;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.coffer.conformance.DaemonProcess;
import dev.coffer.conformance.DaemonProcess.CliResult;
import dev.coffer.conformance.provider.ProviderTools.Result;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The same unchanged application as {@link UnchangedAppConformanceTest}, in its own JVM, reaching
 * a real daemon on another "host" through the HTTPS endpoint: configured only by the
 * environment ({@code COFFER_ENDPOINT}, {@code COFFER_TLS_CA}, {@code AWS_ACCESS_KEY_ID}, {@code
 * AWS_SECRET_ACCESS_KEY}, {@code AWS_REGION}); no socket is reachable. An access key made
 * inactive with {@code coffer update-access-key} is refused with a clear exception.
 */
class UnchangedAppOverHttpsConformanceTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String ALIAS = "alias/remote-app";
  private static final String REGION = "eu-central-1";

  private static DaemonProcess daemon;
  private static Path work;
  private static Path appClasses;
  private static Path securityFile;
  private static String accessKeyId;
  private static String secret;

  @BeforeAll
  static void setUp() throws Exception {
    ProviderTools.requireProviderJar();
    work = Files.createTempDirectory(Path.of("/tmp"), "cofhttps");
    appClasses = compileApp(work);
    securityFile = ProviderTools.securityProperties(work);
    daemon = DaemonProcess.startHttps(Map.of("region", REGION,
        "admins", "user/" + System.getProperty("user.name") + ",iam-user/remote-app"));
    createKeyWithAlias(daemon, ALIAS);
    CliResult key = daemon.cli("create-access-key", "--user-name", "remote-app");
    assertEquals(0, key.exitCode(), key.stderr());
    JsonNode k = JSON.readTree(key.stdout()).get("AccessKey");
    accessKeyId = k.get("AccessKeyId").asText();
    secret = k.get("SecretAccessKey").asText();
  }

  @AfterAll
  static void tearDown() throws Exception {
    if (daemon != null) {
      daemon.close();
    }
    DaemonProcess.deleteTree(work);
  }

  /** The app with only the HTTPS environment: no COFFER_SOCKET, no COFFER_HOME. */
  private static Result app(String mode, Path dir) throws Exception {
    Map<String, String> env = Map.of(
        "COFFER_ENDPOINT", daemon.httpsUrl(),
        "COFFER_TLS_CA", daemon.caBundle().toString(),
        "AWS_ACCESS_KEY_ID", accessKeyId,
        "AWS_SECRET_ACCESS_KEY", secret,
        "AWS_REGION", REGION,
        "HOME", work.toString());
    return ProviderTools.run(command(DaemonProcess.JAVA,
        "-Djava.security.properties=" + securityFile,
        "-cp", appClasses + ":" + PROVIDER_JAR,
        "UnchangedApp", mode, ALIAS, dir), env, work);
  }

  @Test
  void unchangedApp_overHttps_roundTrips_thenRefusedWhenItsKeyIsInactive() throws Exception {
    Path dir = Files.createDirectories(work.resolve("sealed"));
    Result r = app("roundtrip", dir);
    assertEquals(0, r.exitCode(), r::toString);
    Map<String, String> v = r.values();
    assertEquals("true", v.get("done"), r::toString);
    assertEquals("Coffer", v.get("keystore.provider"), r::toString);

    // A fresh JVM opens what the first one sealed, still over HTTPS.
    Result again = app("decrypt", dir);
    assertEquals(0, again.exitCode(), again::toString);

    CliResult off = daemon.cli("update-access-key", "--access-key-id", accessKeyId,
        "--status", "Inactive");
    assertEquals(0, off.exitCode(), off.stderr());
    Result refused = app("decrypt", dir);
    assertEquals(3, refused.exitCode(), refused::toString);
    String said = refused.stdout();
    assertTrue(said.contains("UnrecognizedClientException") || said.contains("inactive")
        || said.contains("Inactive"), refused::toString);
    assertTrue(said.contains(accessKeyId) || said.contains("access key"), refused::toString);

    CliResult on = daemon.cli("update-access-key", "--access-key-id", accessKeyId,
        "--status", "Active");
    assertEquals(0, on.exitCode(), on.stderr());
    assertEquals(0, app("decrypt", dir).exitCode());
  }
}
