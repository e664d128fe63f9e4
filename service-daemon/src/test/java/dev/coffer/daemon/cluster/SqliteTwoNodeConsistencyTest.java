package dev.coffer.daemon.cluster;

import dev.coffer.daemon.storage.Database;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;

/** The two-node scenarios on one SQLite file opened twice, joined by an in-JVM feed. */
class SqliteTwoNodeConsistencyTest extends TwoNodeConsistencyScenarios {

  private final Path dir;
  private final InJvmFeed feed = new InJvmFeed();

  SqliteTwoNodeConsistencyTest() throws Exception {
    dir = Files.createTempDirectory(Path.of("/tmp"), "coffer-2n");
  }

  @Override
  Database openNode() throws Exception {
    return Database.open(dir.resolve("coffer.db"));
  }

  @Override
  Announcer announcer() {
    return feed;
  }

  @Override
  void subscribe(Reloaders node) {
    feed.subscribe(node);
  }

  @Override
  void awaitFeed() {
    feed.deliver();
  }

  @AfterEach
  void removeFiles() throws Exception {
    try (var files = Files.walk(dir)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
