package dev.coffer.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coffer.conformance.DaemonProcess.CliResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import org.junit.jupiter.api.Test;

/**
 * The real {@code bin/coffer} and daemon processes: node B joins node A's cluster with {@code
 * coffer cluster join-request / export-root-key / join} and, started under {@code umask 000} on a
 * copy of A's database, decrypts A's ciphertext; node C, with a root key of its own, is refused
 * at start on the same database with a message that says to join.
 */
class ClusterJoinConformanceTest {

  private static void copyDatabase(Path from, Path to) throws Exception {
    try (var files = Files.list(from)) {
      for (Path f : files.filter(f -> f.getFileName().toString().startsWith("coffer.db"))
          .toList()) {
        Files.copy(f, to.resolve(f.getFileName()), StandardCopyOption.COPY_ATTRIBUTES);
      }
    }
  }

  private static CliResult ok(CliResult r) {
    assertEquals(0, r.exitCode(), r.stderr());
    return r;
  }

  @Test
  void joinedNodeDecryptsOnTheDatabase_otherRootKeyRefusedAtStart() throws Exception {
    Path work = Files.createTempDirectory(Path.of("/tmp"), "cjc");
    Path b = work.resolve("b");
    Path c = work.resolve("c");
    try (DaemonProcess a = DaemonProcess.start()) {
      String keyId = ok(a.cli("create-key", "--query", "KeyMetadata.KeyId", "--output", "text"))
          .stdout().strip();
      String plain = Base64.getEncoder().encodeToString("cluster".getBytes());
      String blob = ok(a.cli("encrypt", "--key-id", keyId, "--plaintext", plain, "--query",
          "CiphertextBlob", "--output", "text")).stdout().strip();

      ok(a.cli("cluster", "join-request", "--home", b.toString(), "--out",
          work.resolve("b.pem").toString()));
      ok(a.cli("cluster", "export-root-key", "--home", a.home().toString(), "--public-key",
          work.resolve("b.pem").toString(), "--out", work.resolve("b.wrapped").toString()));
      ok(a.cli("cluster", "join", "--home", b.toString(), "--wrapped-root-key",
          work.resolve("b.wrapped").toString()));
      assertArrayEquals(Files.readAllBytes(a.home().resolve("root.key")),
          Files.readAllBytes(b.resolve("root.key")));
      a.kill9(); // acknowledged state is in the database files
      copyDatabase(a.home(), b);

      DaemonProcess nodeB = DaemonProcess.prepare(b, b.resolve("coffer.sock"),
          work.resolve("b.log"), "000");
      try (nodeB) {
        nodeB.launch();
        CliResult r = ok(nodeB.cli("decrypt", "--ciphertext-blob", blob, "--query", "Plaintext",
            "--output", "text"));
        assertEquals(plain, r.stdout().strip());
        assertEquals("rw-------", PosixFilePermissions.toString(
            Files.getPosixFilePermissions(b.resolve("root.key"))));
      }

      Files.createDirectory(c, PosixFilePermissions.asFileAttribute(
          PosixFilePermissions.fromString("rwx------")));
      byte[] other = new byte[32];
      new java.security.SecureRandom().nextBytes(other);
      Files.write(c.resolve("root.key"), other);
      Files.setPosixFilePermissions(c.resolve("root.key"),
          PosixFilePermissions.fromString("rw-------"));
      copyDatabase(a.home(), c);
      DaemonProcess nodeC = DaemonProcess.prepare(c, c.resolve("coffer.sock"),
          work.resolve("c.log"), null);
      try (nodeC) {
        String m = assertThrows(java.io.IOException.class, nodeC::launch).getMessage();
        assertTrue(m.contains("daemon exited with 1"), m);
        assertTrue(m.contains("coffer serve: this node's root key is not the one the database's"
            + " keys are wrapped under"), m);
        assertTrue(m.contains("coffer cluster join"), m);
      }
    } finally {
      DaemonProcess.deleteTree(work);
    }
  }
}
