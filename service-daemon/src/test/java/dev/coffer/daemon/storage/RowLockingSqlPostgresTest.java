package dev.coffer.daemon.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coffer.daemon.keys.AliasRecord;
import dev.coffer.daemon.keys.KeyRecord;
import dev.coffer.daemon.keys.KeyState;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The SQL of the writes that resolve in the database ({@link Tx#lockKey},
 * {@link Tx#insertAlias}, {@link Tx#lockKeyQuota}) on a real PostgreSQL 14
 * with row locking on: valid there, and locking what it says. The tables are made here with the
 * columns the SQLite schema has, until the shared Flyway schema lands.
 */
class RowLockingSqlPostgresTest {

  private static final String URL = TestPostgres.newDatabaseUrl();

  @BeforeAll
  static void start() throws Exception {
    try (Connection c = connect(); Statement s = c.createStatement()) {
      s.execute("CREATE TABLE keys (id TEXT PRIMARY KEY, creation_ms BIGINT NOT NULL,"
          + " description TEXT NOT NULL, state TEXT NOT NULL, key_usage TEXT NOT NULL,"
          + " key_spec TEXT NOT NULL, origin TEXT NOT NULL, key_store TEXT NOT NULL,"
          + " deletion_ms BIGINT, pending_window_days INTEGER NOT NULL DEFAULT 0,"
          + " current_version INTEGER NOT NULL, rotation_period_days INTEGER NOT NULL DEFAULT 0,"
          + " next_rotation_ms BIGINT, on_demand_rotations INTEGER NOT NULL DEFAULT 0,"
          + " expiration_model TEXT, valid_to_ms BIGINT)");
      s.execute("CREATE TABLE tags (key_id TEXT NOT NULL REFERENCES keys(id) ON DELETE CASCADE,"
          + " tag_key TEXT NOT NULL, tag_value TEXT NOT NULL, PRIMARY KEY (key_id, tag_key))");
      s.execute("CREATE TABLE aliases (name TEXT PRIMARY KEY, target_key_id TEXT NOT NULL"
          + " REFERENCES keys(id) ON DELETE CASCADE, creation_ms BIGINT NOT NULL,"
          + " updated_ms BIGINT NOT NULL)");
      s.execute("CREATE TABLE key_versions (key_id TEXT NOT NULL REFERENCES keys(id)"
          + " ON DELETE CASCADE, version INTEGER NOT NULL, created_ms BIGINT NOT NULL,"
          + " key_store TEXT NOT NULL, stored BYTEA NOT NULL, rotation_type TEXT,"
          + " PRIMARY KEY (key_id, version))");
      s.execute("CREATE TABLE key_materials (key_id TEXT NOT NULL REFERENCES keys(id)"
          + " ON DELETE CASCADE, version INTEGER NOT NULL, material_id TEXT NOT NULL,"
          + " rotation_type TEXT, rotation_ms BIGINT, expiration_model TEXT, valid_to_ms BIGINT,"
          + " description TEXT, PRIMARY KEY (key_id, version))");
    }
  }

  private static Connection connect() throws Exception {
    return DriverManager.getConnection(URL, "postgres", "");
  }

  private static KeyRecord key() {
    return KeyRecord.builder(UUID.randomUUID(), Instant.now().truncatedTo(ChronoUnit.MILLIS))
        .keyStore("software").tags(new java.util.TreeMap<>(java.util.Map.of("team", "a"))).build();
  }

  private static <T> T inTx(Connection c, Database.Work<T> work) throws Exception {
    c.setAutoCommit(false);
    try {
      T t = work.run(new Tx(c, true));
      c.commit();
      return t;
    } catch (Exception e) {
      c.rollback();
      throw e;
    } finally {
      c.setAutoCommit(true);
    }
  }

  @Test
  void lockKeyReadsTheStoredRecordAndBlocksASecondWriterUntilCommit() throws Exception {
    KeyRecord k = key();
    try (Connection c1 = connect(); Connection c2 = connect()) {
      inTx(c1, tx -> {
        tx.insertKey(k);
        return null;
      });
      c1.setAutoCommit(false);
      Tx first = new Tx(c1, true);
      assertEquals(k, first.lockKey(k.id()));
      first.updateKey(k.toBuilder().state(KeyState.Disabled).build());
      CompletableFuture<KeyRecord> second = CompletableFuture.supplyAsync(() -> {
        try {
          return inTx(c2, tx -> tx.lockKey(k.id()));
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      });
      try {
        second.get(500, TimeUnit.MILLISECONDS);
        throw new AssertionError("the second FOR UPDATE read did not wait");
      } catch (TimeoutException expected) {
        // waiting for the first transaction
      }
      c1.commit();
      c1.setAutoCommit(true);
      assertEquals(KeyState.Disabled, second.get(5, TimeUnit.SECONDS).state());
    }
  }

  @Test
  void aSecondInsertOfAnAliasWritesNothing() throws Exception {
    KeyRecord k = key();
    Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
    try (Connection c = connect()) {
      assertEquals(true, inTx(c, tx -> {
        tx.insertKey(k);
        return tx.insertAlias(new AliasRecord("alias/pg-once", k.id(), now, now));
      }));
      assertEquals(false, inTx(c, tx -> tx.insertAlias(new AliasRecord("alias/pg-once", k.id(), now,
          now))));
      assertEquals(k.id(), inTx(c, tx -> tx.lockAlias("alias/pg-once")).targetKeyId());
      assertEquals(false, inTx(c, tx -> tx.updateAlias(new AliasRecord("alias/pg-none", k.id(), now,
          now))));
      assertNull(inTx(c, tx -> tx.readAlias("alias/pg-none")));
      assertEquals(1, inTx(c, tx -> tx.aliasesOf(k.id())).size());
      assertEquals(0, inTx(c, tx -> tx.materialsOf(k.id())).size());
    }
  }

  @Test
  void theQuotaLockIsHeldUntilTheTransactionEnds() throws Exception {
    try (Connection c1 = connect(); Connection c2 = connect()) {
      c1.setAutoCommit(false);
      new Tx(c1, true).lockKeyQuota();
      CompletableFuture<Long> second = CompletableFuture.supplyAsync(() -> {
        try {
          return inTx(c2, tx -> {
            tx.lockKeyQuota();
            return tx.count("SELECT COUNT(*) FROM keys");
          });
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      });
      try {
        second.get(500, TimeUnit.MILLISECONDS);
        throw new AssertionError("the second quota lock did not wait");
      } catch (TimeoutException expected) {
        // waiting for the first transaction
      }
      c1.rollback();
      c1.setAutoCommit(true);
      assertTrue(second.get(5, TimeUnit.SECONDS) >= 0);
    }
  }
}
