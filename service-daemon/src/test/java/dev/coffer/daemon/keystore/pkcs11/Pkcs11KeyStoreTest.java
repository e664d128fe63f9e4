package dev.coffer.daemon.keystore.pkcs11;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coffer.daemon.keystore.BackingKey;
import dev.coffer.protocol.ErrorType;
import dev.coffer.protocol.KmsException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import javax.crypto.AEADBadTagException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The PKCS#11 key store and root key against real SoftHSM2 tokens. */
class Pkcs11KeyStoreTest {

  private static final SecureRandom RANDOM = new SecureRandom();
  private static String label;
  private final Set<String> referenced = ConcurrentHashMap.newKeySet();

  @BeforeAll
  static void token() throws Exception {
    SoftHsm.conf();
    label = SoftHsm.newToken("ks");
  }

  private static Pkcs11Config config(String tokenLabel) {
    return new Pkcs11Config(SoftHsm.LIBRARY, tokenLabel, null);
  }

  private Pkcs11KeyStore connected(int sessions) {
    Pkcs11KeyStore s = new Pkcs11KeyStore("cks-" + UUID.randomUUID().toString().substring(0, 8),
        () -> Set.copyOf(referenced), RANDOM, sessions);
    s.connect(config(label), SoftHsm.PIN.toCharArray());
    assertEquals(Pkcs11KeyStore.ConnectionState.CONNECTED, s.state(), () -> s.errorMessage());
    return s;
  }

  private static byte[] iv() {
    byte[] iv = new byte[12];
    RANDOM.nextBytes(iv);
    return iv;
  }

  @Test
  void generate_tokenObjectSensitiveNonExtractable_storedFormIsOnlyTheLabel() throws Exception {
    Pkcs11KeyStore s = connected(4);
    UUID id = UUID.randomUUID();
    byte[] stored = s.generate(id, 1);
    String l = new String(stored, StandardCharsets.UTF_8);
    assertTrue(l.startsWith(s.labelPrefix() + id + "-v1-"), l);
    try (Pkcs11Token t = Pkcs11Token.open(config(label), SoftHsm.PIN.toCharArray(), 2)) {
      String desc = t.key(l).toString();
      assertTrue(desc.contains("token object") && desc.contains("sensitive")
          && desc.contains("unextractable"), desc);
      assertNull(t.key(l).getEncoded());
    }
  }

  @Test
  void sealOpen_roundTripInToken_wrongAadOrTamperFailsTag() throws Exception {
    Pkcs11KeyStore s = connected(4);
    UUID id = UUID.randomUUID();
    BackingKey k = s.open(id, 1, s.generate(id, 1));
    byte[] iv = iv();
    byte[] aad = "header".getBytes(StandardCharsets.UTF_8);
    byte[] sealed = k.seal(new byte[16], iv, "secret".getBytes(StandardCharsets.UTF_8), aad);
    assertEquals(6 + 16, sealed.length);
    assertArrayEquals("secret".getBytes(StandardCharsets.UTF_8), k.open(new byte[16], iv, sealed,
        aad));
    assertThrows(AEADBadTagException.class, () -> k.open(new byte[16], iv, sealed,
        "other".getBytes(StandardCharsets.UTF_8)));
    sealed[0] ^= 1;
    assertThrows(AEADBadTagException.class, () -> k.open(new byte[16], iv, sealed, aad));
  }

  @Test
  void connect_wrongPin_failedInvalidCredentials() {
    Pkcs11KeyStore s = new Pkcs11KeyStore("cks-pin", Set::of, RANDOM, 2);
    s.connect(config(label), "999999".toCharArray());
    assertEquals(Pkcs11KeyStore.ConnectionState.FAILED, s.state());
    assertEquals(ConnectionErrorCode.INVALID_CREDENTIALS, s.errorCode());
  }

  @Test
  void connect_missingLibrary_failedLibraryNotFound() {
    Pkcs11KeyStore s = new Pkcs11KeyStore("cks-lib", Set::of, RANDOM, 2);
    s.connect(new Pkcs11Config("/nonexistent/libpkcs11.so", label, null), "1234".toCharArray());
    assertEquals(ConnectionErrorCode.LIBRARY_NOT_FOUND, s.errorCode());
    s.connect(new Pkcs11Config("/etc/hostname", label, null), "1234".toCharArray());
    assertEquals(ConnectionErrorCode.LIBRARY_NOT_FOUND, s.errorCode(), s.errorMessage());
  }

  @Test
  void connect_unknownLabelOrSlotIndex_failedTokenNotFound() {
    Pkcs11KeyStore s = new Pkcs11KeyStore("cks-tok", Set::of, RANDOM, 2);
    s.connect(config("no-such-token"), "1234".toCharArray());
    assertEquals(ConnectionErrorCode.TOKEN_NOT_FOUND, s.errorCode(), s.errorMessage());
    s.connect(new Pkcs11Config(SoftHsm.LIBRARY, null, 999), "1234".toCharArray());
    assertEquals(ConnectionErrorCode.TOKEN_NOT_FOUND, s.errorCode(), s.errorMessage());
  }

  @Test
  void disconnected_operationsRefused_importRefused() {
    Pkcs11KeyStore s = connected(2);
    UUID id = UUID.randomUUID();
    BackingKey k = s.open(id, 1, s.generate(id, 1));
    s.disconnect();
    KmsException e = assertThrows(KmsException.class,
        () -> k.seal(new byte[16], iv(), new byte[1], new byte[0]));
    assertEquals("CustomKeyStoreInvalidStateException", e.errorType());
    assertThrows(UnsupportedOperationException.class,
        () -> s.importMaterial(id, 2, new byte[32]));
  }

  @Test
  void destroy_deletesTokenObject() throws Exception {
    Pkcs11KeyStore s = connected(2);
    UUID id = UUID.randomUUID();
    byte[] stored = s.generate(id, 1);
    s.destroy(id, 1, stored);
    try (Pkcs11Token t = Pkcs11Token.open(config(label), SoftHsm.PIN.toCharArray(), 2)) {
      assertNull(t.key(new String(stored, StandardCharsets.UTF_8)));
    }
  }

  @Test
  void connect_orphanedObjectOfThisStore_deletedAfterTheGrace() throws Exception {
    Pkcs11KeyStore first = connected(2);
    UUID kept = UUID.randomUUID();
    UUID orphan = UUID.randomUUID();
    String keptLabel = new String(first.generate(kept, 1), StandardCharsets.UTF_8);
    String orphanLabel = new String(first.generate(orphan, 1), StandardCharsets.UTF_8);
    first.disconnect();
    referenced.add(keptLabel);
    // A daemon restarted after a crash: a new store object with the same id.
    Pkcs11KeyStore again = new Pkcs11KeyStore(first.id(), () -> Set.copyOf(referenced), RANDOM, 2,
        Duration.ofMillis(300));
    again.connect(config(label), SoftHsm.PIN.toCharArray());
    try (Pkcs11Token t = Pkcs11Token.open(config(label), SoftHsm.PIN.toCharArray(), 2)) {
      waitUntilGone(t, orphanLabel);
      assertNotNull(t.key(keptLabel));
    }
  }

  /**
   * Two nodes sharing one token: node A has generated a key's object and not yet committed its
   * row when node B connects. B must not delete it; an object that stays unreferenced goes.
   */
  @Test
  void connect_anotherNodesObjectNotCommittedYet_kept() throws Exception {
    Pkcs11KeyStore nodeA = connected(2);
    String inFlight = new String(nodeA.generate(UUID.randomUUID(), 1), StandardCharsets.UTF_8);
    String abandoned = new String(nodeA.generate(UUID.randomUUID(), 1), StandardCharsets.UTF_8);
    Pkcs11KeyStore nodeB = new Pkcs11KeyStore(nodeA.id(), () -> Set.copyOf(referenced), RANDOM,
        2, Duration.ofMillis(500));
    nodeB.connect(config(label), SoftHsm.PIN.toCharArray());
    try (Pkcs11Token t = Pkcs11Token.open(config(label), SoftHsm.PIN.toCharArray(), 2)) {
      assertNotNull(t.key(inFlight), "deleted another node's key object before its row committed");
      referenced.add(inFlight); // node A commits the key's row
      waitUntilGone(t, abandoned);
      assertNotNull(t.key(inFlight));
    }
    UUID id = UUID.randomUUID();
    assertNotNull(nodeA.open(id, 1, inFlight.getBytes(StandardCharsets.UTF_8)));
  }

  private static void waitUntilGone(Pkcs11Token t, String objectLabel) throws Exception {
    long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (t.key(objectLabel) != null) {
      if (System.nanoTime() > end) {
        throw new AssertionError(objectLabel + " still in the token");
      }
      Thread.sleep(100);
      t.forgetHandles();
    }
  }

  @Test
  void concurrentOperations_manyThreadsFewSessions_allSucceedNoPermitLeaked() throws Exception {
    Pkcs11KeyStore s = connected(2);
    UUID id = UUID.randomUUID();
    BackingKey k = s.open(id, 1, s.generate(id, 1));
    ExecutorService pool = Executors.newFixedThreadPool(6);
    List<Future<Integer>> futures = new ArrayList<>();
    for (int t = 0; t < 6; t++) {
      futures.add(pool.submit(() -> {
        int ok = 0;
        for (int i = 0; i < 250; i++) {
          byte[] iv = iv();
          byte[] pt = ("message " + i).getBytes(StandardCharsets.UTF_8);
          byte[] sealed = k.seal(new byte[16], iv, pt, new byte[] {1});
          if (java.util.Arrays.equals(pt, k.open(new byte[16], iv, sealed, new byte[] {1}))) {
            ok++;
          }
        }
        return ok;
      }));
    }
    int total = 0;
    for (Future<Integer> f : futures) {
      total += f.get();
    }
    pool.shutdown();
    assertEquals(1500, total);
    assertEquals(0, s.inFlight());
    assertEquals(Pkcs11KeyStore.ConnectionState.CONNECTED, s.state());
  }

  @Test
  void tokenRemovedUnderUse_failsCleanlyAsUnavailable_recoversAfterConnect() throws Exception {
    String own = SoftHsm.newToken("gone");
    Pkcs11KeyStore s = new Pkcs11KeyStore("cks-gone", () -> Set.copyOf(referenced), RANDOM, 2);
    s.connect(config(own), SoftHsm.PIN.toCharArray());
    assertEquals(Pkcs11KeyStore.ConnectionState.CONNECTED, s.state(), s.errorMessage());
    UUID id = UUID.randomUUID();
    byte[] stored = s.generate(id, 1);
    referenced.add(new String(stored, StandardCharsets.UTF_8));
    BackingKey k = s.open(id, 1, stored);
    byte[] iv = iv();
    byte[] sealed = k.seal(new byte[16], iv, new byte[] {42}, new byte[0]);

    Path dir = SoftHsm.tokenDirectory(own);
    Path away = dir.resolveSibling("away-" + dir.getFileName());
    Files.move(dir, away);
    try {
      KmsException e = assertThrows(KmsException.class,
          () -> k.seal(new byte[16], iv(), new byte[] {1}, new byte[0]));
      assertEquals(ErrorType.KEY_UNAVAILABLE, e.errorType(), e.getMessage());
      assertEquals(Pkcs11KeyStore.ConnectionState.FAILED, s.state());
      assertEquals(ConnectionErrorCode.TOKEN_ERRORS, s.errorCode());
      assertEquals(0, s.inFlight());
    } finally {
      Files.move(away, dir);
    }
    s.connect(config(own), SoftHsm.PIN.toCharArray());
    assertEquals(Pkcs11KeyStore.ConnectionState.CONNECTED, s.state(), s.errorMessage());
    assertArrayEquals(new byte[] {42}, k.open(new byte[16], iv, sealed, new byte[0]));
  }

  @Test
  void rootKey_wrapUnwrapAndMacInToken_objectsReusedAcrossOpens() throws Exception {
    String own = SoftHsm.newToken("root");
    Pkcs11RootKey root = Pkcs11RootKey.open(config(own), SoftHsm.PIN.toCharArray(), RANDOM);
    byte[] material = new byte[32];
    RANDOM.nextBytes(material);
    byte[] wrapped = root.wrap(material, new byte[] {7});
    assertEquals(12 + 32 + 16, wrapped.length);
    assertArrayEquals(material, root.unwrap(wrapped, new byte[] {7}));
    assertThrows(AEADBadTagException.class, () -> root.unwrap(wrapped, new byte[] {8}));
    byte[] mac = root.mac("purpose", new byte[] {1}, new byte[] {2, 3});
    assertEquals(32, mac.length);
    assertFalse(java.util.Arrays.equals(mac, root.mac("purpose", new byte[] {1, 2},
        new byte[] {3})));

    Pkcs11RootKey again = Pkcs11RootKey.open(config(own), SoftHsm.PIN.toCharArray(), RANDOM);
    assertArrayEquals(material, again.unwrap(wrapped, new byte[] {7}));
    assertArrayEquals(mac, again.mac("purpose", new byte[] {1}, new byte[] {2, 3}));
    try (Pkcs11Token t = Pkcs11Token.open(config(own), SoftHsm.PIN.toCharArray(), 2)) {
      Set<String> labels = new HashSet<>(t.labels("coffer-root-"));
      assertEquals(Set.of(Pkcs11RootKey.AES_LABEL, Pkcs11RootKey.HMAC_LABEL), labels);
      assertTrue(t.key(Pkcs11RootKey.AES_LABEL).toString().contains("unextractable"));
      assertTrue(t.key(Pkcs11RootKey.HMAC_LABEL).toString().contains("unextractable"));
      assertTrue(t.key(Pkcs11RootKey.HMAC_LABEL).toString().contains(" sensitive"),
          t.key(Pkcs11RootKey.HMAC_LABEL).toString());
    }
  }
}
