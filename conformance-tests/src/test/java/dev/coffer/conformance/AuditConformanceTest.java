package dev.coffer.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.conformance.DaemonProcess.CliResult;
import dev.coffer.protocol.DaemonClient;
import dev.coffer.protocol.Json;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * The audit log of a real daemon process across a SIGKILL: every management call the daemon
 * acknowledged is in the log after restart, the chain verifies with {@code coffer audit verify},
 * and {@code coffer audit lookup --key-id} answers who used the key.
 */
class AuditConformanceTest {

  @Test
  void kill9MidStream_verifyPasses_lookupFindsAcknowledgedManagementCalls() throws Exception {
    try (DaemonProcess daemon = DaemonProcess.start()) {
      CliResult created = daemon.cli("create-key", "--description", "audited");
      assertEquals(0, created.exitCode(), created.stderr());
      String key = Json.parseObject(created.stdout().getBytes(StandardCharsets.UTF_8))
          .at("/KeyMetadata/KeyId").asText();
      CliResult alias = daemon.cli("create-alias", "--alias-name", "alias/audited",
          "--target-key-id", key);
      assertEquals(0, alias.exitCode(), alias.stderr());

      List<String> acknowledged = Collections.synchronizedList(new ArrayList<>());
      AtomicBoolean stop = new AtomicBoolean();
      List<Thread> writers = new ArrayList<>();
      for (int w = 0; w < 2; w++) {
        int writer = w;
        Thread t = new Thread(() -> {
          try (DaemonClient c = new DaemonClient(daemon.socket(), 1, Duration.ofSeconds(10))) {
            for (int i = 0; !stop.get(); i++) {
              String value = "w" + writer + "-" + i;
              ObjectNode tag = Json.object().put("KeyId", key);
              tag.putArray("Tags").addObject().put("TagKey", "k" + writer).put("TagValue", value);
              c.call("TagResource", tag);
              acknowledged.add(value);
              c.call("Encrypt", Json.object().put("KeyId", key)
                  .put("Plaintext", value.getBytes(StandardCharsets.UTF_8)));
            }
          } catch (RuntimeException killed) {
            // the daemon died under us
          }
        });
        writers.add(t);
        t.start();
      }
      Thread.sleep(1500);
      daemon.kill9();
      stop.set(true);
      for (Thread t : writers) {
        t.join(10_000);
      }
      assertTrue(acknowledged.size() > 10, "too few calls before the kill: " + acknowledged);
      daemon.restart();

      CliResult verify = daemon.cli("audit", "verify", "--home", daemon.home().toString());
      assertEquals(0, verify.exitCode(), verify.stdout() + verify.stderr());
      assertTrue(verify.stdout().startsWith("OK: "), verify.stdout());

      CliResult lookup = daemon.cli("audit", "lookup", "--output", "jsonl", "--key-id", key,
          "--event-name", "TagResource");
      assertEquals(0, lookup.exitCode(), lookup.stderr());
      String found = lookup.stdout();
      for (String value : acknowledged) {
        assertTrue(found.contains("\"TagValue\":\"" + value + "\""),
            "acknowledged TagResource " + value + " missing from the audit log");
      }
      CliResult byAlias = daemon.cli("audit", "lookup", "--output", "jsonl", "--key-id", key, "--event-name",
          "CreateAlias", "--principal", System.getProperty("user.name"));
      assertTrue(byAlias.stdout().contains("\"AliasName\":\"alias/audited\""), byAlias.stdout());
      CliResult recovered = daemon.cli("audit", "lookup", "--output", "jsonl", "--event-name",
          "AuditLogRecovered");
      assertEquals(1, recovered.stdout().lines().count(), recovered.stdout());

      // And tampering is caught by the same command.
      Path file;
      try (var s = Files.list(daemon.home().resolve("audit"))) {
        file = s.filter(p -> p.getFileName().toString().endsWith(".jsonl")).sorted()
            .findFirst().orElseThrow();
      }
      String text = Files.readString(file);
      Files.writeString(file, text.replaceFirst("\"audited\"", "\"innocent\""));
      CliResult tampered = daemon.cli("audit", "verify");
      assertEquals(1, tampered.exitCode(), tampered.stdout() + tampered.stderr());
      assertTrue(tampered.stderr().startsWith("FAILED: altered record: " + file.getFileName()
          + " line 1 "), tampered.stderr());
    }
  }
}
