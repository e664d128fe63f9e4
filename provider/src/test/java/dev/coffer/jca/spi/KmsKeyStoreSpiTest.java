package dev.coffer.jca.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coffer.jca.TestDaemon;
import dev.coffer.jca.key.KmsKey;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.KeyStoreException;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class KmsKeyStoreSpiTest {

  private static KmsKey key;
  private static KeyStore ks;

  @BeforeAll
  static void setUp() throws Exception {
    key = TestDaemon.newKey();
    ks = KeyStore.getInstance("KMS", "Coffer");
    ks.load(null, null);
  }

  private static String newAlias() {
    return "alias/t-" + UUID.randomUUID();
  }

  @Test
  void setEntryWithHandle_createsAliasVisibleEverywhere() throws Exception {
    String alias = newAlias();
    ks.setEntry(alias, new KeyStore.SecretKeyEntry(key), null);
    assertTrue(ks.containsAlias(alias));
    assertTrue(ks.isKeyEntry(alias));
    assertFalse(ks.isCertificateEntry(alias));
    assertTrue(ks.entryInstanceOf(alias, KeyStore.SecretKeyEntry.class));
    assertFalse(ks.entryInstanceOf(alias, KeyStore.PrivateKeyEntry.class));
    assertTrue(Collections.list(ks.aliases()).contains(alias));
    assertTrue(Collections.list(ks.aliases()).contains(key.keyId()));
    assertNotNull(ks.getCreationDate(alias));
    assertEquals(key, ks.getKey(alias, null));
    assertEquals(key, ((KeyStore.SecretKeyEntry) ks.getEntry(alias, null)).getSecretKey());
    assertTrue(ks.size() >= 2);
  }

  @Test
  void getKeyByIdAndArn_returnsSameHandle() throws Exception {
    KmsKey byId = (KmsKey) ks.getKey(key.keyId(), null);
    assertEquals(key, byId);
    assertEquals(key, ks.getKey(key.arn(), "ignored".toCharArray()));
    assertNull(byId.getEncoded());
    assertNull(byId.getFormat());
    assertNotNull(ks.getCreationDate(key.keyId()));
  }

  @Test
  void unknownAlias_getsNullAndIsNotContained() throws Exception {
    assertNull(ks.getKey("alias/does-not-exist", null));
    assertFalse(ks.containsAlias("alias/does-not-exist"));
    assertNull(ks.getCreationDate("alias/does-not-exist"));
    assertNull(ks.getEntry("alias/does-not-exist", null));
  }

  @Test
  void setKeyEntryOnExistingAlias_movesIt() throws Exception {
    String alias = newAlias();
    KmsKey other = TestDaemon.newKey();
    ks.setKeyEntry(alias, key, null, null);
    ks.setKeyEntry(alias, other, null, null);
    assertEquals(other, ks.getKey(alias, null));
  }

  @Test
  void plainAes256Key_importedAsExternalKey_usableThroughItsAlias() throws Exception {
    String alias = newAlias();
    byte[] material = new byte[32];
    new java.security.SecureRandom().nextBytes(material);
    ks.setEntry(alias, new KeyStore.SecretKeyEntry(new SecretKeySpec(material, "AES")), null);
    KmsKey imported = (KmsKey) ks.getKey(alias, null);
    assertNull(imported.getEncoded());
    com.fasterxml.jackson.databind.node.ObjectNode in =
        dev.coffer.protocol.Json.object().put("KeyId", alias);
    com.fasterxml.jackson.databind.JsonNode meta = TestDaemon.call("DescribeKey", in)
        .get("KeyMetadata");
    assertEquals("EXTERNAL", meta.get("Origin").asText());
    assertEquals("Enabled", meta.get("KeyState").asText());
    javax.crypto.Cipher enc = javax.crypto.Cipher.getInstance("AES/GCM/NoPadding", "Coffer");
    enc.init(javax.crypto.Cipher.ENCRYPT_MODE, imported);
    byte[] ct = enc.doFinal("imported".getBytes(StandardCharsets.UTF_8));
    javax.crypto.Cipher dec = javax.crypto.Cipher.getInstance("AES/GCM/NoPadding", "Coffer");
    dec.init(javax.crypto.Cipher.DECRYPT_MODE, imported, enc.getParameters());
    assertEquals("imported", new String(dec.doFinal(ct), StandardCharsets.UTF_8));
  }

  @Test
  void plainAes128Key_refusedNamingTheSize_noAliasCreated() throws Exception {
    String alias = newAlias();
    KeyStoreException e = assertThrows(KeyStoreException.class,
        () -> ks.setKeyEntry(alias, new SecretKeySpec(new byte[16], "AES"), null, null));
    assertTrue(e.getMessage().contains("256-bit"), e.getMessage());
    assertFalse(ks.containsAlias(alias));
  }

  @Test
  void plainKeyOnExistingAlias_refused_aliasStaysOnItsKey() throws Exception {
    String alias = newAlias();
    ks.setKeyEntry(alias, key, null, null);
    KeyStoreException e = assertThrows(KeyStoreException.class,
        () -> ks.setKeyEntry(alias, new SecretKeySpec(new byte[32], "AES"), null, null));
    assertTrue(e.getMessage().contains("already names"), e.getMessage());
    assertEquals(key, ks.getKey(alias, null));
  }

  @Test
  void bareEntryName_meansAliasOfThatName() throws Exception {
    String bare = "t-" + UUID.randomUUID();
    ks.setKeyEntry(bare, key, null, null);
    assertTrue(ks.containsAlias("alias/" + bare));
    assertTrue(ks.containsAlias(bare));
    assertEquals(key, ks.getKey(bare, null));
    ks.deleteEntry(bare);
    assertFalse(ks.containsAlias("alias/" + bare));
  }

  @Test
  void secretKeyOfAnAlgorithmKmsCannotImport_refused() {
    // AES-256 and HmacSHA224..512 of their digest size import (KmsMacSpiTest); nothing else.
    assertThrows(KeyStoreException.class, () -> ks.setKeyEntry(newAlias(),
        new SecretKeySpec(new byte[24], "DESede"), null, null));
    assertThrows(KeyStoreException.class, () -> ks.setKeyEntry(newAlias(),
        new SecretKeySpec(new byte[20], "HmacSHA1"), null, null));
  }

  @Test
  void setEntryUnderKeyId_refused() {
    assertThrows(KeyStoreException.class, () -> ks.setKeyEntry(key.keyId(), key, null, null));
  }

  @Test
  void certificateEntry_refused() {
    assertThrows(KeyStoreException.class, () -> ks.setCertificateEntry("alias/c", null));
  }

  @Test
  void deleteEntryOnAlias_deletesAliasOnly() throws Exception {
    String alias = newAlias();
    ks.setEntry(alias, new KeyStore.SecretKeyEntry(key), null);
    ks.deleteEntry(alias);
    assertFalse(ks.containsAlias(alias));
    assertTrue(ks.containsAlias(key.keyId()));
  }

  @Test
  void deleteEntryOnKeyId_refused() {
    KeyStoreException e = assertThrows(KeyStoreException.class, () -> ks.deleteEntry(key.keyId()));
    assertTrue(e.getMessage().contains("ScheduleKeyDeletion"));
  }

  @Test
  void deleteUnknownAlias_throwsNamingNotFound() {
    KeyStoreException e =
        assertThrows(KeyStoreException.class, () -> ks.deleteEntry("alias/never-made"));
    assertTrue(e.getMessage().startsWith("NotFoundException"), e.getMessage());
  }

  @Test
  void store_isANoOp() throws Exception {
    ks.store(null, null);
  }

  @Test
  void loadFromPropertiesStream_usesNamedSocket() throws Exception {
    KeyStore s = KeyStore.getInstance("KMS", "Coffer");
    String props = "socket=" + TestDaemon.socket() + "\n";
    s.load(new ByteArrayInputStream(props.getBytes(StandardCharsets.UTF_8)), null);
    KmsKey k = (KmsKey) s.getKey(key.keyId(), null);
    assertEquals(TestDaemon.socket(), k.socket());
  }

  @Test
  void loadWithDaemonDown_throwsIOExceptionNamingUnavailable() throws Exception {
    KeyStore s = KeyStore.getInstance("KMS", "Coffer");
    IOException e = assertThrows(IOException.class,
        () -> s.load(new ByteArrayInputStream("socket=/tmp/no-coffer.sock".getBytes()), null));
    assertTrue(e.getMessage().startsWith("CofferDaemonUnavailableException"), e.getMessage());
  }

  @Test
  void unloadedKeyStore_refusesUse() throws Exception {
    KeyStore s = KeyStore.getInstance("KMS", "Coffer");
    assertThrows(KeyStoreException.class, () -> s.aliases());
  }

  @Test
  void handleFromKeyStore_encryptsWithEnvelopeCipher() throws Exception {
    KmsKey k = (KmsKey) ks.getKey(key.keyId(), null);
    javax.crypto.Cipher c = javax.crypto.Cipher.getInstance("AES/GCM/NoPadding");
    c.init(javax.crypto.Cipher.ENCRYPT_MODE, k);
    assertInstanceOf(byte[].class, c.doFinal(new byte[10]));
    assertEquals(List.of(), k.grantTokens());
  }
}
