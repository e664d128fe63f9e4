package dev.coffer.daemon.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.daemon.Daemon;
import dev.coffer.daemon.config.DaemonConfig;
import dev.coffer.daemon.config.StorageSettings;
import dev.coffer.daemon.keystore.pkcs11.SoftHsm;
import dev.coffer.daemon.storage.TestPostgres;
import dev.coffer.protocol.DaemonClient;
import dev.coffer.protocol.Json;
import dev.coffer.protocol.KmsException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Comparator;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Custom key store registrations on the change feed: two daemons on one real PostgreSQL; a store
 * created, renamed and deleted on one node is known to the other within the feed's bound (1 s),
 * without a restart.
 */
class PostgresKeyStoreFeedTest {

  private Path homeA;
  private Path homeB;
  private Daemon a;
  private Daemon b;
  private DaemonClient ca;
  private DaemonClient cb;

  @AfterEach
  void stop() throws IOException {
    for (AutoCloseable c : new AutoCloseable[] {cb, b, ca, a}) {
      try {
        if (c != null) {
          c.close();
        }
      } catch (Exception ignored) {
        // best effort
      }
    }
    for (Path h : new Path[] {homeB, homeA}) {
      if (h != null) {
        try (var files = Files.walk(h)) {
          files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
      }
    }
  }

  @Test
  void aStoreCreatedRenamedAndDeletedOnOneNode_isKnownToTheOtherWithinTheBound()
      throws Exception {
    SoftHsm.conf();
    String token = SoftHsm.newToken("feed");
    StorageSettings db = TestPostgres.newDatabase();
    homeA = Files.createTempDirectory(Path.of("/tmp"), "kf");
    a = Daemon.start(DaemonConfig.forDirectory(homeA).withStorage(db));
    ca = new DaemonClient(a.socket(), 2, Duration.ofSeconds(20));
    homeB = Files.createTempDirectory(Path.of("/tmp"), "kf");
    Files.copy(homeA.resolve("root.key"), homeB.resolve("root.key"),
        StandardCopyOption.COPY_ATTRIBUTES);
    b = Daemon.start(DaemonConfig.forDirectory(homeB).withStorage(db));
    cb = new DaemonClient(b.socket(), 2, Duration.ofSeconds(20));

    String id = call(ca, "CreateCustomKeyStore", "CustomKeyStoreName", "shared",
        "Pkcs11LibraryPath", SoftHsm.LIBRARY, "Pkcs11TokenLabel", token,
        "KeyStorePassword", SoftHsm.PIN).get("CustomKeyStoreId").asText();
    within1s(() -> name(cb, id), "shared"::equals, "the new store on the other node");
    call(ca, "UpdateCustomKeyStore", "CustomKeyStoreId", id, "NewCustomKeyStoreName", "renamed");
    within1s(() -> name(cb, id), "renamed"::equals, "the new name on the other node");
    call(ca, "DeleteCustomKeyStore", "CustomKeyStoreId", id);
    within1s(() -> name(cb, id), "gone"::equals, "the deletion on the other node");
  }

  private static String name(DaemonClient c, String id) {
    try {
      JsonNode stores = call(c, "DescribeCustomKeyStores", "CustomKeyStoreId", id)
          .get("CustomKeyStores");
      return stores.get(0).get("CustomKeyStoreName").asText();
    } catch (KmsException e) {
      assertEquals("CustomKeyStoreNotFoundException", e.errorType(), e::getMessage);
      return "gone";
    }
  }

  private static void within1s(java.util.function.Supplier<String> seen, Predicate<String> ok,
      String what) throws InterruptedException {
    long deadline = System.nanoTime() + 1_000_000_000L;
    String last = seen.get();
    while (!ok.test(last)) {
      assertTrue(System.nanoTime() < deadline, what + " within 1 s; saw " + last);
      Thread.sleep(20);
      last = seen.get();
    }
  }

  private static ObjectNode call(DaemonClient c, String op, Object... fieldsAndValues) {
    ObjectNode in = Json.object();
    for (int i = 0; i < fieldsAndValues.length; i += 2) {
      in.set((String) fieldsAndValues[i], Json.MAPPER.valueToTree(fieldsAndValues[i + 1]));
    }
    return c.call(op, in);
  }
}
