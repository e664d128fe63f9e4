package dev.coffer.daemon.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coffer.daemon.TestDaemon;
import dev.coffer.daemon.config.StorageSettings;
import dev.coffer.daemon.storage.TestPostgres;
import dev.coffer.protocol.DaemonClient;
import dev.coffer.protocol.Json;
import dev.coffer.protocol.KmsException;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * A node cut off from PostgreSQL by a partition that neither answers nor resets the connection:
 * a write must fail within a bound with an AWS error, not hang every later request that needs
 * the database (writes, the first use of a key version) until the kernel gives up on TCP.
 */
class PostgresPartitionTest {

  @Test
  void aWriteDuringAPartition_failsWithinTheBound_andTheNodeRecovers() throws Exception {
    StorageSettings db = TestPostgres.newDatabase();
    int port = Integer.parseInt(db.jdbcUrl().replaceAll(".*:(\\d+)/.*", "$1"));
    try (FreezableProxy proxy = new FreezableProxy(port)) {
      StorageSettings via = StorageSettings.postgresql(db.jdbcUrl().replace(":" + port + "/",
          ":" + proxy.port() + "/"), "postgres", Optional.empty());
      try (TestDaemon d = new TestDaemon(c -> c.withStorage(via))) {
        d.createKey();
        proxy.freeze(true);
        long start = System.nanoTime();
        try (DaemonClient c = new DaemonClient(d.daemon.socket(), 1, Duration.ofSeconds(60))) {
          KmsException e = assertThrows(KmsException.class,
              () -> c.call("CreateKey", Json.object()));
          assertEquals("KMSInternalException", e.errorType(), e.getMessage());
        }
        long took = Duration.ofNanos(System.nanoTime() - start).toSeconds();
        // Each statement gives up after 10 s (socketTimeout); a write can queue behind one other
        // that started just before the partition (the usage counters' fold), so 35 s bounds it:
        // without the timeout it hung until TCP gave up, minutes later.
        assertTrue(took < 35, "the write failed after " + took + " s");
        proxy.freeze(false);
        // The broken session is replaced: writes work again.
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true) {
          try {
            d.createKey();
            break;
          } catch (KmsException e) {
            assertTrue(System.nanoTime() < deadline, "no write succeeded after the partition");
            Thread.sleep(200);
          }
        }
      }
    }
  }
}
