package dev.coffer.daemon.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code $COFFER_HOME/node-id} and the engine-level surface of {@link Database}. */
class NodeIdTest {

  private Path home;

  @BeforeEach
  void home() throws IOException {
    home = Files.createTempDirectory(Path.of("/tmp"), "cnid");
  }

  @AfterEach
  void clean() throws IOException {
    try (var s = Files.walk(home)) {
      s.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    }
  }

  @Test
  void createdOnFirstUse_0644_thenStable() throws IOException {
    String id = NodeId.readOrCreate(home);
    assertTrue(id.matches("node-[0-9a-f]{8}"), id);
    assertEquals("rw-r--r--", PosixFilePermissions.toString(
        Files.getPosixFilePermissions(home.resolve(NodeId.FILE))));
    assertEquals(id, NodeId.readOrCreate(home));
    Path other = Files.createDirectory(home.resolve("other"));
    assertNotEquals(id, NodeId.readOrCreate(other));
  }

  @Test
  void operatorChosenName_isKept_malformedOneRefused() throws IOException {
    Files.writeString(home.resolve(NodeId.FILE), "node-a\n");
    assertEquals("node-a", NodeId.readOrCreate(home));
    Files.writeString(home.resolve(NodeId.FILE), "Node A\n");
    String m = assertThrows(IOException.class, () -> NodeId.readOrCreate(home)).getMessage();
    assertTrue(m.contains(NodeId.FILE) && m.contains("delete it"), m);
  }

  @Test
  void sqliteDatabase_engineNodeIdAndNoSecondConnection() throws Exception {
    try (Database db = Database.open(home.resolve("coffer.db"))) {
      assertEquals(Engine.SQLITE, db.engine());
      assertFalse(Files.exists(home.resolve(NodeId.FILE)), "created only when asked for");
      String id = db.nodeId();
      assertEquals(id, NodeId.readOrCreate(home));
      assertThrows(UnsupportedOperationException.class, db::newConnection);
    }
  }
}
