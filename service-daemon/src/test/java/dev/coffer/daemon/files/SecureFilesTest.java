package dev.coffer.daemon.files;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Atomic writes on a real full file system (a 64 KiB tmpfs) and exact modes. */
class SecureFilesTest {

  private Path dir;

  @BeforeEach
  void dir() throws IOException {
    dir = Files.createTempDirectory(Path.of("/tmp"), "csf");
  }

  @AfterEach
  void clean() throws IOException {
    try (var s = Files.walk(dir)) {
      s.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    }
  }

  @Test
  void replaceOnAFullDiskKeepsTheOldContentAndLeavesNoTemporary() throws Exception {
    assumeTrue(new com.sun.security.auth.module.UnixSystem().getUid() == 0, "mount needs root");
    Path mnt = Files.createDirectory(dir.resolve("mnt"));
    run("mount", "-t", "tmpfs", "-o", "size=64k,mode=0700", "tmpfs", mnt.toString());
    try {
      Path target = mnt.resolve("metrics.prom");
      byte[] old = "old\n".getBytes(StandardCharsets.US_ASCII);
      SecureFiles.replace(target, old, SecureFiles.PUBLIC_READ);
      fill(mnt.resolve("filler"));

      IOException e = assertThrows(IOException.class,
          () -> SecureFiles.replace(target, new byte[8192], SecureFiles.PUBLIC_READ));
      assertEquals("cannot write " + target + ": No space left on device; nothing was written",
          e.getMessage());
      assertArrayEquals(old, Files.readAllBytes(target));
      e = assertThrows(IOException.class,
          () -> SecureFiles.createNew(mnt.resolve("root.key"), new byte[32],
              SecureFiles.OWNER_ONLY));
      assertTrue(e.getMessage().contains("No space left on device"), e.getMessage());
      try (Stream<Path> s = Files.list(mnt)) {
        assertEquals(List.of("filler", "metrics.prom"),
            s.map(p -> p.getFileName().toString()).sorted().toList());
      }

      Files.delete(mnt.resolve("filler"));
      assertTrue(SecureFiles.createNew(mnt.resolve("root.key"), new byte[32],
          SecureFiles.OWNER_ONLY));
      assertEquals(32, Files.size(mnt.resolve("root.key")));
    } finally {
      run("umount", "-l", mnt.toString());
    }
  }

  @Test
  void createNewLeavesAnExistingFileAndReplacesATemporaryLeftByACrash() throws IOException {
    Path target = dir.resolve("root.key");
    Path tmp = dir.resolve("root.key.tmp");
    Files.writeString(tmp, "torn");
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-rw-rw-"));
    assertTrue(SecureFiles.createNew(target, new byte[] {1, 2}, SecureFiles.OWNER_ONLY));
    assertFalse(Files.exists(tmp));
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(target)));
    assertFalse(SecureFiles.createNew(target, new byte[] {3}, SecureFiles.OWNER_ONLY));
    assertArrayEquals(new byte[] {1, 2}, Files.readAllBytes(target));
  }

  @Test
  void modesAreExactAndOctalIsAsLsShowsIt() throws IOException {
    Path f = dir.resolve("m");
    SecureFiles.replace(f, new byte[0], SecureFiles.PUBLIC_READ);
    assertEquals("0644", SecureFiles.octal(Files.getPosixFilePermissions(f)));
    SecureFiles.replace(f, new byte[0], SecureFiles.OWNER_ONLY);
    assertEquals("0600", SecureFiles.octal(Files.getPosixFilePermissions(f)));
    assertEquals("0751", SecureFiles.octal(PosixFilePermissions.fromString("rwxr-x--x")));
  }

  private static void fill(Path filler) throws IOException {
    try (OutputStream out = Files.newOutputStream(filler)) {
      byte[] block = new byte[4096];
      while (true) {
        out.write(block);
      }
    } catch (IOException full) {
      assertTrue(String.valueOf(full.getMessage()).contains("No space left"), full.toString());
    }
  }

  private static void run(String... cmd) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(30, TimeUnit.SECONDS), String.join(" ", cmd) + " hung");
    assertEquals(0, p.exitValue(), () -> String.join(" ", cmd) + ": " + out);
  }
}
