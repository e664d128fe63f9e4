package dev.coffer.daemon.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.coffer.daemon.keys.AliasRecord;
import dev.coffer.daemon.keys.BackingKeys;
import dev.coffer.daemon.keys.KeyRecord;
import dev.coffer.daemon.keys.KeyRegistry;
import dev.coffer.daemon.keys.KeyState;
import dev.coffer.daemon.keystore.RootKeys;
import dev.coffer.daemon.keystore.SoftwareKeyStore;
import dev.coffer.daemon.policy.Grant;
import dev.coffer.daemon.policy.KeyPolicy;
import dev.coffer.daemon.policy.PolicyStore;
import dev.coffer.daemon.policy.Principals;
import dev.coffer.daemon.storage.Database;
import dev.coffer.protocol.ErrorType;
import dev.coffer.protocol.KmsException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Two nodes over one database, each with its own in-memory view, joined by a feed: what one node
 * changes the other sees after the feed ran, and races resolve in the database (docs/cluster.md,
 * Consistency). The database and the feed are the subclass's: SQLite with an in-JVM feed here,
 * PostgreSQL with {@link ChangeFeed} once that engine opens through {@code Database.open}.
 */
abstract class TwoNodeConsistencyScenarios {

  static final int MAX_KEYS = 4;

  /** Opens one node's connection to the shared database (a new {@link Database} each call). */
  abstract Database openNode() throws Exception;

  /** The feed both nodes announce through. */
  abstract Announcer announcer();

  /** Joins a node's reloaders to the feed. */
  abstract void subscribe(Reloaders node) throws Exception;

  /** Waits until every announcement so far has reached every node. */
  abstract void awaitFeed() throws Exception;

  Database dbA;
  Database dbB;
  KeyRegistry a;
  KeyRegistry b;
  PolicyStore policiesA;
  PolicyStore policiesB;

  @BeforeEach
  void twoNodes() throws Exception {
    dbA = openNode();
    dbB = openNode();
    Reloaders ra = new Reloaders();
    Reloaders rb = new Reloaders();
    a = node(dbA, ra);
    b = node(dbB, rb);
    policiesA = policies(dbA, ra);
    policiesB = policies(dbB, rb);
    subscribe(ra);
    subscribe(rb);
  }

  private KeyRegistry node(Database db, Reloaders reloaders) {
    KeyRegistry r = new KeyRegistry(db, MAX_KEYS);
    r.setAnnouncer(announcer());
    r.registerReloads(reloaders);
    return r;
  }

  private PolicyStore policies(Database db, Reloaders reloaders) {
    PolicyStore p = new PolicyStore(db,
        new Principals("aws", "111122223333", List.of("user/root")));
    p.setAnnouncer(announcer());
    p.registerReloads(reloaders);
    return p;
  }

  private static Grant grant(UUID keyId) {
    return new Grant(UUID.randomUUID().toString(), keyId, null,
        "arn:aws:iam::111122223333:user/app", null, Set.of("Decrypt"), null, null,
        Instant.now().truncatedTo(ChronoUnit.MILLIS), UUID.randomUUID().toString());
  }

  @Test
  void aGrantCreatedOnOneNodeAuthorisesOnTheOtherAndItsRevocationEndsThere() throws Exception {
    KeyRecord k = a.create(newKey(), Instant.now(), "software", null);
    Grant g = grant(k.id());
    policiesA.addGrant(g);
    awaitFeed();
    assertEquals(g, policiesB.grantByToken(g.token()));
    policiesA.removeGrant(g);
    awaitFeed();
    assertNull(policiesB.grantByToken(g.token()));
    assertEquals(List.of(), List.copyOf(policiesB.grantsOf(k.id())));
  }

  @Test
  void revokingAGrantAnotherNodeRevokedIsNotFound() throws Exception {
    KeyRecord k = a.create(newKey(), Instant.now(), "software", null);
    Grant g = grant(k.id());
    policiesA.addGrant(g);
    awaitFeed();
    policiesA.removeGrant(g);
    // b has not heard of the revocation yet
    KmsException e = assertThrows(KmsException.class, () -> policiesB.removeGrant(g));
    assertEquals(ErrorType.NOT_FOUND, e.errorType());
    assertNull(policiesB.grantByToken(g.token()));
  }

  @Test
  void aPolicyPutOnOneNodeIsInForceOnTheOther() throws Exception {
    KeyRecord k = a.create(newKey(), Instant.now(), "software", null);
    awaitFeed();
    KeyPolicy before = policiesB.policy(k.id());
    String doc = before.document().replace("key-default-1", "changed-elsewhere");
    KeyPolicy changed = KeyPolicy.load(doc, policiesA.principals());
    dbA.inTransaction(tx -> {
      policiesA.putPolicy(tx, k.id(), changed);
      return null;
    });
    policiesA.policyCommitted(k.id(), changed);
    awaitFeed();
    assertEquals(changed.document(), policiesB.policy(k.id()).document());
  }

  @AfterEach
  void close() {
    dbA.close();
    dbB.close();
  }

  static KeyRecord newKey() {
    // Stored as epoch milliseconds, so created in them: a reloaded record equals the created.
    return KeyRecord.builder(UUID.randomUUID(), Instant.now().truncatedTo(ChronoUnit.MILLIS))
        .keyStore("software").build();
  }

  @Test
  void aKeyCreatedOnOneNodeIsSeenOnTheOther() throws Exception {
    KeyRecord k = a.create(newKey(), Instant.now(), "software", null);
    awaitFeed();
    assertEquals(k, b.get(k.id()));
  }

  @Test
  void aKeyDisabledOnOneNodeIsDisabledOnTheOther() throws Exception {
    KeyRecord k = a.create(newKey(), Instant.now(), "software", null);
    awaitFeed();
    a.update(k.id(), cur -> cur.toBuilder().state(KeyState.Disabled).build());
    awaitFeed();
    assertEquals(KeyState.Disabled, b.get(k.id()).state());
  }

  @Test
  void aChangeOnAStaleNodeKeepsTheOtherNodesChange() throws Exception {
    KeyRecord k = a.create(newKey(), Instant.now(), "software", null);
    awaitFeed();
    a.update(k.id(), cur -> cur.toBuilder().state(KeyState.Disabled).build());
    // b changes the key before the feed told it of a's change: it must change what is stored.
    KeyRecord after = b.update(k.id(), cur -> cur.toBuilder().description("renamed").build());
    assertEquals(KeyState.Disabled, after.state(), "b overwrote a's DisableKey");
    assertEquals("renamed", after.description());
    awaitFeed();
    assertEquals(after, a.get(k.id()));
  }

  @Test
  void concurrentCreateAliasOnTwoNodesYieldsOneSuccessAndOneAlreadyExists() throws Exception {
    KeyRecord k = a.create(newKey(), Instant.now(), "software", null);
    awaitFeed();
    for (int round = 0; round < 10; round++) {
      String name = "alias/race-" + round;
      CyclicBarrier start = new CyclicBarrier(2);
      ExecutorService pool = Executors.newFixedThreadPool(2);
      try {
        List<Future<String>> outcomes = new ArrayList<>();
        for (KeyRegistry node : List.of(a, b)) {
          outcomes.add(pool.submit(() -> {
            start.await();
            try {
              Instant now = Instant.now();
              node.createAlias(new AliasRecord(name, k.id(), now, now), (t, al) -> { });
              return "ok";
            } catch (KmsException e) {
              return e.errorType();
            }
          }));
        }
        List<String> got = new ArrayList<>();
        for (Future<String> f : outcomes) {
          got.add(f.get());
        }
        got.sort(null);
        assertEquals(List.of(ErrorType.ALREADY_EXISTS, "ok"), got, "round " + round);
      } finally {
        pool.shutdownNow();
      }
    }
  }

  @Test
  void firstUseOfAManagedAliasOnTwoNodesAtOnceCreatesOneKey() throws Exception {
    for (int round = 0; round < 5; round++) {
      String name = "alias/coffer/race-" + round;
      CyclicBarrier start = new CyclicBarrier(2);
      ExecutorService pool = Executors.newFixedThreadPool(2);
      try {
        List<Future<UUID>> outcomes = new ArrayList<>();
        for (KeyRegistry node : List.of(a, b)) {
          outcomes.add(pool.submit(() -> {
            KeyRecord k = newKey().toBuilder().currentVersion(1).build();
            Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
            start.await();
            return node.createWithAlias(k, now, "software", new byte[] {1},
                new AliasRecord(name, k.id(), now, now), tx -> null);
          }));
        }
        UUID first = outcomes.get(0).get();
        assertEquals(first, outcomes.get(1).get(), "both nodes name the same key");
        assertEquals(first, b.alias(name).targetKeyId());
        assertEquals(first, a.alias(name).targetKeyId());
      } finally {
        pool.shutdownNow();
      }
    }
    assertEquals(5, dbA.loadKeys().size(), "one key per alias, the other rolled back");
  }

  @Test
  void createAliasOnAStaleNodeIsAlreadyExists() throws Exception {
    KeyRecord k = a.create(newKey(), Instant.now(), "software", null);
    awaitFeed();
    Instant now = Instant.now();
    a.createAlias(new AliasRecord("alias/once", k.id(), now, now), (t, al) -> { });
    KmsException e = assertThrows(KmsException.class,
        () -> b.createAlias(new AliasRecord("alias/once", k.id(), now, now), (t, al) -> { }));
    assertEquals(ErrorType.ALREADY_EXISTS, e.errorType());
  }

  @Test
  void theKeyQuotaHoldsAcrossNodes() throws Exception {
    a.create(newKey(), Instant.now(), "software", null);
    a.create(newKey(), Instant.now(), "software", null);
    b.create(newKey(), Instant.now(), "software", null);
    // b has seen one key, a two: neither node's memory knows the database holds three.
    b.create(newKey(), Instant.now(), "software", null);
    KmsException e = assertThrows(KmsException.class,
        () -> a.create(newKey(), Instant.now(), "software", null));
    assertEquals(ErrorType.LIMIT_EXCEEDED, e.errorType());
    assertEquals(MAX_KEYS, dbA.loadKeys().size());
  }

  @Test
  void concurrentCreateKeyOnTwoNodesStaysWithinTheQuota() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<?>> all = new ArrayList<>();
      for (int i = 0; i < 12; i++) {
        KeyRegistry node = i % 2 == 0 ? a : b;
        all.add(pool.submit(() -> {
          try {
            node.create(newKey(), Instant.now(), "software", null);
          } catch (KmsException e) {
            assertEquals(ErrorType.LIMIT_EXCEEDED, e.errorType());
          }
          return null;
        }));
      }
      for (Future<?> f : all) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
    }
    assertEquals(MAX_KEYS, dbA.loadKeys().size());
  }

  @Test
  void aKeyDeletedOnOneNodeIsGoneOnTheOther() throws Exception {
    KeyRecord k = a.create(newKey(), Instant.now(), "software", null);
    Instant now = Instant.now();
    a.createAlias(new AliasRecord("alias/doomed", k.id(), now, now), (t, al) -> { });
    a.update(k.id(), cur -> cur.toBuilder().pendingDeletion(now.minusSeconds(1), 7).build());
    awaitFeed();
    assertNotNull(b.alias("alias/doomed"));
    a.deleteDue(now);
    awaitFeed();
    assertNull(b.get(k.id()));
    assertNull(b.alias("alias/doomed"));
  }

  @Test
  void openedVersionsFollowRotationAndDeletionOnTheOtherNode() throws Exception {
    java.nio.file.Path home = java.nio.file.Files.createTempDirectory(
        java.nio.file.Path.of("/tmp"), "coffer-root");
    java.security.SecureRandom random = new java.security.SecureRandom();
    SoftwareKeyStore store = new SoftwareKeyStore(RootKeys.load(home, random), random);
    BackingKeys openedA = new BackingKeys(dbA, java.util.Map.of(store.id(), store), 100);
    BackingKeys openedB = new BackingKeys(dbB, java.util.Map.of(store.id(), store), 100);
    Reloaders rb = new Reloaders();
    openedB.registerReloads(rb);
    subscribe(rb);
    KeyRecord k = newKey().toBuilder().currentVersion(1).keyStore(store.id()).build();
    a.create(k, Instant.now(), store.id(), store.generate(k.id(), 1));
    awaitFeed();
    assertNotNull(openedB.get(k.id(), 1));
    // A rotation on a: b finds the new version in the database, whether it heard or not.
    a.addVersion(k.id(), Instant.now(), "ON_DEMAND", cur -> cur,
        (key, version) -> store.generate(key.id(), version));
    assertNotNull(openedB.get(k.id(), 2));
    assertNotNull(openedA.get(k.id(), 2));
    Instant now = Instant.now();
    a.update(k.id(), cur -> cur.toBuilder().pendingDeletion(now.minusSeconds(1), 7).build());
    openedA.destroy(a.deleteDue(now));
    awaitFeed();
    // b had both versions open: once the deletion reached it, they serve nothing.
    assertNull(openedB.get(k.id(), 1));
    assertNull(openedB.get(k.id(), 2));
    try (var files = java.nio.file.Files.walk(home)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    }
  }

  @Test
  void reloadAllCatchesUpWithMissedAnnouncements() throws Exception {
    a.setAnnouncer(Announcer.NONE);
    KeyRecord k = a.create(newKey(), Instant.now(), "software", null);
    assertNull(b.get(k.id()));
    b.reloadAll();
    assertEquals(k, b.get(k.id()));
  }
}
