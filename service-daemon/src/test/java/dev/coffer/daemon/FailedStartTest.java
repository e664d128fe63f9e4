package dev.coffer.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coffer.daemon.config.DaemonConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * A daemon whose start fails late (here: its socket directory is world-writable, so the socket
 * is refused, by name, after the database, audit log and maintenance schedule are up) leaves
 * nothing of itself running: an embedding application, or a test JVM, that catches the failure
 * must not keep a scheduler running maintenance passes against a closed database.
 */
class FailedStartTest {

  @Test
  void socketRefusedAtStart_leavesNoDaemonThreadRunning() throws Exception {
    Set<Long> before = cofferThreads().stream().map(Thread::getId).collect(Collectors.toSet());
    Path dir = Files.createTempDirectory(Path.of("/tmp"), "ww");
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
    try {
      IOException e = assertThrows(IOException.class, () -> Daemon.start(
          DaemonConfig.forDirectory(dir.resolve("home")).withSocket(dir.resolve("s.sock"))));
      assertTrue(e.getMessage().contains("world-writable"), e.getMessage());
      List<String> left = List.of();
      // Threads told to stop may take a moment to end; none should outlive a few seconds.
      for (long deadline = System.nanoTime() + 5_000_000_000L; System.nanoTime() < deadline; ) {
        left = cofferThreads().stream().filter(t -> !before.contains(t.getId()))
            .map(Thread::getName).sorted().toList();
        if (left.isEmpty()) {
          break;
        }
        Thread.sleep(50);
      }
      assertEquals(List.of(), left, "threads of the daemon whose start failed");
    } finally {
      try (var s = Files.walk(dir)) {
        s.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      }
    }
  }

  private static List<Thread> cofferThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.isAlive() && t.getName().startsWith("coffer-")).toList();
  }
}
