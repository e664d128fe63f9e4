package dev.coffer.conformance.provider;

import static dev.coffer.conformance.DaemonProcess.deleteTree;
import static dev.coffer.conformance.provider.ProviderTools.PROVIDER_JAR;
import static dev.coffer.conformance.provider.ProviderTools.command;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.coffer.conformance.DaemonProcess;
import dev.coffer.conformance.DaemonProcess.CliResult;
import dev.coffer.conformance.provider.ProviderTools.Result;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Managed keys with real processes: an unchanged application that asks the JCA provider for
 * {@code alias/coffer/<name>} gets a managed key created on first use (so does the CLI), the key
 * resists every change a user tries through {@code coffer} with AWS's exceptions, and it
 * survives {@code kill -9} of the daemon.
 */
class ManagedKeyConformanceTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String ALIAS = "alias/coffer/payments";

  private static DaemonProcess daemon;
  private static Path work;
  private static Path appClasses;
  private static Path securityFile;

  @BeforeAll
  static void setUp() throws Exception {
    ProviderTools.requireProviderJar();
    work = Files.createTempDirectory(Path.of("/tmp"), "cofmk");
    appClasses = UnchangedAppConformanceTest.compileApp(work);
    securityFile = ProviderTools.securityProperties(work);
    daemon = DaemonProcess.start();
  }

  @AfterAll
  static void tearDown() throws Exception {
    if (daemon != null) {
      daemon.close();
    }
    deleteTree(work);
  }

  private static Result app(String mode, Path dir, String alias) throws Exception {
    return ProviderTools.run(command(DaemonProcess.JAVA,
        "-Djava.security.properties=" + securityFile,
        "-cp", appClasses + ":" + PROVIDER_JAR,
        "UnchangedApp", mode, alias, dir), daemon.env(), work);
  }

  private static JsonNode ok(String... args) throws Exception {
    CliResult r = daemon.cli(args);
    assertEquals(0, r.exitCode(), () -> String.join(" ", args) + ": " + r.stderr());
    return r.stdout().isBlank() ? JSON.createObjectNode() : JSON.readTree(r.stdout());
  }

  private static void refused(String exception, String... args) throws Exception {
    CliResult r = daemon.cli(args);
    assertNotEquals(0, r.exitCode(), () -> String.join(" ", args) + " succeeded: " + r.stdout());
    assertTrue(r.stderr().contains(exception), () -> String.join(" ", args) + ": " + r.stderr());
  }

  @Test
  void providerFirstUse_createsManagedKey_thatResistsUserChanges_andSurvivesKill9()
      throws Exception {
    Path dir = Files.createDirectories(work.resolve("sealed"));
    Result sealed = app("roundtrip", dir, ALIAS);
    assertEquals(0, sealed.exitCode(), sealed::toString);
    Map<String, String> v = sealed.values();
    assertEquals("true", v.get("small.roundtrip"), sealed::toString);
    assertEquals("true", v.get("large.roundtrip"), sealed::toString);

    JsonNode m = ok("describe-key", "--key-id", ALIAS).get("KeyMetadata");
    assertEquals("AWS", m.get("KeyManager").asText());
    String id = m.get("KeyId").asText();
    boolean listed = false;
    for (JsonNode a : ok("list-aliases").get("Aliases")) {
      listed |= a.get("AliasName").asText().equals(ALIAS)
          && a.get("TargetKeyId").asText().equals(id);
    }
    assertTrue(listed, "list-aliases shows " + ALIAS);
    JsonNode rotation = ok("get-key-rotation-status", "--key-id", id);
    assertTrue(rotation.get("KeyRotationEnabled").asBoolean());

    String policy = ok("get-key-policy", "--key-id", id, "--policy-name", "default")
        .get("Policy").asText();
    Path policyFile = work.resolve("policy.json");
    Files.writeString(policyFile, policy);
    refused("AccessDeniedException", "put-key-policy", "--key-id", id, "--policy-name",
        "default", "--policy", "file://" + policyFile);
    refused("AccessDeniedException", "schedule-key-deletion", "--key-id", id);
    refused("AccessDeniedException", "disable-key", "--key-id", id);
    refused("AccessDeniedException", "disable-key-rotation", "--key-id", id);
    refused("AccessDeniedException", "delete-alias", "--alias-name", ALIAS);
    String mine = ok("create-key").get("KeyMetadata").get("KeyId").asText();
    refused("InvalidAliasNameException", "update-alias", "--alias-name", ALIAS,
        "--target-key-id", mine);
    refused("AccessDeniedException", "create-alias", "--alias-name", "alias/mine",
        "--target-key-id", id);

    daemon.kill9();
    daemon.launch();
    // The same key after the crash: the provider decrypts what it sealed, nothing changed.
    Result opened = app("decrypt", dir, ALIAS);
    assertEquals(0, opened.exitCode(), opened::toString);
    assertEquals(v.get("small.sha256"), opened.values().get("small.sha256"), opened::toString);
    JsonNode after = ok("describe-key", "--key-id", ALIAS).get("KeyMetadata");
    assertEquals(id, after.get("KeyId").asText());
    assertEquals("AWS", after.get("KeyManager").asText());
    assertEquals("Enabled", after.get("KeyState").asText());
    refused("AccessDeniedException", "schedule-key-deletion", "--key-id", id);
  }

  @Test
  void cliFirstUse_encryptCreatesTheKey_oneKeyForRepeatedUse() throws Exception {
    Path in = work.resolve("cli.txt");
    Files.writeString(in, "first use");
    String alias = "alias/coffer/cli";
    JsonNode first = ok("encrypt", "--key-id", alias, "--plaintext", "fileb://" + in);
    JsonNode again = ok("generate-data-key", "--key-id", alias, "--key-spec", "AES_256");
    assertEquals(first.get("KeyId").asText(), again.get("KeyId").asText());
    assertEquals("AWS", ok("describe-key", "--key-id", alias).get("KeyMetadata")
        .get("KeyManager").asText());
    List<String> arns = new java.util.ArrayList<>();
    for (JsonNode k : ok("list-keys").get("Keys")) {
      arns.add(k.get("KeyArn").asText());
    }
    assertTrue(arns.contains(first.get("KeyId").asText()), arns.toString());
  }
}
