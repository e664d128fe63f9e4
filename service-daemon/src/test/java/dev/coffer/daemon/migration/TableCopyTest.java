package dev.coffer.daemon.migration;

import dev.coffer.daemon.storage.TestPostgres;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The generic copy between the engines' type systems, on a schema of its own. */
class TableCopyTest {


  @Test
  void parentsFirst_typesMapped_sequencesAdvanced_fingerprintsEqual() throws Exception {
    try (Connection sqlite = DriverManager.getConnection("jdbc:sqlite::memory:");
        Connection target = DriverManager.getConnection(TestPostgres.newDatabaseUrl(), "postgres", "");
        Statement s = sqlite.createStatement();
        Statement t = target.createStatement()) {
      // "a_child" sorts before "z_parent": only the foreign key puts the parent first.
      s.execute("CREATE TABLE z_parent (id INTEGER PRIMARY KEY, name TEXT, flag INTEGER,"
          + " data BLOB)");
      s.execute("CREATE TABLE a_child (id INTEGER PRIMARY KEY,"
          + " parent INTEGER REFERENCES z_parent(id))");
      s.execute("INSERT INTO z_parent VALUES (7, 'seven', 1, x'00ff'), (9, NULL, 0, NULL)");
      s.execute("INSERT INTO a_child VALUES (1, 7), (2, 9)");
      t.execute("CREATE TABLE z_parent (id BIGSERIAL PRIMARY KEY, name TEXT, flag BOOLEAN,"
          + " data BYTEA)");
      t.execute("CREATE TABLE a_child (id INTEGER PRIMARY KEY,"
          + " parent BIGINT REFERENCES z_parent(id))");
      target.setAutoCommit(false);

      List<String> plan = TableCopy.plan(sqlite, target);
      assertEquals(List.of("z_parent", "a_child"), plan);
      for (String table : plan) {
        Map<String, Integer> columns = TableCopy.copy(sqlite, target, table);
        TableCopy.advanceSequences(target, table);
        assertEquals(TableCopy.fingerprint(sqlite, table, columns),
            TableCopy.fingerprint(target, table, columns), table);
      }
      try (ResultSet r = t.executeQuery("SELECT flag, data FROM z_parent WHERE id = 7")) {
        assertTrue(r.next());
        assertTrue(r.getBoolean(1));
        assertArrayEquals(new byte[] {0, (byte) 0xff}, r.getBytes(2));
      }
      t.execute("INSERT INTO z_parent (name) VALUES ('next')"); // no collision with 7 or 9
      try (ResultSet r = t.executeQuery("SELECT id FROM z_parent WHERE name = 'next'")) {
        assertTrue(r.next());
        assertEquals(10, r.getLong(1));
      }
      target.rollback();
    }
  }
}
