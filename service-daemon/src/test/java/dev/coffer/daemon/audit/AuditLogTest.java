package dev.coffer.daemon.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.daemon.identity.UnixPeer;
import dev.coffer.protocol.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The log writer and the verifier on their own: durability, rotation, tampering, recovery. */
class AuditLogTest {

  private static final UnixPeer ALICE =
      new UnixPeer(1000, 1000, 42, "alice", Set.of("alice", "staff"));
  private static final String ARN = "arn:coffer:local:000000000000:key/1234abcd-0000-0000-0000-"
      + "000000000001";
  private Path home;
  private Path dir;

  @BeforeEach
  void setUp() throws IOException {
    home = Files.createTempDirectory(Path.of("/tmp"), "aud");
    dir = home.resolve("audit");
  }

  @AfterEach
  void tearDown() throws IOException {
    try (Stream<Path> s = Files.walk(home)) {
      s.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    }
  }

  private AuditLog open(long maxFileBytes) throws IOException {
    return AuditLog.open(home, dir, "local", "000000000000", Clock.systemUTC(),
        new AuditLog.Options(maxFileBytes, Duration.ofMillis(100), Duration.ofHours(1), 1024));
  }

  static AuditEvent event(String name, boolean management, int i) {
    ObjectNode in = Json.object();
    in.put("KeyId", ARN);
    in.putObject("EncryptionContext").put("n", Integer.toString(i));
    return new AuditEvent(Instant.now(), name, ALICE, i, in, Json.object(), null, null,
        List.of(ARN), management, !management);
  }

  private AuditVerifier.Result verify() throws IOException {
    return AuditVerifier.verify(dir, null);
  }

  /** Writes {@code n} events over several small files and closes the log (sealed). */
  private void writeSealed(int n) throws IOException {
    try (AuditLog log = open(8192)) {
      for (int i = 0; i < n; i++) {
        log.record(event(i % 3 == 0 ? "CreateAlias" : "Encrypt", i % 3 == 0, i));
      }
    }
  }

  private Path logFile(int fileSeq) throws IOException {
    return AuditFiles.logFiles(dir).get((long) fileSeq);
  }

  private static List<String> lines(Path f) throws IOException {
    return new ArrayList<>(Files.readAllLines(f, StandardCharsets.UTF_8));
  }

  private static void write(Path f, List<String> lines) throws IOException {
    Files.writeString(f, String.join("\n", lines) + "\n", StandardCharsets.UTF_8);
  }

  @Test
  void managementEvent_inFileWhenRecordReturns() throws IOException {
    try (AuditLog log = open(1 << 20)) {
      log.record(event("CreateAlias", true, 7));
      // No close, no wait: the record call itself made it durable.
      String text = Files.readString(logFile(1));
      assertTrue(text.contains("\"eventName\":\"CreateAlias\""), text);
      assertTrue(text.endsWith("\"}\n"));
    }
  }

  @Test
  void cryptoEvent_returnsAtOnce_onDiskWithinBound() throws Exception {
    assertBatched(event("Decrypt", false, 1));
  }

  @Test
  void readOnlyManagementEvent_inFileWhenRecordReturns() throws IOException {
    ObjectNode in = Json.object().put("KeyId", ARN);
    AuditEvent describe = new AuditEvent(Instant.now(), "DescribeKey", ALICE, 3, in, null, null,
        null, List.of(ARN), true, true);
    try (AuditLog log = open(1 << 20)) {
      log.record(describe);
      // No close, no wait: a management read is on disk before the daemon answers it.
      assertTrue(lines(logFile(1)).stream().anyMatch(
          l -> l.contains("\"eventName\":\"DescribeKey\"")
              && l.contains("\"managementEvent\":true") && l.contains("\"readOnly\":true")));
    }
  }

  /** {@code e} is queued without waiting for the disk, and written within the 100 ms bound. */
  private void assertBatched(AuditEvent e) throws Exception {
    try (AuditLog log = open(1 << 20)) {
      long t0 = System.nanoTime();
      log.record(e);
      long took = System.nanoTime() - t0;
      assertTrue(took < Duration.ofMillis(50).toNanos(), "record blocked " + took + " ns");
      long deadline = System.nanoTime() + Duration.ofSeconds(2).toNanos();
      while (!Files.readString(logFile(1)).contains(e.eventName())) {
        assertTrue(System.nanoTime() < deadline, e.eventName() + " event never written");
        Thread.sleep(10);
      }
      assertTrue(System.nanoTime() - t0 < Duration.ofMillis(1000).toNanos());
    }
  }

  @Test
  void untouchedLog_verifiesAcrossRotationsAndRestart() throws IOException {
    writeSealed(60);
    writeSealed(40);
    AuditVerifier.Result r = verify();
    assertTrue(r.ok(), r.summary());
    assertEquals(100, r.records());
    assertTrue(r.logFiles() >= 4, r.summary());
    assertEquals(0, r.unsignedRecords());
  }

  @Test
  void filesAndDirectory_privateModes() throws IOException {
    writeSealed(5);
    assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)));
    assertEquals("rw-------",
        PosixFilePermissions.toString(Files.getPosixFilePermissions(logFile(1))));
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(
        home.resolve(AuditSigningKey.PRIVATE_FILE))));
  }

  @Test
  void editedRecord_reportedWithFileAndLine() throws IOException {
    writeSealed(30);
    Path f = logFile(2);
    List<String> l = lines(f);
    l.set(1, l.get(1).replace("\"alice\"", "\"mallory\""));
    write(f, l);
    AuditVerifier.Result r = verify();
    assertFalse(r.ok());
    assertTrue(r.problem().startsWith("altered record: " + f.getFileName() + " line 2 "),
        r.problem());
  }

  @Test
  void editedAndRehashedRecords_reportedByTheSignedDigest() throws IOException {
    writeSealed(30);
    Path f = logFile(2);
    List<String> l = lines(f);
    String prev = l.get(0).replaceAll(".*\"previousHash\":\"([0-9a-f]{64})\".*", "$1");
    // Rewrite the whole file with a consistent chain, as an attacker without the key could.
    for (int i = 0; i < l.size(); i++) {
      String body = l.get(i).substring(0, l.get(i).length() - AuditFiles.HASH_SUFFIX)
          .replaceAll("\"previousHash\":\"[0-9a-f]{64}\"$", "\"previousHash\":\"" + prev + "\"")
          .replace("\"alice\"", "\"mallory\"");
      var md = AuditRecords.sha256();
      md.update(AuditFiles.HEX.parseHex(prev));
      md.update((body + "}").getBytes(StandardCharsets.UTF_8));
      prev = AuditFiles.HEX.formatHex(md.digest());
      l.set(i, body + ",\"hash\":\"" + prev + "\"}");
    }
    write(f, l);
    AuditVerifier.Result r = verify();
    assertFalse(r.ok());
    assertTrue(r.problem().startsWith("altered file: " + f.getFileName()), r.problem());
  }

  @Test
  void deletedRecord_reportedAsMissingWithSequence() throws IOException {
    writeSealed(30);
    Path f = logFile(2);
    List<String> l = lines(f);
    long seq = Json.parseObject(l.get(1).getBytes(StandardCharsets.UTF_8))
        .get("sequence").asLong();
    l.remove(1);
    write(f, l);
    AuditVerifier.Result r = verify();
    assertFalse(r.ok());
    assertEquals("missing record: sequence " + seq + " absent before " + f.getFileName()
        + " line 2", r.problem());
  }

  @Test
  void reorderedRecords_reported() throws IOException {
    writeSealed(30);
    Path f = logFile(2);
    List<String> l = lines(f);
    String a = l.get(0);
    l.set(0, l.get(1));
    l.set(1, a);
    write(f, l);
    AuditVerifier.Result r = verify();
    assertFalse(r.ok());
    assertTrue(r.problem().startsWith("reordered records: " + f.getFileName() + " line 1"),
        r.problem());
    assertTrue(r.problem().endsWith("comes later, at line 2"), r.problem());
  }

  @Test
  void fileTruncatedMidRecord_reported() throws IOException {
    writeSealed(30);
    Path f = logFile(1);
    byte[] b = Files.readAllBytes(f);
    Files.write(f, java.util.Arrays.copyOf(b, b.length - 40));
    AuditVerifier.Result r = verify();
    assertFalse(r.ok());
    assertTrue(r.problem().startsWith("truncated: " + f.getFileName()
        + " ends in an incomplete record"), r.problem());
  }

  @Test
  void lastRecordsOfFileRemoved_reportedAsTruncated() throws IOException {
    writeSealed(30);
    Path f = logFile(1);
    List<String> l = lines(f);
    int had = l.size();
    write(f, l.subList(0, had - 2));
    AuditVerifier.Result r = verify();
    assertFalse(r.ok());
    assertTrue(r.problem().startsWith("truncated: " + f.getFileName() + " has " + (had - 2)
        + " record(s) but its signed digest"), r.problem());
  }

  @Test
  void deletedFile_reportedByName() throws IOException {
    writeSealed(30);
    Path f = logFile(2);
    Files.delete(f);
    AuditVerifier.Result r = verify();
    assertFalse(r.ok());
    assertTrue(r.problem().startsWith("missing log file " + f.getFileName()), r.problem());
  }

  @Test
  void alteredDigest_badSignature() throws IOException {
    writeSealed(30);
    Path d = AuditFiles.digestFiles(dir).get(2L);
    Files.writeString(d, Files.readString(d).replace("\"final\":true", "\"final\":false"));
    AuditVerifier.Result r = verify();
    assertFalse(r.ok());
    assertEquals("bad signature on digest digest-00000002.json (the digest was altered or"
        + " signed by another key)", r.problem());
  }

  @Test
  void deletedDigest_reported() throws IOException {
    writeSealed(30);
    Path d = AuditFiles.digestFiles(dir).get(2L);
    Files.delete(d);
    Files.delete(d.resolveSibling(d.getFileName() + ".sig"));
    AuditVerifier.Result r = verify();
    assertFalse(r.ok());
    assertTrue(r.problem().startsWith("missing digest file digest-00000002.json"), r.problem());
  }

  @Test
  void otherPublicKeyPinned_badSignature() throws Exception {
    writeSealed(5);
    var other = java.security.KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    AuditVerifier.Result r = AuditVerifier.verify(dir, other.getPublic());
    assertFalse(r.ok());
    assertTrue(r.problem().startsWith("bad signature on digest digest-00000001.json"),
        r.problem());
  }

  @Test
  void tornFinalLineAfterCrash_cutAndRecorded_chainContinues() throws IOException {
    writeSealed(10);
    // Make it look like a crash: no final digest for the last file, half a record at its end.
    var digests = AuditFiles.digestFiles(dir);
    Path lastDigest = digests.lastEntry().getValue();
    Files.delete(lastDigest);
    Files.delete(lastDigest.resolveSibling(lastDigest.getFileName() + ".sig"));
    Path last = AuditFiles.logFiles(dir).lastEntry().getValue();
    String torn = "{\"eventVersion\":\"1.08\",\"userIdentity\":{\"ty";
    Files.writeString(last, torn, StandardOpenOption.APPEND);
    try (AuditLog log = open(2048)) {
      log.record(event("CreateAlias", true, 99));
    }
    AuditVerifier.Result r = verify();
    assertTrue(r.ok(), r.summary());
    assertEquals(12, r.records());
    List<String> found = new ArrayList<>();
    new AuditLookup(null, "AuditLogRecovered", null, null, null).run(dir, found::add);
    assertEquals(1, found.size());
    ObjectNode rec = Json.parseObject(found.get(0).getBytes(StandardCharsets.UTF_8));
    assertEquals("AwsServiceEvent", rec.get("eventType").asText());
    assertEquals(torn.length(), rec.at("/requestParameters/truncatedBytes").asInt());
    assertEquals(last.getFileName().toString(), rec.at("/requestParameters/logFile").asText());
  }

  @Test
  void concurrentLoad_groupCommitCoversManyEventsPerFsync() throws Exception {
    int threads = 8;
    int perThread = 5000;
    AuditLog log = AuditLog.open(home, dir, "local", "000000000000", Clock.systemUTC(),
        new AuditLog.Options(16L << 20, Duration.ofMillis(100), Duration.ofMillis(200), 1 << 16));
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    long t0 = System.nanoTime();
    try {
      List<Future<?>> fs = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int tt = t;
        fs.add(pool.submit(() -> {
          for (int i = 0; i < perThread; i++) {
            log.record(event(i % 100 == 0 ? "TagResource" : "Encrypt", i % 100 == 0,
                tt * perThread + i));
          }
        }));
      }
      for (Future<?> f : fs) {
        f.get();
      }
    } finally {
      pool.shutdown();
      log.close();
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    int events = threads * perThread;
    System.out.printf("audit: %d events in %.2f s (%.0f/s), %d fsyncs%n", events, seconds,
        events / seconds, log.syncs());
    assertTrue(log.syncs() < events / 10, "fsyncs: " + log.syncs());
    AuditVerifier.Result r = verify();
    assertTrue(r.ok(), r.summary());
    assertEquals(events, r.records());
  }

  @Test
  void closedLog_refusesRecords() throws IOException {
    AuditLog log = open(1 << 20);
    log.close();
    try {
      log.record(event("Encrypt", false, 1));
      throw new AssertionError("record after close must fail");
    } catch (IllegalStateException expected) {
      // the daemon withholds the answer
    }
  }
}
