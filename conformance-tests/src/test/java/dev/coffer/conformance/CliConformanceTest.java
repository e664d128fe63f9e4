package dev.coffer.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.coffer.conformance.DaemonProcess.CliResult;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code bin/coffer} as an operator runs it, against a real daemon process. */
class CliConformanceTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static DaemonProcess daemon;

  @BeforeAll
  static void start() throws Exception {
    daemon = DaemonProcess.start();
  }

  @AfterAll
  static void stop() throws Exception {
    daemon.close();
  }

  private static JsonNode ok(String... args) throws Exception {
    CliResult r = daemon.cli(args);
    assertEquals(0, r.exitCode(), () -> String.join(" ", args) + ": " + r.stderr());
    return r.stdout().isBlank() ? JSON.createObjectNode() : JSON.readTree(r.stdout());
  }

  @Test
  void walkthrough_keyAliasEncryptDecryptDisableScheduleCancel() throws Exception {
    String id = ok("create-key", "--description", "walkthrough").get("KeyMetadata").get("KeyId")
        .asText();
    ok("create-alias", "--alias-name", "alias/walk", "--target-key-id", id);
    Path in = daemon.home().resolve("in.txt");
    Files.writeString(in, "attack at dawn");
    String blob = ok("encrypt", "--key-id", "alias/walk", "--plaintext", "fileb://" + in,
        "--encryption-context", "purpose=demo").get("CiphertextBlob").asText();
    Path ct = daemon.home().resolve("ct.bin");
    Files.write(ct, Base64.getDecoder().decode(blob));
    JsonNode dec = ok("decrypt", "--ciphertext-blob", "fileb://" + ct, "--encryption-context",
        "purpose=demo");
    assertEquals("attack at dawn", new String(
        Base64.getDecoder().decode(dec.get("Plaintext").asText()), StandardCharsets.UTF_8));

    ok("disable-key", "--key-id", id);
    CliResult refused = daemon.cli("decrypt", "--ciphertext-blob", "fileb://" + ct,
        "--encryption-context", "purpose=demo");
    assertEquals(254, refused.exitCode());
    assertTrue(refused.stderr().contains("DisabledException"), refused.stderr());

    JsonNode sched = ok("schedule-key-deletion", "--key-id", id, "--pending-window-in-days", "7");
    assertEquals("PendingDeletion", sched.get("KeyState").asText());
    ok("cancel-key-deletion", "--key-id", id);
    assertEquals("Disabled", ok("describe-key", "--key-id", "alias/walk").get("KeyMetadata")
        .get("KeyState").asText());
  }

  @Test
  void scheduleKeyDeletion_windowTooShort_validationException_nonZeroExit() throws Exception {
    String id = ok("create-key").get("KeyMetadata").get("KeyId").asText();
    CliResult r = daemon.cli("schedule-key-deletion", "--key-id", id,
        "--pending-window-in-days", "3");
    assertEquals(254, r.exitCode());
    assertTrue(r.stderr().contains("ValidationException"), r.stderr());
  }

  @Test
  void generateRandomAndDataKey_printBase64() throws Exception {
    assertEquals(24, Base64.getDecoder().decode(
        ok("generate-random", "--number-of-bytes", "24").get("Plaintext").asText()).length);
    String id = ok("create-key").get("KeyMetadata").get("KeyId").asText();
    JsonNode dk = ok("generate-data-key", "--key-id", id, "--key-spec", "AES_128");
    assertEquals(16, Base64.getDecoder().decode(dk.get("Plaintext").asText()).length);
  }

  /**
   * docs/operations.md, "CLI conventions": COFFER_JAVA_OPTS overrides bin/coffer's JVM choices.
   * A collector of the operator's used to stop the JVM ("Multiple garbage collectors
   * selected") beside the serial one bin/coffer picks for one-request commands.
   */
  @Test
  void cofferJavaOpts_choosingAnotherCollector_overridesTheQuickStart() throws Exception {
    for (String gc : new String[] {"-XX:+UseG1GC", "-XX:+UseParallelGC -Xmx64m"}) {
      CliResult r = daemon.cli(java.util.Map.of("COFFER_JAVA_OPTS", gc), "list-keys",
          "--limit", "1");
      assertEquals(0, r.exitCode(), gc + ": " + r.stderr());
    }
  }
}
