package dev.coffer.jca.spi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coffer.jca.KeyPairs;
import dev.coffer.jca.TestDaemon;
import dev.coffer.jca.key.KmsEcPrivateKey;
import dev.coffer.jca.key.KmsKey;
import dev.coffer.jca.key.KmsKeyGenParameterSpec;
import dev.coffer.jca.key.KmsPrivateKey;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.KeyStoreException;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.util.UUID;
import javax.crypto.KeyGenerator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code KeyStore KMS} with asymmetric KMS keys: PrivateKeyEntry and the chain in the daemon. */
class KmsKeyStoreKeyPairTest {

  private static KeyStore ks;

  @BeforeAll
  static void setUp() throws Exception {
    TestDaemon.socket();
    ks = KeyStore.getInstance("KMS", "Coffer");
    ks.load(null, null);
  }

  private static KeyStore fresh() throws Exception {
    KeyStore k = KeyStore.getInstance("KMS", "Coffer");
    k.load(null, null);
    return k;
  }

  private static String newAlias() {
    return "alias/kp-" + UUID.randomUUID();
  }

  private static KeyPair ec() throws Exception {
    return KeyPairs.generate("EC", new ECGenParameterSpec("secp256r1"));
  }

  @Test
  void setKeyEntryWithChain_isAPrivateKeyEntryForEveryReader() throws Exception {
    KeyPair pair = ec();
    X509Certificate cert = KeyPairs.selfSigned(pair, "SHA256withECDSA", "CN=kp test");
    cert.verify(pair.getPublic()); // signed in the daemon by the KMS key itself
    String alias = newAlias();
    ks.setKeyEntry(alias, pair.getPrivate(), null, new Certificate[] {cert});

    KeyStore other = fresh();
    assertTrue(other.isKeyEntry(alias));
    assertTrue(other.entryInstanceOf(alias, KeyStore.PrivateKeyEntry.class));
    assertFalse(other.entryInstanceOf(alias, KeyStore.SecretKeyEntry.class));
    KeyStore.PrivateKeyEntry e = assertInstanceOf(KeyStore.PrivateKeyEntry.class,
        other.getEntry(alias, null));
    assertEquals(pair.getPrivate(), e.getPrivateKey());
    assertInstanceOf(KmsEcPrivateKey.class, e.getPrivateKey());
    assertArrayEquals(cert.getEncoded(), e.getCertificate().getEncoded());
    assertEquals(cert, other.getCertificate(alias));
    assertEquals(1, other.getCertificateChain(alias).length);
    assertEquals(pair.getPublic(), ((KmsPrivateKey) other.getKey(alias, null)).publicKey());
  }

  @Test
  void getCertificateAlias_namesTheEntryWhoseChainStartsWithTheCertificate() throws Exception {
    // KeyStore.getCertificateAlias: "the alias of the first entry ... whose certificate chain
    // starts with the given certificate"; null when none does.
    KeyPair pair = ec();
    X509Certificate cert = KeyPairs.selfSigned(pair, "SHA256withECDSA", "CN=find me");
    String alias = newAlias();
    ks.setKeyEntry(alias, pair.getPrivate(), null, new Certificate[] {cert});
    String found = fresh().getCertificateAlias(cert);
    assertTrue(alias.equals(found)
        || ((KmsPrivateKey) pair.getPrivate()).arn().endsWith("/" + found), found);
    assertNull(fresh().getCertificateAlias(
        KeyPairs.selfSigned(ec(), "SHA256withECDSA", "CN=nowhere")));
  }

  @Test
  void setCertificateEntryOnTheKeysAlias_replacesItsCertificate() throws Exception {
    KeyPair pair = ec();
    String alias = newAlias();
    ks.setKeyEntry(alias, pair.getPrivate(), null,
        new Certificate[] {KeyPairs.selfSigned(pair, "SHA256withECDSA", "CN=first")});
    X509Certificate second = KeyPairs.selfSigned(pair, "SHA256withECDSA", "CN=second");
    ks.setCertificateEntry(alias, second);
    assertEquals(second, fresh().getCertificate(alias));
  }

  @Test
  void aChainForAnotherKey_isRefused_andNothingChanges() throws Exception {
    KeyPair pair = ec();
    KeyPair other = ec();
    String alias = newAlias();
    Certificate wrong = KeyPairs.selfSigned(other, "SHA256withECDSA", "CN=other");
    KeyStoreException e = assertThrows(KeyStoreException.class,
        () -> ks.setKeyEntry(alias, pair.getPrivate(), null, new Certificate[] {wrong}));
    assertTrue(e.getMessage().contains("public key differs"), e.getMessage());
    assertFalse(ks.containsAlias(alias));
    ks.setKeyEntry(alias, pair.getPrivate(), null,
        new Certificate[] {KeyPairs.selfSigned(pair, "SHA256withECDSA", "CN=right")});
    assertThrows(KeyStoreException.class, () -> ks.setCertificateEntry(alias, wrong));
  }

  @Test
  void keyPairWithoutCertificate_hasNoChain_andGetEntrySaysWhatToDo() throws Exception {
    // The JCA's KeyStore.setKeyEntry wants a chain with a private key; the alias comes from the
    // generator's KmsKeyGenParameterSpec instead.
    String alias = newAlias();
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC", "Coffer");
    g.initialize(KmsKeyGenParameterSpec.builder().alias(alias).build());
    KeyPair pair = g.generateKeyPair();
    assertNull(ks.getCertificateChain(alias));
    assertNull(ks.getCertificate(alias));
    assertEquals(pair.getPrivate(), ks.getKey(alias, null));
    KeyStoreException e = assertThrows(KeyStoreException.class, () -> ks.getEntry(alias, null));
    assertTrue(e.getMessage().contains("without a certificate"), e.getMessage());
  }

  @Test
  void ordinaryPrivateKeysAndTrustedCertificates_areRefused() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC", "SunEC");
    g.initialize(256);
    KeyPair local = g.generateKeyPair();
    Certificate[] localChain = {KeyPairs.selfSigned(local, "SHA256withECDSA", "CN=local")};
    KeyStoreException e = assertThrows(KeyStoreException.class,
        () -> ks.setKeyEntry(newAlias(), local.getPrivate(), null, localChain));
    assertTrue(e.getMessage().contains("cannot import private keys"), e.getMessage());
    Certificate cert = KeyPairs.selfSigned(ec(), "SHA256withECDSA", "CN=trusted");
    assertThrows(KeyStoreException.class, () -> ks.setCertificateEntry(newAlias(), cert));
    String symmetric = newAlias();
    ks.setKeyEntry(symmetric, TestDaemon.newKey(), null, null);
    assertThrows(KeyStoreException.class, () -> ks.setCertificateEntry(symmetric, cert));
    assertNull(ks.getCertificateChain(symmetric));
  }

  @Test
  void hmacKey_comesBackAsAnHmacHandle() throws Exception {
    KmsKey k = (KmsKey) KeyGenerator.getInstance("HmacSHA384", "Coffer").generateKey();
    KmsKey back = (KmsKey) ks.getKey(k.keyId(), null);
    assertEquals("HmacSHA384", back.getAlgorithm());
    assertTrue(ks.entryInstanceOf(k.keyId(), KeyStore.SecretKeyEntry.class));
  }
}
