package dev.coffer.daemon.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coffer.daemon.Daemon;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
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
        "admins = user/root, group/adm, iam-user/deploy@ci",
        "key-creators = user/daemon",
        "socket-mode = 660",
        "socket-group = adm",
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
    assertEquals(List.of("user/root", "group/adm", "iam-user/deploy@ci"),
        c.access().administrators());
    assertEquals(List.of("user/daemon"), c.access().keyCreators());
    assertEquals("rw-rw----", c.access().socketMode());
    assertEquals("adm", c.access().socketGroup());
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

  @ParameterizedTest(name = "{0}={1}")
  @CsvSource(delimiter = '|', value = {
      "admins|''|must name at least one user/<name> or group/<name>",
      "admins|' , ,'|must name at least one user/<name> or group/<name>",
      "key-creators|''|must name at least one user/<name> or group/<name>",
  })
  void emptyPrincipalListIsRefused(String key, String value, String rule) {
    String m = refused(key + " = " + value + "\n");
    assertTrue(m.startsWith("invalid value '" + value.trim() + "' for '" + key + "' in " + file
        + ": " + rule), m);
  }

  @ParameterizedTest(name = "{0}={1}")
  @CsvSource(delimiter = '|', value = {
      "admins|user/nonexistentuser|user/nonexistentuser|no such Unix user",
      "admins|user/root, group/nonexistentgrp|group/nonexistentgrp|no such Unix group",
      "key-creators|group/nonexistentgrp|group/nonexistentgrp|no such Unix group",
      "key-creators|user/root,user/nonexistentuser|user/nonexistentuser|no such Unix user",
      "socket-group|nonexistentgrp|nonexistentgrp|no such Unix group",
  })
  void unknownUnixUserOrGroupIsRefusedNamingIt(String key, String value, String entry,
      String rule) {
    String m = refused(key + " = " + value + "\n");
    assertTrue(m.startsWith("invalid value '" + entry + "' for '" + key + "' in " + file + ": "
        + rule), m);
  }

  @Test
  void pkcs11SettingsWithoutThePkcs11StoreAreRefused() throws IOException {
    for (String text : List.of("root-key-pkcs11-library = /nonexistent.so\n",
        "root-key-store = software\nroot-key-pkcs11-pin-file = /x\n",
        "root-key-pkcs11-token-label = t\nroot-key-pkcs11-slot-list-index = 0\n")) {
      DaemonConfig c = load(text);
      String m = assertThrows(IllegalArgumentException.class, () -> Daemon.start(c),
          text).getMessage();
      assertTrue(m.contains("applies only with root-key-store=pkcs11"), m);
      assertTrue(m.startsWith("setting 'root-key-pkcs11-"), m);
      assertTrue(Files.notExists(home.resolve("root.key")), "no software root key created");
    }
  }

  @Test
  void fileIsUtf8_byteOrderMarkTolerated_nonAsciiKept() throws IOException {
    byte[] bom = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};
    byte[] text = "max-keys = 12\nregion = caf\u00e9\n".getBytes(StandardCharsets.UTF_8);
    byte[] all = new byte[bom.length + text.length];
    System.arraycopy(bom, 0, all, 0, 3);
    System.arraycopy(text, 0, all, 3, text.length);
    Files.write(file, all);
    // The BOM is not part of the first key; the non-ASCII value reaches the check intact.
    String m = assertThrows(IllegalArgumentException.class,
        () -> DaemonConfig.fromEnvironment(home, home.resolve("coffer.sock"))).getMessage();
    assertEquals("invalid value 'caf\u00e9' for 'region' in " + file
        + ": must be 1 to 32 of a-z, 0-9 and -", m);
    Files.write(file, java.util.Arrays.copyOf(all, 3 + "max-keys = 12\n".length()));
    assertEquals(12, DaemonConfig.fromEnvironment(home, home.resolve("coffer.sock")).maxKeys());
  }

  @Test
  void malformedUtf8IsRefusedNamingTheFile() throws IOException {
    Files.write(file, new byte[] {'r', 'e', 'g', 'i', 'o', 'n', '=', (byte) 0xE9, '\n'});
    String m = assertThrows(IllegalArgumentException.class,
        () -> DaemonConfig.fromEnvironment(home, home.resolve("coffer.sock"))).getMessage();
    assertEquals(file + " is not valid UTF-8 (malformed byte at offset 7); save it as UTF-8"
        + " and start again", m);
  }
}
