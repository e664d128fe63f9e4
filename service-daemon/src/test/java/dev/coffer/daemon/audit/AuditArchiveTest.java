package dev.coffer.daemon.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.daemon.files.SecureFiles;
import dev.coffer.protocol.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Archiving and retention against real files: the live tree and the archive each verify on
 * their own, and every other removal (a middle file, a larger prefix, the newest file, the
 * archive point, an archived file's content or tail) is reported.
 */
class AuditArchiveTest {

  private Path home;
  private Path dir;
  private Path archive;

  @BeforeEach
  void setUp() throws IOException {
    home = Files.createTempDirectory(Path.of("/tmp"), "arc");
    dir = home.resolve("audit");
    archive = home.resolve("archive-1");
  }

  @AfterEach
  void tearDown() throws IOException {
    try (Stream<Path> s = Files.walk(home)) {
      s.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    }
  }

  private AuditLog open(Clock clock) throws IOException {
    return AuditLog.open(home, dir, "local", "000000000000", clock,
        new AuditLog.Options(8192, Duration.ofMillis(100), Duration.ofHours(1), 1024));
  }

  /** One daemon session: {@code n} events over several 8 KiB files, then closed (sealed). */
  private void session(int n) throws IOException {
    try (AuditLog log = open(Clock.systemUTC())) {
      for (int i = 0; i < n; i++) {
        log.record(AuditLogTest.event(i % 3 == 0 ? "CreateAlias" : "Encrypt", true, i));
      }
    }
  }

  private static ObjectNode by() {
    return Json.object().put("userName", "tester");
  }

  private AuditArchiver archiver() throws IOException {
    return AuditArchiver.open(home, Clock.systemUTC());
  }

  private AuditVerifier.Result verify() throws IOException {
    return AuditVerifier.verify(dir, null);
  }

  private AuditVerifier.Result verifyArchive() throws IOException {
    return AuditVerifier.verifyArchive(archive, null);
  }

  private long records(Path d) throws IOException {
    return new AuditLookup(null, null, null, null, null).run(d, l -> { });
  }

  /** Two sessions; the first one's files are archived (sealed before {@code mid}). */
  private AuditArchiver.Result twoSessionsArchiveFirst() throws Exception {
    session(40);
    Thread.sleep(20);
    Instant mid = Instant.now();
    Thread.sleep(20);
    session(40);
    AuditArchiver.Result r = archiver().archive(mid, archive, by());
    assertNotNull(r.point(), r.message());
    return r;
  }

  @Test
  void archive_movesSealedPrefix_bothTreesVerify_lookupSeesTheRest() throws Exception {
    session(40);
    int firstSession = AuditFiles.logFiles(dir).size();
    long all = records(dir);
    Thread.sleep(20);
    Instant mid = Instant.now();
    Thread.sleep(20);
    session(40);
    long total = records(dir);
    assertTrue(firstSession >= 3, "want several files, got " + firstSession);

    AuditArchiver.Result r = archiver().archive(mid, archive, by());

    assertEquals(firstSession, r.logFiles(), r.message());
    assertEquals(firstSession, AuditFiles.logFiles(archive).size());
    assertEquals(1L, (long) AuditFiles.logFiles(dir).firstKey() - firstSession);
    AuditVerifier.Result live = verify();
    assertTrue(live.ok(), live.summary());
    assertTrue(live.summary().contains("starts after signed archive point 1"), live.summary());
    AuditVerifier.Result arch = verifyArchive();
    assertTrue(arch.ok(), arch.summary());
    assertTrue(arch.summary().contains("ends at signed archive point 1"), arch.summary());
    assertEquals(all, arch.records());
    assertEquals(total - all, records(dir));
    assertEquals(all, records(archive));
    // Explicit modes, whatever the umask: the archive is as private as the live log.
    assertEquals("0700", SecureFiles.octal(Files.getPosixFilePermissions(archive)));
    for (Path f : AuditFiles.logFiles(archive).values()) {
      assertEquals("0600", SecureFiles.octal(Files.getPosixFilePermissions(f)));
    }
    // The daemon continues the chain after the archive, and verification still passes.
    session(5);
    assertTrue(verify().ok(), verify().summary());
  }

  @Test
  void archiveWhileTheLogIsOpen_openFileWithoutDigestYet_verifies() throws Exception {
    try (AuditLog log = open(Clock.systemUTC())) {
      for (int i = 0; i < 20; i++) {
        log.record(AuditLogTest.event("CreateAlias", true, i));
      }
      // The open file has records and no digest yet (interim digests come every hour here).
      archiver().archive(Instant.now().plusSeconds(1), archive, by());
      AuditVerifier.Result v = verify();
      assertTrue(v.ok(), v.summary());
      assertTrue(v.unsignedRecords() > 0, v.summary());
      log.record(AuditLogTest.event("CreateAlias", true, 99));
    }
    assertTrue(verify().ok(), verify().summary());
    assertTrue(verifyArchive().ok(), verifyArchive().summary());
  }

  @Test
  void everyRecordArchived_restartContinuesTheChainFromTheArchivePoint() throws Exception {
    session(40);
    try (AuditLog empty = open(Clock.systemUTC())) {
      // a start and a stop with no request: the newest file is empty
    }
    archiver().archive(Instant.now().plusSeconds(1), archive, by());
    assertEquals(0, records(dir), "only the empty newest file is left");
    session(3); // recovers the chain with no record left in the live files
    AuditVerifier.Result v = verify();
    assertTrue(v.ok(), v.summary());
    assertEquals(3, v.records());
  }

  @Test
  void nothingSealedBeforeDate_nothingArchived_newestFileNeverTaken() throws Exception {
    session(40);
    Instant before = AuditFiles.logStart(AuditFiles.logFiles(dir).firstEntry().getValue()
        .getFileName().toString()).minusSeconds(5);
    AuditArchiver.Result r = archiver().archive(before, archive, by());
    assertEquals(null, r.point(), r.message());
    assertTrue(r.message().startsWith("nothing to archive"), r.message());
    int files = AuditFiles.logFiles(dir).size();
    r = archiver().archive(Instant.now().plusSeconds(3600), archive, by());
    assertEquals(files - 1, r.logFiles());
    assertEquals(1, AuditFiles.logFiles(dir).size(), "the newest file stays");
    assertTrue(verify().ok(), verify().summary());
    assertTrue(verifyArchive().ok(), verifyArchive().summary());
  }

  @Test
  void live_middleFileDeleted_detected() throws Exception {
    twoSessionsArchiveFirst();
    TreeMap<Long, Path> logs = AuditFiles.logFiles(dir);
    Files.delete(logs.get(logs.firstKey() + 1));
    String p = verify().problem();
    assertTrue(p != null && p.startsWith("missing log file audit-"), p);
  }

  @Test
  void live_newestSealedFileDeleted_detected() throws Exception {
    twoSessionsArchiveFirst();
    Files.delete(AuditFiles.logFiles(dir).lastEntry().getValue());
    String p = verify().problem();
    assertTrue(p != null && p.startsWith("missing log file audit-"), p);
  }

  @Test
  void live_morePrefixRemovedThanArchived_detected() throws Exception {
    twoSessionsArchiveFirst();
    // Remove the oldest remaining file and its digests too, as an archive would have.
    Path oldest = AuditFiles.logFiles(dir).firstEntry().getValue();
    String name = oldest.getFileName().toString();
    Files.delete(oldest);
    for (Path d : AuditFiles.digestFiles(dir).values()) {
      if (Files.readString(d).contains("\"logFile\":\"" + name + "\"")) {
        Files.delete(d);
        Files.delete(d.resolveSibling(d.getFileName() + ".sig"));
      }
    }
    String p = verify().problem();
    assertTrue(p != null && p.startsWith("missing log files: the log starts at")
        && p.contains("no signed archive point ends at file sequence"), p);
  }

  @Test
  void live_archivePointRemoved_detected() throws Exception {
    AuditArchiver.Result r = twoSessionsArchiveFirst();
    Path point = dir.resolve("digests").resolve(r.point().name());
    Files.delete(point);
    Files.delete(point.resolveSibling(point.getFileName() + ".sig"));
    String p = verify().problem();
    assertTrue(p != null && p.startsWith("missing log files: the log starts at"), p);
  }

  @Test
  void live_archivePointForged_detected() throws Exception {
    AuditArchiver.Result r = twoSessionsArchiveFirst();
    Path point = dir.resolve("digests").resolve(r.point().name());
    Files.writeString(point, Files.readString(point).replace("\"lastSequence\":",
        "\"lastSequence\":1"));
    String p = verify().problem();
    assertTrue(p != null && p.startsWith("bad signature on archive point archive-point-"), p);
  }

  @Test
  void archive_fileAltered_detected() throws Exception {
    twoSessionsArchiveFirst();
    Path f = AuditFiles.logFiles(archive).firstEntry().getValue();
    Files.writeString(f, Files.readString(f).replaceFirst("CreateAlias", "DeleteAlias"));
    String p = verifyArchive().problem();
    assertTrue(p != null && p.startsWith("altered record: audit-"), p);
  }

  @Test
  void archive_fileTruncated_detected() throws Exception {
    twoSessionsArchiveFirst();
    Path f = AuditFiles.logFiles(archive).firstEntry().getValue();
    byte[] b = Files.readAllBytes(f);
    Files.write(f, java.util.Arrays.copyOf(b, b.length - 40));
    String p = verifyArchive().problem();
    assertTrue(p != null && p.startsWith("truncated: audit-"), p);
  }

  @Test
  void archive_newestFileAndItsDigestsRemoved_detected() throws Exception {
    twoSessionsArchiveFirst();
    Path newest = AuditFiles.logFiles(archive).lastEntry().getValue();
    String name = newest.getFileName().toString();
    Files.delete(newest);
    for (Path d : AuditFiles.digestFiles(archive).values()) {
      if (Files.readString(d).contains("\"logFile\":\"" + name + "\"")) {
        Files.delete(d);
        Files.delete(d.resolveSibling(d.getFileName() + ".sig"));
      }
    }
    String p = verifyArchive().problem();
    assertTrue(p != null && p.startsWith("incomplete archive: it ends at log file sequence"), p);
  }

  @Test
  void archive_archivePointRemoved_detected() throws Exception {
    AuditArchiver.Result r = twoSessionsArchiveFirst();
    Path point = archive.resolve("digests").resolve(r.point().name());
    Files.delete(point);
    String p = verifyArchive().problem();
    assertTrue(p != null && p.startsWith("incomplete archive") && p.contains("was removed"), p);
  }

  @Test
  void liveTreeThatDoesNotVerify_isNotArchived() throws Exception {
    session(40);
    Path f = AuditFiles.logFiles(dir).firstEntry().getValue();
    Files.writeString(f, Files.readString(f).replaceFirst("CreateAlias", "DeleteAlias"));
    int files = AuditFiles.logFiles(dir).size();
    AuditArchiver.Refused e = assertThrows(AuditArchiver.Refused.class,
        () -> archiver().archive(Instant.now().plusSeconds(60), archive, by()));
    assertTrue(e.getMessage().startsWith("the live audit log does not verify"), e.getMessage());
    assertEquals(files, AuditFiles.logFiles(dir).size());
  }

  @Test
  void archiveIntoTheLiveTreeThroughASymlink_refused() throws Exception {
    session(40);
    Thread.sleep(20);
    Instant mid = Instant.now();
    session(5);
    Path intoLive = Files.createSymbolicLink(home.resolve("link-to-audit"), dir);
    Path toHome = Files.createSymbolicLink(home.resolve("link-to-home"), home);
    for (Path to : List.of(intoLive.resolve("x"), intoLive.resolve("digests"), toHome,
        toHome.resolve("audit/y/z"))) {
      AuditArchiver.Refused e = assertThrows(AuditArchiver.Refused.class,
          () -> archiver().archive(mid, to, by()), to.toString());
      assertTrue(e.getMessage().contains("live audit log"), e.getMessage());
    }
    assertFalse(Files.exists(dir.resolve("x")));
    assertTrue(verify().ok(), verify().summary());
  }

  @Test
  void secondArchive_extendsTheSameDirectory_otherNonEmptyDirectoryRefused() throws Exception {
    twoSessionsArchiveFirst();
    Thread.sleep(20);
    Instant mid = Instant.now();
    session(20);
    Path other = home.resolve("other");
    Files.createDirectories(other.resolve("digests"));
    Files.copy(AuditFiles.logFiles(dir).lastEntry().getValue(), other.resolve(
        AuditFiles.logFiles(dir).lastEntry().getValue().getFileName()));
    assertThrows(AuditArchiver.Refused.class, () -> archiver().archive(mid, other, by()));

    AuditArchiver.Result r = archiver().archive(mid, archive, by());
    assertEquals(2, r.point().sequence(), r.message());
    assertTrue(verify().ok(), verify().summary());
    AuditVerifier.Result a = verifyArchive();
    assertTrue(a.ok() && a.summary().contains("ends at signed archive point 2"), a.summary());
    // A new archive directory for a later range starts at an archive point and verifies alone.
    Thread.sleep(20);
    Instant later = Instant.now();
    session(20);
    archive = home.resolve("archive-2");
    archiver().archive(later, archive, by());
    AuditVerifier.Result b = verifyArchive();
    assertTrue(b.ok() && b.summary().contains("starts after signed archive point 2"),
        b.summary());
    assertTrue(verify().ok(), verify().summary());
  }

  @Test
  void interruptedArchive_verifiesAndIsFinishedByTheNextRun() throws Exception {
    AuditArchiver.Result r = twoSessionsArchiveFirst();
    // The state a kill between writing the point and deleting leaves: the files are back.
    for (Path f : AuditFiles.logFiles(archive).values()) {
      Files.copy(f, dir.resolve(f.getFileName()), StandardCopyOption.COPY_ATTRIBUTES);
    }
    List<Path> digests = new ArrayList<>(AuditFiles.digestFiles(archive).values());
    for (Path d : digests) {
      for (Path x : List.of(d, d.resolveSibling(d.getFileName() + ".sig"))) {
        Files.copy(x, dir.resolve("digests").resolve(x.getFileName()),
            StandardCopyOption.COPY_ATTRIBUTES);
      }
    }
    assertTrue(verify().ok(), verify().summary());
    AuditArchiver.Result again = archiver().archive(Instant.now(), archive, by());
    assertTrue(again.message().startsWith("finished the interrupted archive point 1"),
        again.message());
    assertEquals(r.logFiles(), again.logFiles());
    assertTrue(verify().ok(), verify().summary());
    assertTrue(verifyArchive().ok(), verifyArchive().summary());
  }

  @Test
  void retention_deletesOnlyClosedFilesPastIt_recordsItOnce_openFileKept() throws Exception {
    session(40);
    int sealed = AuditFiles.logFiles(dir).size();
    // Two days later, with one day of retention: every sealed file is past it.
    Clock later = Clock.offset(Clock.systemUTC(), Duration.ofDays(2));
    try (AuditLog log = open(later)) {
      log.record(AuditLogTest.event("CreateAlias", true, 1));
      Path open = AuditFiles.logFiles(dir).lastEntry().getValue();
      AuditRetention retention = new AuditRetention(log, Duration.ofDays(1), later);
      retention.run();
      retention.run();
      TreeMap<Long, Path> left = AuditFiles.logFiles(dir);
      assertEquals(1, left.size(), "only the open file is left: " + left);
      assertEquals(open, left.firstEntry().getValue());
      assertEquals(sealed + 1, left.firstKey());
      // A retention of three days would have deleted nothing.
      new AuditRetention(log, Duration.ofDays(3), later).run();
      assertEquals(1, AuditFiles.logFiles(dir).size());
    }
    AuditVerifier.Result v = verify();
    assertTrue(v.ok(), v.summary());
    long expired = new AuditLookup(null, "AuditLogExpired", null, null, null).run(dir, l -> {
      ObjectNode rec = Json.parseObject(l.getBytes(StandardCharsets.UTF_8));
      assertEquals("deleted", rec.path("requestParameters").path("action").asText());
      assertEquals(sealed, rec.path("requestParameters").path("logFiles").asInt());
      assertEquals("AwsServiceEvent", rec.path("eventType").asText());
    });
    assertEquals(1, expired, "the retention pass is recorded exactly once");
  }

  @Test
  void archiveByTheCli_recordedByTheDaemonOnItsNextPass_once() throws Exception {
    AuditArchiver.Result r = twoSessionsArchiveFirst();
    try (AuditLog log = open(Clock.systemUTC())) {
      AuditRetention pass = new AuditRetention(log, null, Clock.systemUTC());
      pass.run();
      pass.run();
      new AuditRetention(log, null, Clock.systemUTC()).run(); // as after a restart
    }
    List<ObjectNode> recs = new ArrayList<>();
    new AuditLookup(null, "AuditLogArchived", null, null, null).run(dir,
        l -> recs.add(Json.parseObject(l.getBytes(StandardCharsets.UTF_8))));
    assertEquals(1, recs.size());
    assertEquals(r.archiveId(), recs.get(0).path("eventID").asText());
    assertEquals("tester", recs.get(0).path("requestParameters").path("by").path("userName")
        .asText());
    assertFalse(recs.get(0).path("requestParameters").path("destination").isNull());
    assertTrue(verify().ok(), verify().summary());
  }
}
