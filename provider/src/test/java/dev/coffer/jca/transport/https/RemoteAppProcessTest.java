package dev.coffer.jca.transport.https;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * An unchanged application in another JVM, configured only through the environment ({@code
 * COFFER_ENDPOINT}, {@code COFFER_TLS_CA}, {@code AWS_ACCESS_KEY_ID}/{@code
 * AWS_SECRET_ACCESS_KEY}, or a profile in {@code ~/.aws/credentials}), against the test endpoint;
 * an inactive access key is refused with the cause and the remedy in the exception.
 */
class RemoteAppProcessTest {

  private static Path dir;
  private static StubKmsEndpoint stub;

  @BeforeAll
  static void start() throws Exception {
    dir = Files.createTempDirectory(Path.of("/tmp"), "pclient-app");
    stub = StubKmsEndpoint.start(StubKmsEndpoint.makeCertificate(dir), false);
    stub.secrets.put("AKIDAPP", "app/secret");
    stub.secrets.put("AKIDPROFILE", "profile/secret");
    stub.secrets.put("AKIDOFF", "off");
    stub.inactive.add("AKIDOFF");
    Files.writeString(dir.resolve("java.security"),
        "security.provider.13=dev.coffer.jca.CofferProvider\n");
  }

  @AfterAll
  static void stop() {
    if (stub != null) {
      stub.close();
    }
    StubKmsEndpoint.deleteTree(dir);
  }

  private static String run(Map<String, String> extraEnv, int expectedExit) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Djava.security.properties=" + dir.resolve("java.security"),
        "-cp", System.getProperty("java.class.path"),
        RemoteApp.class.getName(), "alias/stub");
    Map<String, String> env = pb.environment();
    env.keySet().removeIf(k -> k.startsWith("AWS_") || k.startsWith("COFFER_"));
    env.put("HOME", dir.toString());
    env.put("COFFER_ENDPOINT", stub.uri().toString());
    env.put("COFFER_TLS_CA", dir.resolve("ca.pem").toString());
    env.putAll(extraEnv);
    Process p = pb.redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    assertEquals(expectedExit, p.exitValue(), out);
    return out;
  }

  @Test
  void runsWithKeysFromTheEnvironment() throws Exception {
    String out = run(Map.of("AWS_ACCESS_KEY_ID", "AKIDAPP", "AWS_SECRET_ACCESS_KEY", "app/secret"),
        0);
    assertTrue(out.contains("ROUNDTRIP OK"), out);
  }

  @Test
  void runsWithKeysFromAProfile() throws Exception {
    Files.createDirectories(dir.resolve(".aws"));
    Files.write(dir.resolve(".aws/credentials"), List.of("[app]",
        "aws_access_key_id = AKIDPROFILE", "aws_secret_access_key = profile/secret"));
    String out = run(Map.of("AWS_PROFILE", "app"), 0);
    assertTrue(out.contains("ROUNDTRIP OK"), out);
  }

  @Test
  void anInactiveKeyIsRefusedWithTheCauseAndTheRemedy() throws Exception {
    String out = run(Map.of("AWS_ACCESS_KEY_ID", "AKIDOFF", "AWS_SECRET_ACCESS_KEY", "off"), 2);
    assertTrue(out.contains("FAILED java.io.IOException: UnrecognizedClientException: ")
        && out.contains("AKIDOFF") && out.contains("AWS_ACCESS_KEY_ID")
        && out.contains("update-access-key"), out);
  }
}
