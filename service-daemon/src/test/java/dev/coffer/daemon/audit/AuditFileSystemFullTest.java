package dev.coffer.daemon.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.daemon.Daemon;
import dev.coffer.daemon.TestDaemon;
import dev.coffer.daemon.config.DaemonConfig;
import dev.coffer.protocol.DaemonClient;
import dev.coffer.protocol.Json;
import dev.coffer.protocol.KmsException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The audit directory on a real, small tmpfs that the test fills: changes refused while the log
 * cannot be written are not applied, every applied change reaches the log, the chain verifies,
 * and the daemon serves again once space returns, without a restart. Needs root (mount).
 */
class AuditFileSystemFullTest {

  private Path home;
  private Path audit;
  private Path mountPoint;
  private Daemon daemon;
  private final TestDaemon.MovableClock clock = new TestDaemon.MovableClock();
  private DaemonClient client;

  @BeforeEach
  void createHome() throws Exception {
    assumeTrue("root".equals(System.getProperty("user.name")), "mounting a tmpfs needs root");
    home = Files.createTempDirectory(Path.of("/tmp"), "cfull");
    audit = home.resolve("audit");
  }

  /** Mounts a 2 MiB tmpfs at {@code where} (the audit directory, or the whole home), starts. */
  private void startOnSmallFileSystem(Path where) throws Exception {
    Files.createDirectories(where);
    run("mount", "-t", "tmpfs", "-o", "size=2m,mode=0700", "tmpfs", where.toString());
    mountPoint = where;
    daemon = Daemon.start(DaemonConfig.forDirectory(home).withClock(clock)
        .withDeletionCheckInterval(Duration.ofHours(1)));
    client = new DaemonClient(daemon.socket(), 2, Duration.ofSeconds(20));
  }

  @AfterEach
  void unmount() throws Exception {
    if (client != null) {
      client.close();
    }
    if (daemon != null) {
      daemon.close();
    }
    if (mountPoint != null) {
      Process p = new ProcessBuilder("umount", mountPoint.toString()).redirectErrorStream(true)
          .start();
      if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
        run("umount", "-l", mountPoint.toString()); // still busy: detach it anyway
      }
    }
    if (home != null) {
      try (var s = Files.walk(home)) {
        s.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      }
    }
  }

  private static void run(String... cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0, String.join(" ", cmd)
        + ": " + out);
  }

  /** Writes to {@code f} until the file system is full. */
  private static void fill(Path f) throws IOException {
    byte[] chunk = new byte[16 * 1024];
    try (OutputStream out = Files.newOutputStream(f)) {
      while (true) {
        out.write(chunk);
      }
    } catch (IOException full) {
      // ENOSPC: the file system is full
    }
  }

  private ObjectNode alias(String name, String key) {
    return Json.object().put("AliasName", name).put("TargetKeyId", key);
  }

  private Set<String> aliases() {
    Set<String> out = new HashSet<>();
    client.call("ListAliases", Json.object().put("Limit", 100)).get("Aliases")
        .forEach(a -> out.add(a.get("AliasName").asText()));
    return out;
  }

  private List<ObjectNode> records(String eventName) throws IOException {
    List<ObjectNode> out = new ArrayList<>();
    new AuditLookup(null, eventName, null, null, null).run(audit,
        line -> out.add(Json.parseObject(line.getBytes(StandardCharsets.UTF_8))));
    return out;
  }

  /** Calls CreateAlias until the daemon notices that the log cannot be written. */
  private void untilRefused(String key) {
    for (int i = 0; i < 200; i++) {
      try {
        client.call("CreateAlias", alias("alias/probe-" + i, key));
      } catch (KmsException e) {
        assertEquals("KMSInternalException", e.errorType(), e.getMessage());
        return;
      }
    }
    throw new AssertionError("the audit file system never filled up");
  }

  private JsonNode waitForService() throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (System.nanoTime() < deadline) {
      try {
        return client.call("GenerateRandom", Json.object().put("NumberOfBytes", 16));
      } catch (KmsException stillFailing) {
        Thread.sleep(200);
      }
    }
    throw new AssertionError("the daemon did not recover once space returned");
  }

  /**
   * A key deleted by maintenance while the log cannot be written keeps its {@code DeleteKey}
   * service event in the outbox, and it reaches the log once the log can be written.
   */
  @Test
  void auditFileSystemFull_maintenanceDeletion_serviceEventReachesLogLater() throws Exception {
    startOnSmallFileSystem(audit);
    String key = client.call("CreateKey", Json.object()).get("KeyMetadata").get("KeyId")
        .asText();
    String probe = client.call("CreateKey", Json.object()).get("KeyMetadata").get("KeyId")
        .asText();
    client.call("ScheduleKeyDeletion", Json.object().put("KeyId", key)
        .put("PendingWindowInDays", 7));
    Path filler = audit.resolve("filler");
    fill(filler);
    untilRefused(probe);
    clock.advance(Duration.ofDays(8));
    daemon.runMaintenance();

    Files.delete(filler);
    waitForService();
    KmsException gone = org.junit.jupiter.api.Assertions.assertThrows(KmsException.class,
        () -> client.call("DescribeKey", Json.object().put("KeyId", key)));
    assertEquals("NotFoundException", gone.errorType());
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    List<ObjectNode> deleted = List.of();
    while (deleted.isEmpty() && System.nanoTime() < deadline) {
      deleted = records("DeleteKey").stream().filter(r -> r.get("resources").toString()
          .contains(key)).toList();
      Thread.sleep(100);
    }
    assertEquals(1, deleted.size(), "the deletion of " + key + " was not audited");
    assertEquals("AwsServiceEvent", deleted.get(0).get("eventType").asText());
    AuditVerifier.Result ok = AuditVerifier.verify(audit, null);
    assertTrue(ok.ok(), ok.summary());
  }

  @Test
  void auditFileSystemFull_refusedChangesNotApplied_appliedOnesAudited_recoversWithoutRestart()
      throws Exception {
    startOnSmallFileSystem(audit);
    String key = client.call("CreateKey", Json.object()).get("KeyMetadata").get("KeyId")
        .asText();
    Path filler = audit.resolve("filler");
    fill(filler);

    List<String> answered = new ArrayList<>();
    List<String> refused = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      String name = "alias/full-" + i;
      try {
        client.call("CreateAlias", alias(name, key));
        answered.add(name);
      } catch (KmsException e) {
        assertEquals("KMSInternalException", e.errorType(), e.getMessage());
        refused.add(name);
      }
    }
    assertFalse(refused.isEmpty(), "the audit file system never filled up");
    KmsException closed = org.junit.jupiter.api.Assertions.assertThrows(KmsException.class,
        () -> client.call("GenerateRandom", Json.object().put("NumberOfBytes", 16)));
    assertEquals("KMSInternalException", closed.errorType());
    assertTrue(closed.getMessage().contains("nothing was done"), closed.getMessage());

    Files.delete(filler);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    JsonNode random = null;
    while (random == null && System.nanoTime() < deadline) {
      try {
        random = client.call("GenerateRandom", Json.object().put("NumberOfBytes", 16));
      } catch (KmsException stillFailing) {
        Thread.sleep(200);
      }
    }
    assertTrue(random != null, "the daemon did not recover once space returned");
    client.call("CreateAlias", alias("alias/after", key));

    Set<String> present = aliases();
    for (String name : refused) {
      assertFalse(present.contains(name), name + " was refused, yet applied");
    }
    assertTrue(present.containsAll(answered), "acknowledged aliases missing: " + answered);
    Set<String> audited = new HashSet<>();
    for (ObjectNode r : records("CreateAlias")) {
      if (!r.has("errorCode")) {
        audited.add(r.get("requestParameters").get("AliasName").asText());
      }
    }
    for (String name : present) {
      assertTrue(audited.contains(name), name + " was applied but has no audit record");
    }
    assertEquals(1, records("AuditLogRecovered").size());
    Set<String> eventIds = new HashSet<>();
    for (ObjectNode r : records(null)) {
      assertTrue(eventIds.add(r.get("eventID").asText()), "recorded twice: " + r);
    }
    AuditVerifier.Result ok = AuditVerifier.verify(audit, null);
    assertTrue(ok.ok(), ok.summary());

    client.close();
    client = null;
    daemon.close();
    daemon = null;
    AuditVerifier.Result afterClose = AuditVerifier.verify(audit, null);
    assertTrue(afterClose.ok(), afterClose.summary());
  }

  /**
   * The whole home (database and audit log) on one file system that fills up: the daemon
   * refuses while it cannot write, changes it could not commit are not applied, and it serves
   * again by itself, {@code GenerateRandom} included, once space returns.
   */
  @Test
  void wholeDiskFull_nothingUnaudited_recoversWithoutRestart() throws Exception {
    startOnSmallFileSystem(home);
    String key = client.call("CreateKey", Json.object()).get("KeyMetadata").get("KeyId")
        .asText();
    Path filler = home.resolve("filler");
    fill(filler);
    List<String> answered = new ArrayList<>();
    List<String> refused = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      String name = "alias/disk-" + i;
      try {
        client.call("CreateAlias", alias(name, key));
        answered.add(name);
      } catch (KmsException e) {
        assertEquals("KMSInternalException", e.errorType(), e.getMessage());
        refused.add(name);
      }
    }
    assertFalse(refused.isEmpty(), "the file system never filled up");

    Files.delete(filler);
    waitForService();
    client.call("CreateAlias", alias("alias/disk-after", key));
    Set<String> present = aliases();
    for (String name : refused) {
      assertFalse(present.contains(name), name + " was refused, yet applied");
    }
    assertTrue(present.containsAll(answered), "acknowledged aliases missing: " + answered);
    Set<String> audited = new HashSet<>();
    for (ObjectNode r : records("CreateAlias")) {
      if (!r.has("errorCode")) {
        audited.add(r.get("requestParameters").get("AliasName").asText());
      }
    }
    for (String name : present) {
      assertTrue(audited.contains(name), name + " was applied but has no audit record");
    }
    AuditVerifier.Result ok = AuditVerifier.verify(audit, null);
    assertTrue(ok.ok(), ok.summary());
  }
}
