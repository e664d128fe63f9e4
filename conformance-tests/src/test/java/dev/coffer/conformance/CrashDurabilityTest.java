package dev.coffer.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.protocol.DaemonClient;
import dev.coffer.protocol.Json;
import dev.coffer.protocol.KmsException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * SIGKILL of the daemon process in the middle of a stream of changes: every change the daemon
 * acknowledged before the kill is there after restart, and every ciphertext it returned decrypts.
 */
class CrashDurabilityTest {

  record Ciphertext(byte[] blob, byte[] plaintext) {}

  @Test
  void kill9DuringCreateKeyAliasScheduleDeletionStream_acknowledgedStateSurvives() throws Exception {
    try (DaemonProcess daemon = DaemonProcess.start()) {
      Map<String, String> keys = new ConcurrentHashMap<>(); // key id -> expected state
      Map<String, String> aliases = new ConcurrentHashMap<>(); // alias -> key id
      List<Ciphertext> ciphertexts = java.util.Collections.synchronizedList(new ArrayList<>());
      int acknowledged = 0;
      for (int round = 0; round < 3; round++) {
        AtomicBoolean stop = new AtomicBoolean();
        List<Thread> writers = new ArrayList<>();
        int[] counts = new int[2];
        for (int w = 0; w < 2; w++) {
          int writer = w;
          int r = round;
          Thread t = new Thread(() -> {
            try (DaemonClient c = new DaemonClient(daemon.socket(), 1, Duration.ofSeconds(10))) {
              for (int i = 0; !stop.get(); i++) {
                try {
                  String id = c.call("CreateKey", Json.object()).get("KeyMetadata").get("KeyId")
                      .asText();
                  keys.put(id, "Enabled");
                  counts[writer]++;
                  String alias = "alias/r" + r + "-w" + writer + "-" + i;
                  ObjectNode a = Json.object().put("AliasName", alias).put("TargetKeyId", id);
                  c.call("CreateAlias", a);
                  aliases.put(alias, id);
                  byte[] pt = (alias + " payload").getBytes(StandardCharsets.UTF_8);
                  ObjectNode e = Json.object().put("KeyId", alias).put("Plaintext", pt);
                  ciphertexts.add(new Ciphertext(c.call("Encrypt", e).get("CiphertextBlob")
                      .binaryValue(), pt));
                  if (i % 3 == 0) {
                    // Until the daemon answers, either outcome is legitimate after a crash.
                    keys.put(id, "Enabled|PendingDeletion");
                    c.call("ScheduleKeyDeletion", Json.object().put("KeyId", id)
                        .put("PendingWindowInDays", 7));
                    keys.put(id, "PendingDeletion");
                  }
                } catch (KmsException lost) {
                  return; // the daemon died under this request: its outcome is unknown
                }
              }
            } catch (Exception e) {
              throw new RuntimeException(e);
            }
          });
          t.start();
          writers.add(t);
        }
        Thread.sleep(1500 + round * 300L);
        daemon.kill9();
        stop.set(true);
        for (Thread t : writers) {
          t.join(20_000);
        }
        acknowledged += counts[0] + counts[1];
        daemon.launch();
      }
      assertTrue(acknowledged > 20, "too few operations to mean anything: " + acknowledged);

      try (DaemonClient c = new DaemonClient(daemon.socket(), 1, Duration.ofSeconds(10))) {
        for (Map.Entry<String, String> k : keys.entrySet()) {
          String state = c.call("DescribeKey", Json.object().put("KeyId", k.getKey()))
              .get("KeyMetadata").get("KeyState").asText();
          assertTrue(java.util.List.of(k.getValue().split("\\|")).contains(state),
              "key " + k.getKey() + " is " + state + ", expected " + k.getValue());
        }
        for (Map.Entry<String, String> a : aliases.entrySet()) {
          assertEquals(a.getValue(), c.call("DescribeKey", Json.object().put("KeyId", a.getKey()))
              .get("KeyMetadata").get("KeyId").asText(), a.getKey());
        }
        // Ciphertexts under keys now pending deletion must wait for cancel + enable.
        for (Map.Entry<String, String> k : keys.entrySet()) {
          String state = c.call("DescribeKey", Json.object().put("KeyId", k.getKey()))
              .get("KeyMetadata").get("KeyState").asText();
          if (state.equals("PendingDeletion")) {
            c.call("CancelKeyDeletion", Json.object().put("KeyId", k.getKey()));
            c.call("EnableKey", Json.object().put("KeyId", k.getKey()));
          }
        }
        for (Ciphertext ct : ciphertexts) {
          byte[] pt = c.call("Decrypt", Json.object().put("CiphertextBlob", ct.blob()))
              .get("Plaintext").binaryValue();
          assertArrayEquals(ct.plaintext(), pt);
        }
      }
    }
  }
}
