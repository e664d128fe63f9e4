package dev.coffer.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.coffer.daemon.config.DaemonConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The daemon refuses a data directory other users could read or write, and any file holding
 * secret or wrapped key material that they could open, saying which {@code chmod} fixes it
 * (issue 14: a home made 0755 let another user open the database).
 */
class DataDirectoryTest {

  private Path home;

  @BeforeEach
  void home() throws IOException {
    home = Files.createTempDirectory(Path.of("/tmp"), "cd");
  }

  @AfterEach
  void clean() throws IOException {
    try (var s = Files.walk(home)) {
      s.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    }
  }

  private void startAndStop() throws IOException {
    Daemon.start(DaemonConfig.forDirectory(home)).close();
  }

  private String refused() {
    return assertThrows(IOException.class, this::startAndStop).getMessage();
  }

  private void chmod(Path p, String mode) throws IOException {
    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(mode));
  }

  @ParameterizedTest(name = "home {0}")
  @CsvSource({"rwxr-xr-x,0755", "rwxrwxrwx,0777", "rwxrwx---,0770", "rwx---r-x,0705",
      "rwx-w----,0720"})
  void homeOthersCouldListOrWriteIsRefused(String mode, String octal) throws IOException {
    chmod(home, mode);
    assertEquals("permissions " + octal + " for '" + home + "' are too open: other users could"
        + " list or replace the files of this data directory; run chmod 700 " + home
        + " (711 if other users reach a socket inside it) and start again", refused());
    chmod(home, "rwx------");
    startAndStop();
  }

  @Test
  void homeOthersCanOnlySearchIsAccepted() throws IOException {
    chmod(home, "rwx--x--x");
    startAndStop();
  }

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource({
      "root.key,rw-r--r--,0644,the root key",
      "root.key,rw-----w-,0602,the root key",
      "coffer.db,rw-r--r--,0644,'wrapped key material, grant tokens and wrapped PINs'",
      "coffer.db,rw-r-----,0640,'wrapped key material, grant tokens and wrapped PINs'",
      "audit-signing-key.p8,rw-r--r--,0644,the audit signing key",
  })
  void secretFileOthersCouldOpenIsRefused(String name, String mode, String octal, String what)
      throws IOException {
    startAndStop();
    Path f = home.resolve(name);
    chmod(f, mode);
    assertEquals("permissions " + octal + " for '" + f + "' are too open: it holds " + what
        + " and must not be accessible by other users; run chmod 600 " + f + " and start again",
        refused());
    chmod(f, "rw-------");
    startAndStop();
  }

  /**
   * The audit tree: with a home at 0711 (allowed) a writable {@code digests/} let another user
   * delete digests, and readable logs let them read the confidential record of every call.
   */
  @ParameterizedTest(name = "{0} {1}")
  @CsvSource({
      "audit,rwxr-xr-x,0755,chmod 700",
      "audit,rwx--x--x,0711,chmod 700",
      "audit/digests,rwxrwxrwx,0777,chmod 700",
      "audit/digests,rwxr-x---,0750,chmod 700",
      "audit/LOG,rw-r--r--,0644,chmod 600",
      "audit/LOG,rw-rw----,0660,chmod 600",
      "audit/digests/digest-00000001.json,rw-r--r--,0644,chmod 600",
      "audit/digests/digest-00000001.json.sig,rw-----w-,0602,chmod 600",
  })
  void auditTreeOthersCouldOpenIsRefused(String name, String mode, String octal, String fix)
      throws IOException {
    chmod(home, "rwx--x--x");
    startAndStop(); // closing writes a digest
    Path f = name.equals("audit/LOG") ? firstLog() : home.resolve(name);
    chmod(f, mode);
    String m = refused();
    assertEquals("permissions " + octal + " for '" + f + "' are too open: it holds ",
        m.substring(0, m.indexOf(" holds ") + 7));
    assertTrue(m.endsWith("must not be accessible by other users; run " + fix + " " + f
        + " and start again"), m);
    chmod(f, fix.endsWith("700") ? "rwx------" : "rw-------");
    startAndStop();
  }

  @Test
  void auditPublicKeyMayBeReadButNotWrittenByOthers() throws IOException {
    startAndStop();
    Path pem = home.resolve("audit/signing-public.pem");
    chmod(pem, "rw-r--r--");
    startAndStop();
    chmod(pem, "rw-rw-rw-");
    assertTrue(refused().endsWith("run chmod go-w " + pem + " and start again"));
  }

  private Path firstLog() throws IOException {
    try (var s = Files.list(home.resolve("audit"))) {
      return s.filter(p -> p.getFileName().toString().endsWith(".jsonl")).sorted().findFirst()
          .orElseThrow();
    }
  }

  /** A journal left by a crash of an older build (SQLite removes them on a clean close). */
  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"coffer.db-wal", "coffer.db-shm", "coffer.db-journal"})
  void journalOthersCouldOpenIsRefused(String name) throws IOException {
    startAndStop();
    Path f = home.resolve(name);
    Files.deleteIfExists(f);
    Files.createFile(f);
    chmod(f, "rw-rw-rw-");
    assertEquals("permissions 0666 for '" + f + "' are too open: it holds recent database"
        + " changes (wrapped key material) and must not be accessible by other users; run chmod"
        + " 600 " + f + " and start again", refused());
  }

  /** Its owner could read it or chmod it whatever its mode: the OpenSSH StrictModes rule. */
  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {".", "root.key", "coffer.db", "audit-signing-key.p8",
      "coffer.properties"})
  void fileOwnedByAnotherUserIsRefused(String name) throws IOException {
    Files.writeString(home.resolve("coffer.properties"), "max-keys = 10\n");
    startAndStop();
    Path f = home.resolve(name).normalize();
    long us = new com.sun.security.auth.module.UnixSystem().getUid();
    assumeTrue(us == 0, "only root can give a file to another user");
    Files.setAttribute(f, "unix:uid", 65534);
    IOException e = assertThrows(IOException.class,
        () -> Daemon.start(DaemonConfig.fromEnvironment(home, home.resolve("coffer.sock"))));
    assertEquals("'" + f + "' is owned by uid 65534, not by the user the daemon runs as (uid "
        + us + "); run chown " + us + " " + f + " and start again", e.getMessage());
    Files.setAttribute(f, "unix:uid", (int) us);
    Daemon.start(DaemonConfig.fromEnvironment(home, home.resolve("coffer.sock"))).close();
  }

  @Test
  void newHomeIsCreatedPrivate() throws IOException {
    Path fresh = home.resolve("a/b");
    Daemon.start(DaemonConfig.forDirectory(fresh)).close();
    assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(fresh)));
  }
}
