package dev.coffer.daemon.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coffer.daemon.Daemon;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code coffer.properties} is read strictly (issue 14): an unknown key, a key set twice or an
 * invalid value stops the daemon, naming the file, the key and the nearest valid key.
 */
class SettingsTest {

  private Path home;
  private Path file;

  @BeforeEach
  void home() throws IOException {
    home = Files.createTempDirectory(Path.of("/tmp"), "cs");
    file = home.resolve("coffer.properties");
  }

  @AfterEach
  void clean() throws IOException {
    try (var s = Files.walk(home)) {
      s.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    }
  }

  private DaemonConfig load(String text) throws IOException {
    Files.writeString(file, text);
    return DaemonConfig.fromEnvironment(home, home.resolve("coffer.sock"));
  }

  private String refused(String text) {
    return assertThrows(IllegalArgumentException.class, () -> load(text)).getMessage();
  }

  @Test
  void misspelledKeyIsRefusedNamingTheNearestValidKey() {
    String m = refused("max-keys = 10\nmax-conections = 5\n");
    assertTrue(m.startsWith("unknown setting 'max-conections' in " + file
        + "; did you mean 'max-connections'?"), m);
    m = refused("storgae=postgresql\n");
    assertTrue(m.startsWith("unknown setting 'storgae' in " + file
        + "; the nearest valid setting is '"), m);
    assertTrue(m.contains("(valid settings: account, admins,"), m);
    m = refused("socketmode=0600\n");
    assertTrue(m.contains("did you mean 'socket-mode'?"), m);
    m = refused("root-key-pkcs11-pin=/x\n");
    assertTrue(m.contains("did you mean 'root-key-pkcs11-pin-file'?"), m);
  }

  @Test
  void nearestIsByEditDistance() {
    assertEquals("max-keys", Settings.nearest("maxkeys", DaemonConfig.SETTINGS));
    assertEquals("region", Settings.nearest("regoin", DaemonConfig.SETTINGS));
    assertEquals("worker-threads", Settings.nearest("worker_threads", DaemonConfig.SETTINGS));
  }

  @ParameterizedTest(name = "{0}={1}")
  @CsvSource(delimiter = '|', value = {
      "max-keys|ten|must be an integer from 1 to 100000000",
      "max-keys|0|must be an integer from 1 to 100000000",
      "max-keys|99999999999|must be an integer from 1 to 100000000",
      "max-keys|''|must be an integer from 1 to 100000000",
      "max-frame-bytes|512|must be an integer from 1024 to 16777216",
      "max-connections|-1|must be an integer from 1 to 65536",
      "worker-threads|4.5|must be an integer from 1 to 1024",
      "deletion-check-seconds|0|must be an integer from 1 to 86400",
      "region|EU-West|must be 1 to 32 of a-z, 0-9 and -",
      "account|12345|must be 12 digits",
      "socket-mode|0644|must be 0600, 0660 or 0666",
      "socket-mode|rw-------|must be 0600, 0660 or 0666",
      "socket-group|a b|must be a group name",
      "admins|root|principals are user/<unix-user>, group/<unix-group> or iam-user/<access-key"
          + " user>, comma-separated",
      "partition|AWS|must be 1 to 32 of a-z, 0-9 and -, starting with a letter (e.g. aws)",
      "partition|coffer|coffer is reserved for Coffer's Unix principals",
  })
  void invalidValueIsRefusedNamingKeyValueAndRule(String key, String value, String rule) {
    String m = refused(key + " = " + value + "\n");
    assertEquals("invalid value '" + value + "' for '" + key + "' in " + file + ": " + rule, m);
  }

  @Test
  void keySetTwiceIsRefused() {
    assertEquals("setting 'max-keys' is set twice in " + file + "; keep one line",
        refused("max-keys=10\nregion=x\nmax-keys=20\n"));
  }

  @Test
  void everyCurrentKeyStillWorks() throws IOException {
    DaemonConfig c = load(String.join("\n", List.of(
        "region = eu-test-1",
        "account = 123456789012",
        "max-keys = 7",
        "max-frame-bytes = 2048",
        "max-connections = 9",
        "worker-threads = 3",
        "deletion-check-seconds = 5",
        "partition = aws-cn",
        "admins = user/alice, group/ops, iam-user/deploy@ci",
        "key-creators = user/bob",
        "socket-mode = 660",
        "socket-group = ops",
        "root-key-store = software",
        "")));
    assertEquals("eu-test-1", c.region());
    assertEquals("123456789012", c.account());
    assertEquals(7, c.maxKeys());
    assertEquals(2048, c.maxFrameBytes());
    assertEquals(9, c.maxConnections());
    assertEquals(3, c.workerThreads());
    assertEquals(Duration.ofSeconds(5), c.deletionCheckInterval());
    assertEquals("aws-cn", c.partition());
    assertEquals(List.of("user/alice", "group/ops", "iam-user/deploy@ci"),
        c.access().administrators());
    assertEquals(List.of("user/bob"), c.access().keyCreators());
    assertEquals("rw-rw----", c.access().socketMode());
    assertEquals("ops", c.access().socketGroup());
    assertEquals(home.resolve("coffer.sock"), c.socket());
  }

  @Test
  void noFileMeansDefaults() throws IOException {
    DaemonConfig c = DaemonConfig.fromEnvironment(home, home.resolve("coffer.sock"));
    assertEquals(DaemonConfig.DEFAULT_MAX_KEYS, c.maxKeys());
    assertEquals("aws", c.partition());
  }

  @Test
  void invalidRootKeyStoreStopsTheDaemon() throws IOException {
    DaemonConfig c = load("root-key-store = softwre\n");
    String m = assertThrows(IllegalArgumentException.class, () -> Daemon.start(c)).getMessage();
    assertEquals("invalid value 'softwre' for 'root-key-store' in " + file
        + ": must be software or pkcs11", m);
    assertTrue(Files.notExists(home.resolve("root.key")));
  }

  @Test
  void fileOthersMayWriteIsRefused() throws IOException {
    Files.writeString(file, "max-keys = 10\n");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-rw-rw-"));
    String m = assertThrows(IOException.class,
        () -> DaemonConfig.fromEnvironment(home, home.resolve("coffer.sock"))).getMessage();
    assertTrue(m.startsWith("permissions 0666 for '" + file + "' are too open"), m);
    assertTrue(m.endsWith("run chmod go-w " + file + " and start again"), m);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
    assertEquals(10, DaemonConfig.fromEnvironment(home, home.resolve("coffer.sock")).maxKeys());
  }
}
