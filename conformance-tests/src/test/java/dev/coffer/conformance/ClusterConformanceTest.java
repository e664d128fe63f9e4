package dev.coffer.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.coffer.jca.CofferProvider;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.Security;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.kms.model.AliasListEntry;
import software.amazon.awssdk.services.kms.model.DisabledException;
import software.amazon.awssdk.services.kms.model.KeyState;
import software.amazon.awssdk.services.kms.model.KmsException;

/**
 * Issue 16's acceptance on a real cluster ({@link ClusterFixture}): two {@code coffer serve}
 * processes on one PostgreSQL, driven over HTTPS by the AWS CLI, the AWS SDK for Java v2 and
 * the Coffer JCA provider with two endpoints. What one node acknowledges the other serves
 * (within docs/cluster.md's bound of 1 s), races resolve in the database, a {@code kill -9} of
 * the leader loses nothing acknowledged, and its scheduled work moves to the survivor.
 *
 * <p>One cluster for the class; the tests run in order because the kill test restarts the node
 * it killed and the quota test (last) fills the cluster's key quota.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterConformanceTest {

  /** docs/cluster.md: another node's change is served everywhere within this bound. */
  static final Duration BOUND = Duration.ofSeconds(1);
  /** The cluster-wide key quota; above what the tests before the quota test create. */
  static final int MAX_KEYS = 150;
  static final SecureRandom RANDOM = new SecureRandom();

  static ClusterFixture cluster;

  @BeforeAll
  static void start() throws Exception {
    // deletion-check-seconds: the maintenance pass (deletion, rotation, material expiry) every
    // second, so the kill test sees the survivor's scheduler within seconds.
    cluster = ClusterFixture.start(2, Map.of("max-keys", String.valueOf(MAX_KEYS),
        "deletion-check-seconds", "1"));
  }

  @AfterAll
  static void stop() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  static byte[] random(int n) {
    byte[] b = new byte[n];
    RANDOM.nextBytes(b);
    return b;
  }

  static String errorCode(KmsException e) {
    return e.awsErrorDetails() == null ? String.valueOf(e) : e.awsErrorDetails().errorCode();
  }

  // ---- create on one node, use on the other ----

  @Test
  @Order(1)
  void awsCli_keyAndAliasCreatedOnA_encryptOnB_decryptOnA() throws Exception {
    assumeTrue(HttpsEndpointConformanceTest.awsInstalled(), "the AWS CLI (aws) is not installed");
    String keyId = cluster.awsOk(0, "create-key", "--description", "made on node A",
        "--query", "KeyMetadata.KeyId", "--output", "text");
    cluster.awsOk(0, "create-alias", "--alias-name", "alias/across", "--target-key-id", keyId);
    long acknowledged = System.nanoTime();

    byte[] plaintext = random(300);
    Path in = Files.write(cluster.file("plain.bin"), plaintext);
    // Node B serves the alias made on A: at once, or within the bound (each CLI run takes about
    // a second itself, so the first attempt normally already lies past it).
    DaemonProcess.CliResult encrypted;
    while (true) {
      encrypted = cluster.aws(1, "encrypt", "--key-id", "alias/across", "--plaintext",
          "fileb://" + in, "--query", "CiphertextBlob", "--output", "text");
      if (encrypted.exitCode() == 0
          || System.nanoTime() - acknowledged > BOUND.toNanos() + Duration.ofSeconds(2).toNanos()) {
        break;
      }
    }
    assertEquals(0, encrypted.exitCode(), encrypted::toString);
    Path ct = Files.write(cluster.file("ct.bin"), Base64.getDecoder().decode(encrypted.stdout()));
    JsonNode decrypted = ClusterFixture.JSON.readTree(cluster.awsOk(0, "decrypt",
        "--ciphertext-blob", "fileb://" + ct, "--output", "json"));
    assertArrayEquals(plaintext, Base64.getDecoder().decode(decrypted.get("Plaintext").asText()));
    assertTrue(decrypted.get("KeyId").asText().endsWith(keyId), decrypted::toString);
    assertEquals("made on node A", cluster.awsOk(1, "describe-key", "--key-id", keyId,
        "--query", "KeyMetadata.Description", "--output", "text"));
  }

  @Test
  @Order(1)
  void nodeJoinedWithTheClusterCommands_decryptsWhatTheOthersEncrypted() throws Exception {
    byte[] plaintext = random(100);
    String keyId = cluster.kms(0).createKey(b -> b.description("before the join")).keyMetadata()
        .keyId();
    byte[] blob = cluster.kms(0).encrypt(b -> b.keyId(keyId)
        .plaintext(SdkBytes.fromByteArray(plaintext))).ciphertextBlob().asByteArray();
    try (DaemonProcess joined = cluster.join(1);
        KmsClient c = AwsClients.kms(joined.httpsUrl(), cluster.certificate(),
            ClusterFixture.REGION, cluster.accessKeyId(), cluster.secret())) {
      assertArrayEquals(plaintext, c.decrypt(b -> b.ciphertextBlob(SdkBytes.fromByteArray(blob)))
          .plaintext().asByteArray());
      // And the other way round: what the new node encrypts, an old node decrypts.
      byte[] back = c.encrypt(b -> b.keyId(keyId).plaintext(SdkBytes.fromByteArray(plaintext)))
          .ciphertextBlob().asByteArray();
      assertArrayEquals(plaintext, cluster.kms(1).decrypt(b -> b.ciphertextBlob(
          SdkBytes.fromByteArray(back))).plaintext().asByteArray());
    }
  }

  // ---- disable on one node, refused on the other within the bound ----

  /** Encrypt on {@code node} with {@code keyId}: null if it succeeds, else the AWS error code. */
  static String tryEncrypt(int node, String keyId) {
    try {
      cluster.kms(node).encrypt(b -> b.keyId(keyId).plaintext(SdkBytes.fromByteArray(random(32))));
      return null;
    } catch (DisabledException e) {
      return "DisabledException";
    } catch (KmsException e) {
      return errorCode(e);
    }
  }

  @Test
  @Order(2)
  void disabledOnOneNode_refusedOnTheOtherWithinOneSecond_andEnabledAgain() throws Exception {
    for (int[] pair : new int[][] {{0, 1}, {1, 0}}) {
      int writer = pair[0];
      int reader = pair[1];
      KmsClient w = cluster.kms(writer);
      String keyId = w.createKey(b -> b.description("disabled on " + writer)).keyMetadata()
          .keyId();
      ClusterFixture.within(BOUND, "node " + reader + " serves a key created on node " + writer,
          () -> tryEncrypt(reader, keyId) == null);

      w.disableKey(b -> b.keyId(keyId));
      Duration took = ClusterFixture.within(BOUND, "node " + reader
          + " refuses Encrypt with DisabledException after DisableKey on node " + writer,
          () -> "DisabledException".equals(tryEncrypt(reader, keyId)));
      assertEquals(KeyState.DISABLED, cluster.kms(reader).describeKey(b -> b.keyId(keyId))
          .keyMetadata().keyState(), "DescribeKey on node " + reader + " after " + took);

      w.enableKey(b -> b.keyId(keyId));
      ClusterFixture.within(BOUND, "node " + reader + " serves the key again after EnableKey on"
          + " node " + writer, () -> tryEncrypt(reader, keyId) == null);
    }
  }

  @Test
  @Order(2)
  void grantRevokedOnOneNode_refusedOnTheOtherWithinOneSecond() throws Exception {
    // A user who is no administrator: it may use a key only through a grant.
    JsonNode accessKey = cluster.createAccessKey(0, "grantee");
    try (KmsClient grantee = cluster.kms(1, accessKey)) {
      String keyId = cluster.kms(0).createKey(b -> b.description("granted on node 0"))
          .keyMetadata().keyId();
      java.util.function.Supplier<String> encryptOnB = () -> {
        try {
          grantee.encrypt(b -> b.keyId(keyId).plaintext(SdkBytes.fromByteArray(random(16))));
          return null;
        } catch (KmsException e) {
          return errorCode(e);
        }
      };
      ClusterFixture.within(BOUND, "node 1 knows the key and the grantee's access key, and"
          + " refuses the grantee without a grant", () -> "AccessDeniedException".equals(
              encryptOnB.get()));

      String grantId = cluster.kms(0).createGrant(b -> b.keyId(keyId)
          .granteePrincipal(ClusterFixture.userArn("grantee"))
          .operationsWithStrings("Encrypt")).grantId();
      ClusterFixture.within(BOUND, "node 1 lets the grantee encrypt after CreateGrant on node 0",
          () -> encryptOnB.get() == null);

      cluster.kms(0).revokeGrant(b -> b.keyId(keyId).grantId(grantId));
      ClusterFixture.within(BOUND, "node 1 refuses the grantee after RevokeGrant on node 0",
          () -> "AccessDeniedException".equals(encryptOnB.get()));
    }
  }

  // ---- reads are served from memory ----

  /** Transactions PostgreSQL has counted for the cluster's database (commits and rollbacks). */
  static long databaseTransactions() throws Exception {
    try (java.sql.Connection c = cluster.sql(); java.sql.Statement s = c.createStatement()) {
      s.execute("SELECT pg_stat_clear_snapshot()");
      try (java.sql.ResultSet r = s.executeQuery("SELECT xact_commit + xact_rollback FROM"
          + " pg_stat_database WHERE datname = 'coffer'")) {
        r.next();
        return r.getLong(1);
      }
    }
  }

  @Test
  @Order(2)
  void encryptAndDecrypt_costNoDatabaseRoundTripPerRequest() throws Exception {
    String keyId = cluster.kms(0).createKey(b -> b.description("served from memory"))
        .keyMetadata().keyId();
    ClusterFixture.within(BOUND, "node 1 knows the key", () -> tryEncrypt(1, keyId) == null);
    int requests = 400;
    // PostgreSQL publishes its counters about every half second: wait before each reading.
    Thread.sleep(1500);
    long before = databaseTransactions();
    long start = System.nanoTime();
    for (int i = 0; i < requests / 2; i++) {
      byte[] blob = cluster.kms(1).encrypt(b -> b.keyId(keyId)
          .plaintext(SdkBytes.fromByteArray(random(32)))).ciphertextBlob().asByteArray();
      cluster.kms(1).decrypt(b -> b.ciphertextBlob(SdkBytes.fromByteArray(blob)));
    }
    Duration took = Duration.ofNanos(System.nanoTime() - start);
    Thread.sleep(1500);
    long used = databaseTransactions() - before;
    // Background work goes on meanwhile (each node's leadership check every 500 ms, its usage
    // journal folded once a second, the counters' own reads): a few per second, far below one
    // per request.
    System.out.printf("%d Encrypt/Decrypt requests on one node in %d ms: %d database"
        + " transactions%n", requests, took.toMillis(), used);
    assertTrue(used < requests / 2, requests + " requests in " + took.toMillis() + " ms cost "
        + used + " database transactions; at most a background of a few per second was expected");
  }

  // ---- races resolve in the database ----

  @Test
  @Order(3)
  void sameAliasCreatedOnBothNodesAtOnce_oneSucceeds_theOtherGetsAlreadyExists()
      throws Exception {
    String[] targets = new String[2];
    for (int i = 0; i < 2; i++) {
      int node = i;
      targets[i] = cluster.kms(i).createKey(b -> b.description("alias race, node " + node))
          .keyMetadata().keyId();
    }
    for (int i = 0; i < 2; i++) {
      int node = i;
      for (String t : targets) {
        ClusterFixture.within(BOUND, "node " + i + " knows key " + t,
            () -> tryEncrypt(node, t) == null);
      }
    }
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      for (int round = 0; round < 10; round++) {
        String alias = "alias/race-" + round;
        CyclicBarrier together = new CyclicBarrier(2);
        List<Future<String>> outcomes = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
          int node = i;
          outcomes.add(pool.submit(() -> {
            together.await(10, TimeUnit.SECONDS);
            try {
              cluster.kms(node).createAlias(b -> b.aliasName(alias).targetKeyId(targets[node]));
              return "ok";
            } catch (KmsException e) {
              return errorCode(e);
            }
          }));
        }
        List<String> got = new ArrayList<>();
        for (Future<String> f : outcomes) {
          got.add(f.get(60, TimeUnit.SECONDS));
        }
        assertEquals(1, Collections.frequency(got, "ok"), alias + " on nodes 0, 1: " + got);
        assertEquals(1, Collections.frequency(got, "AlreadyExistsException"),
            alias + " on nodes 0, 1: " + got);
        String winner = targets[got.indexOf("ok")];
        for (int i = 0; i < 2; i++) {
          int node = i;
          ClusterFixture.within(BOUND, "node " + i + " shows " + alias + " -> " + winner,
              () -> winner.equals(aliasTarget(node, alias)));
        }
      }
    } finally {
      pool.shutdownNow();
    }
  }

  static String aliasTarget(int node, String alias) {
    for (AliasListEntry a : cluster.kms(node).listAliasesPaginator().aliases()) {
      if (a.aliasName().equals(alias)) {
        return a.targetKeyId();
      }
    }
    return null;
  }

  // ---- kill -9 of the leader under load ----

  @Test
  @Order(4)
  void kill9OfTheLeaderUnderLoad_nothingAcknowledgedIsLost_clientsAndSchedulerCarryOn()
      throws Exception {
    int leader = cluster.awaitLeader(Duration.ofSeconds(5));
    int survivor = 1 - leader;
    DaemonProcess doomed = cluster.node(leader);

    // Scheduled work due only after the kill: imported material that expires in a few seconds.
    String probe = ClusterFixture.JSON.readTree(doomed.cli("create-key", "--origin", "EXTERNAL",
        "--description", "expires after the leader died").stdout()).get("KeyMetadata")
        .get("KeyId").asText();
    Instant validTo = Instant.now().truncatedTo(ChronoUnit.SECONDS).plusSeconds(18);
    ImportAndRotationConformanceTest.openSslImport(doomed, probe, "probe", "--valid-to",
        validTo.toString());

    String shared = cluster.kms(survivor).createKey(b -> b.description("shared under load"))
        .keyMetadata().keyId();
    ClusterFixture.within(BOUND, "node " + leader + " knows " + shared,
        () -> tryEncrypt(leader, shared) == null);

    ClusterLoad.Ledger ledger = new ClusterLoad.Ledger();
    AtomicLong killedAt = new AtomicLong(); // System.nanoTime() of the kill; 0 before
    Security.addProvider(new CofferProvider());
    System.setProperty("coffer.endpoint", cluster.endpoints(leader, survivor));
    System.setProperty("coffer.tls.ca", cluster.certificate().toString());
    System.setProperty("coffer.region", ClusterFixture.REGION);
    System.setProperty("aws.accessKeyId", cluster.accessKeyId());
    System.setProperty("aws.secretAccessKey", cluster.secret());
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      long stopAt = System.nanoTime() + Duration.ofSeconds(7).toNanos();
      ClusterLoad.ProviderClient provider = new ClusterLoad.ProviderClient();
      List<Future<?>> threads = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        int thread = t;
        // Two threads through the provider (both endpoints, the leader first), two through the
        // SDK on the survivor: the load is spread over both nodes until the kill.
        ClusterLoad.Client client = t < 2 ? provider
            : new ClusterLoad.SdkClient(cluster.kms(survivor));
        threads.add(pool.submit(() -> ClusterLoad.work(thread, client, shared, stopAt, killedAt,
            ledger, 12)));
      }
      Thread.sleep(2500);
      assertEquals(KeyState.ENABLED, cluster.kms(survivor).describeKey(b -> b.keyId(probe))
          .keyMetadata().keyState(), "the probe's material expires only after the kill");
      killedAt.set(System.nanoTime());
      doomed.kill9();
      assertTrue(Instant.now().isBefore(validTo), "the kill came after the probe was due; the"
          + " machine is too slow for this test's timing");
      for (Future<?> f : threads) {
        f.get(120, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
      Security.removeProvider("Coffer");
      for (String p : List.of("coffer.endpoint", "coffer.tls.ca", "coffer.region",
          "aws.accessKeyId", "aws.secretAccessKey")) {
        System.clearProperty(p);
      }
    }

    System.out.printf("kill -9 of node %d under load: %d keys and %d ciphertexts acknowledged,"
        + " %d CreateKey with unknown outcome, operations after the kill per thread: %d %d %d"
        + " %d%n", leader, ledger.createdKeys.size(), ledger.ciphertexts.size(),
        ledger.unacknowledged.size(), ledger.doneAfterKill[0].get(),
        ledger.doneAfterKill[1].get(), ledger.doneAfterKill[2].get(),
        ledger.doneAfterKill[3].get());
    assertTrue(ledger.failures.isEmpty(), () -> "failed during the kill: " + ledger.failures
        + "\nsurvivor's log:\n" + cluster.node(survivor).logText());
    for (int t = 0; t < 4; t++) {
      assertTrue(ledger.doneAfterKill[t].get() > 0, "client thread " + t
          + " carried on through the survivor after the kill");
    }
    assertTrue(ledger.unacknowledged.size() <= 2, () -> "at most one CreateKey in flight per"
        + " provider thread at the kill: " + ledger.unacknowledged);
    // Nothing acknowledged is lost: every key is on the survivor, every ciphertext decrypts.
    KmsClient s = cluster.kms(survivor);
    assertTrue(ledger.createdKeys.size() > 4, "keys were created: " + ledger.createdKeys);
    for (String id : ledger.createdKeys) {
      assertEquals(KeyState.ENABLED, s.describeKey(b -> b.keyId(id)).keyMetadata().keyState(),
          id);
    }
    assertTrue(ledger.ciphertexts.size() > 4, "ciphertexts were made");
    for (byte[][] c : ledger.ciphertexts) {
      assertArrayEquals(c[1], s.decrypt(b -> b.ciphertextBlob(SdkBytes.fromByteArray(c[2])))
          .plaintext().asByteArray(), "a ciphertext under " + new String(c[0]));
    }

    // The scheduler resumed on the survivor: it leads, and expires the material when due.
    assertEquals(survivor, cluster.awaitLeader(Duration.ofSeconds(5)), "the survivor leads");
    ClusterFixture.within(Duration.between(Instant.now(), validTo).plusSeconds(10),
        "the survivor expires the probe's imported material after its ValidTo " + validTo,
        () -> s.describeKey(b -> b.keyId(probe)).keyMetadata().keyState()
            == KeyState.PENDING_IMPORT);

    // The killed node comes back into the cluster and serves what was made while it was down.
    doomed.restart();
    String last = ledger.createdKeys.stream().reduce((a, b) -> b).orElseThrow();
    assertEquals(KeyState.ENABLED, cluster.kms(leader).describeKey(b -> b.keyId(last))
        .keyMetadata().keyState());
    assertNotEquals(leader, cluster.leader(), "leadership stays with the survivor");
  }

  // ---- the key quota holds cluster-wide ----

  static int keyCount(int node) {
    return (int) cluster.kms(node).listKeysPaginator().keys().stream().count();
  }

  @Test
  @Order(5)
  void keyQuota_createsSpreadOverBothNodes_stopAtMaxKeysExactly() throws Exception {
    int before = keyCount(0);
    assertTrue(before < MAX_KEYS - 10, "room left for the race: " + before);
    ExecutorService pool = Executors.newFixedThreadPool(4);
    AtomicInteger created = new AtomicInteger();
    ConcurrentLinkedQueue<String> other = new ConcurrentLinkedQueue<>();
    try {
      CyclicBarrier together = new CyclicBarrier(4);
      List<Future<?>> threads = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        int node = t % 2;
        threads.add(pool.submit(() -> {
          together.await(10, TimeUnit.SECONDS);
          while (true) {
            try {
              cluster.kms(node).createKey(b -> b.description("quota race"));
              created.incrementAndGet();
            } catch (KmsException e) {
              if (!errorCode(e).equals("LimitExceededException")) {
                other.add(errorCode(e) + ": " + e.getMessage());
              }
              return null;
            }
          }
        }));
      }
      for (Future<?> f : threads) {
        f.get(180, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    assertTrue(other.isEmpty(), () -> "only LimitExceededException stops a creator: " + other);
    assertEquals(MAX_KEYS - before, created.get(), "creates acknowledged by both nodes together");
    for (int i = 0; i < 2; i++) {
      int node = i;
      ClusterFixture.within(BOUND, "node " + i + " lists exactly " + MAX_KEYS + " keys",
          () -> keyCount(node) == MAX_KEYS);
    }
  }
}
