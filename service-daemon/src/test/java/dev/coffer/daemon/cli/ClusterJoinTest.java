package dev.coffer.daemon.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.daemon.Daemon;
import dev.coffer.daemon.TestDaemon;
import dev.coffer.daemon.config.DaemonConfig;
import dev.coffer.daemon.keystore.RootKeyTransfer;
import dev.coffer.protocol.DaemonClient;
import dev.coffer.protocol.Json;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code coffer cluster join-request / export-root-key / join} between real, separate homes, and
 * the root key probe that stops a node with another root key from starting on the cluster's
 * database (a copy of node A's database file, as a second node of a cluster shares it).
 */
class ClusterJoinTest {

  private final List<Path> dirs = new ArrayList<>();
  private TestDaemon a;
  private String keyId;
  private byte[] ciphertext;

  @BeforeEach
  void nodeAWithACiphertext() throws IOException {
    a = new TestDaemon();
    keyId = a.createKey();
    ciphertext = TestDaemon.bytes(a.call("Encrypt", "KeyId", keyId, "Plaintext",
        Json.MAPPER.valueToTree("secret".getBytes(StandardCharsets.UTF_8)))
        .get("CiphertextBlob"));
    a.client.close();
    a.daemon.close(); // its files stay until tearDown
  }

  @AfterEach
  void tearDown() throws IOException {
    for (Path d : dirs) {
      try (var files = Files.walk(d)) {
        files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      }
    }
    try (var files = Files.walk(a.home)) {
      files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    }
  }

  private Path newDir() throws IOException {
    Path d = Files.createTempDirectory(Path.of("/tmp"), "cj");
    dirs.add(d);
    return d;
  }

  private record Run(int code, String out, String err) {}

  private static Run cli(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = new CofferCli(new PrintWriter(out, true), new PrintWriter(err, true)).run(args);
    return new Run(code, out.toString(), err.toString());
  }

  private static Run ok(String... args) {
    Run r = cli(args);
    assertEquals(0, r.code, () -> String.join(" ", args) + ": " + r.err);
    return r;
  }

  /** join-request on {@code home}, export from A for it: the wrapped file. */
  private Path wrappedFor(Path home) throws IOException {
    Path pub = newDir().resolve("join.pem");
    ok("cluster", "join-request", "--home", home.toString(), "--out", pub.toString());
    Path wrapped = pub.resolveSibling("wrapped.pem");
    ok("cluster", "export-root-key", "--home", a.home.toString(), "--public-key", pub.toString(),
        "--out", wrapped.toString());
    return wrapped;
  }

  private static void copyDatabase(Path from, Path to) throws IOException {
    try (var files = Files.list(from)) {
      for (Path f : files.filter(f -> f.getFileName().toString().startsWith("coffer.db"))
          .toList()) {
        Files.copy(f, to.resolve(f.getFileName()), StandardCopyOption.COPY_ATTRIBUTES);
      }
    }
  }

  private static String mode(Path f) throws IOException {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(f));
  }

  /** Starts a daemon on {@code home} and decrypts A's ciphertext there. */
  private void decryptsOn(Path home) throws IOException {
    try (Daemon b = Daemon.start(DaemonConfig.forDirectory(home));
        DaemonClient client = new DaemonClient(b.socket(), 2, Duration.ofSeconds(20))) {
      ObjectNode in = Json.object();
      in.put("CiphertextBlob", ciphertext);
      byte[] plain = TestDaemon.bytes(client.call("Decrypt", in).get("Plaintext"));
      assertEquals("secret", new String(plain, StandardCharsets.UTF_8));
    }
  }

  @Test
  void joinGivesTheSameRootKey_andNodeBDecryptsNodeAsCiphertext() throws IOException {
    Path b = newDir();
    Path pub = newDir().resolve("join.pem");
    Run request = ok("cluster", "join-request", "--home", b.toString(), "--out", pub.toString());
    assertTrue(request.err.contains("fingerprint SHA-256 "), request.err);
    assertEquals("rw-------", mode(b.resolve("cluster-join.p8")));
    assertTrue(Files.readString(pub).startsWith("-----BEGIN PUBLIC KEY-----"));

    Run export = ok("cluster", "export-root-key", "--home", a.home.toString(),
        "--public-key", pub.toString());
    assertTrue(export.out.startsWith("-----BEGIN COFFER WRAPPED ROOT KEY-----"), export.out);
    Path wrapped = pub.resolveSibling("wrapped.pem");
    Files.writeString(wrapped, export.out);

    Run join = ok("cluster", "join", "--home", b.toString(), "--wrapped-root-key",
        wrapped.toString());
    byte[] rootA = Files.readAllBytes(a.home.resolve("root.key"));
    assertArrayEquals(rootA, Files.readAllBytes(b.resolve("root.key")));
    String check = RootKeyTransfer.shortCheckValue(RootKeyTransfer.checkValue(rootA));
    assertTrue(join.out.contains("check value " + check), join.out);
    assertTrue(export.err.contains("check value " + check), export.err);
    assertEquals("rw-------", mode(b.resolve("root.key")));
    assertFalse(Files.exists(b.resolve("cluster-join.p8")), "the join key is deleted");

    // Joining again with the same root key changes nothing and says so (no join key left).
    Run again = cli("cluster", "join", "--home", b.toString(), "--wrapped-root-key",
        wrapped.toString());
    assertEquals(ClusterCommands.EXIT_REFUSED, again.code);
    assertTrue(again.err.contains("cluster-join.p8 does not exist"), again.err);

    copyDatabase(a.home, b);
    decryptsOn(b);
  }

  @Test
  void wrappedFileFormat_versionFingerprintCheckValue() throws Exception {
    Path b = newDir();
    Path wrapped = wrappedFor(b);
    byte[] raw = RootKeyTransfer.dearmour(Files.readString(wrapped));
    assertEquals(1 + 32 + 32 + 384 + 40, raw.length);
    assertEquals(1, raw[0]);
    byte[] check = RootKeyTransfer.checkValue(Files.readAllBytes(a.home.resolve("root.key")));
    assertArrayEquals(check, java.util.Arrays.copyOfRange(raw, 33, 65));
    assertEquals("rw-------", mode(wrapped));
  }

  @Test
  void alteredWrappedFileIsRefused_andNoRootKeyWritten() throws Exception {
    Path b = newDir();
    Path wrapped = wrappedFor(b);
    byte[] raw = RootKeyTransfer.dearmour(Files.readString(wrapped));
    // A byte of each part: the check value, the RSA-OAEP part, the AES-KWP part; the version.
    for (int offset : new int[] {40, 100, raw.length - 5, 0}) {
      byte[] changed = raw.clone();
      changed[offset] ^= 0x01;
      Path bad = wrapped.resolveSibling("bad.pem");
      Files.writeString(bad, RootKeyTransfer.armour(changed));
      Run r = cli("cluster", "join", "--home", b.toString(), "--wrapped-root-key", bad.toString());
      assertEquals(ClusterCommands.EXIT_REFUSED, r.code, "offset " + offset + ": " + r.err);
      assertTrue(r.err.contains(offset == 0 ? "not a version-1 wrapped root key"
          : "altered or damaged"), r.err);
      assertFalse(Files.exists(b.resolve("root.key")));
      assertTrue(Files.exists(b.resolve("cluster-join.p8")), "the join key is kept for a retry");
    }
    Files.writeString(wrapped.resolveSibling("junk.pem"), "hello\n");
    Run junk = cli("cluster", "join", "--home", b.toString(), "--wrapped-root-key",
        wrapped.resolveSibling("junk.pem").toString());
    assertEquals(ClusterCommands.EXIT_REFUSED, junk.code);
    assertTrue(junk.err.contains("not a wrapped root key"), junk.err);
  }

  @Test
  void wrappedForAnotherNodeIsRefused() throws IOException {
    Path b = newDir();
    Path c = newDir();
    Path forC = wrappedFor(c);
    ok("cluster", "join-request", "--home", b.toString(), "--out",
        newDir().resolve("b.pem").toString());
    Run r = cli("cluster", "join", "--home", b.toString(), "--wrapped-root-key", forC.toString());
    assertEquals(ClusterCommands.EXIT_REFUSED, r.code, r.err);
    assertTrue(r.err.contains("wrapped for another public key"), r.err);
    assertFalse(Files.exists(b.resolve("root.key")));
  }

  @Test
  void joinRefusesToReplaceADifferentRootKey() throws IOException {
    Path b = newDir();
    Path wrapped = wrappedFor(b);
    byte[] other = new byte[32];
    other[0] = 7;
    Files.write(b.resolve("root.key"), other);
    Files.setPosixFilePermissions(b.resolve("root.key"),
        PosixFilePermissions.fromString("rw-------"));
    Run r = cli("cluster", "join", "--home", b.toString(), "--wrapped-root-key",
        wrapped.toString());
    assertEquals(ClusterCommands.EXIT_REFUSED, r.code, r.err);
    assertTrue(r.err.contains("already holds a different root key"), r.err);
    assertTrue(r.err.contains("remove its root.key and coffer.db"), r.err);
    assertArrayEquals(other, Files.readAllBytes(b.resolve("root.key")), "left unchanged");
  }

  @Test
  void exportRefusesAPkcs11RootKeyStore_sayingToShareTheToken() throws IOException {
    Path b = newDir();
    Path pub = newDir().resolve("join.pem");
    ok("cluster", "join-request", "--home", b.toString(), "--out", pub.toString());
    Path c = newDir();
    Files.writeString(c.resolve("coffer.properties"), "root-key-store = pkcs11\n");
    Run r = cli("cluster", "export-root-key", "--home", c.toString(), "--public-key",
        pub.toString());
    assertEquals(ClusterCommands.EXIT_REFUSED, r.code, r.err);
    assertTrue(r.err.contains("give every node the same token"), r.err);
    assertEquals("", r.out);
  }

  @Test
  void copyingRootKeyBeforeTheFirstStartWorks() throws IOException {
    Path b = newDir();
    Files.copy(a.home.resolve("root.key"), b.resolve("root.key"),
        StandardCopyOption.COPY_ATTRIBUTES);
    copyDatabase(a.home, b);
    decryptsOn(b);
  }

  @Test
  void anotherRootKeyIsRefusedAtStart_withWhatToDo() throws IOException {
    Path b = newDir();
    Daemon.start(DaemonConfig.forDirectory(b)).close(); // its own, different root key
    byte[] ownKey = Files.readAllBytes(b.resolve("root.key"));
    try (var files = Files.list(b)) {
      for (Path f : files.filter(f -> f.getFileName().toString().startsWith("coffer.db"))
          .toList()) {
        Files.delete(f);
      }
    }
    copyDatabase(a.home, b);
    String m = assertThrows(IOException.class,
        () -> Daemon.start(DaemonConfig.forDirectory(b))).getMessage();
    assertTrue(m.contains("this node's root key is not the one the database's keys are wrapped"
        + " under"), m);
    assertTrue(m.contains("coffer cluster join"), m);
    assertArrayEquals(ownKey, Files.readAllBytes(b.resolve("root.key")));

    // The same through `coffer serve`: exit 1 and the one line.
    Run r = cli("serve", "--home", b.toString(), "--socket", b.resolve("s").toString());
    assertEquals(1, r.code);
    assertTrue(r.err.startsWith("coffer serve: this node's root key is not the one"), r.err);
  }

  @Test
  void noRootKeyOnAUsedDatabase_refusedBeforeOneIsCreated() throws IOException {
    Path b = newDir();
    copyDatabase(a.home, b);
    String m = assertThrows(IOException.class,
        () -> Daemon.start(DaemonConfig.forDirectory(b))).getMessage();
    assertTrue(m.contains("join this node first"), m);
    assertFalse(Files.exists(b.resolve("root.key")), "no new root key was created");
  }

  /** The real process under {@code umask 000}: the files still get mode 0600. */
  @Test
  void modesAreOwnerOnlyWhateverTheUmask() throws Exception {
    Path b = newDir();
    Path work = newDir();
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    String cp = System.getProperty("java.class.path");
    String coffer = "'" + java + "' -cp '" + cp + "' " + CofferCli.class.getName();
    String script = "umask 000 && " + coffer + " cluster join-request --home " + b
        + " --out " + work + "/pub.pem && " + coffer + " cluster export-root-key --home "
        + a.home + " --public-key " + work + "/pub.pem --out " + work + "/w.pem && " + coffer
        + " cluster join --home " + b + " --wrapped-root-key " + work + "/w.pem";
    Process p = new ProcessBuilder("sh", "-c", script).redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.waitFor(), output);
    assertEquals("rw-------", mode(b.resolve("root.key")));
    assertEquals("rw-------", mode(work.resolve("w.pem")));
    assertArrayEquals(Files.readAllBytes(a.home.resolve("root.key")),
        Files.readAllBytes(b.resolve("root.key")));
  }
}
