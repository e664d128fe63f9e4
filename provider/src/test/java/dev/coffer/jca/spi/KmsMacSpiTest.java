package dev.coffer.jca.spi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.jca.TestData;
import dev.coffer.jca.TestDaemon;
import dev.coffer.jca.core.KmsProviderException;
import dev.coffer.jca.key.KmsKey;
import dev.coffer.protocol.Json;
import java.security.InvalidAlgorithmParameterException;
import java.security.InvalidKeyException;
import java.security.InvalidParameterException;
import java.security.KeyStore;
import java.security.KeyStoreException;
import javax.crypto.KeyGenerator;
import javax.crypto.Mac;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class KmsMacSpiTest {

  private static KmsKey hmac256;

  @BeforeAll
  static void setUp() throws Exception {
    hmac256 = newHmacKey("HmacSHA256");
  }

  private static KmsKey newHmacKey(String alg) throws Exception {
    TestDaemon.socket();
    return (KmsKey) KeyGenerator.getInstance(alg, "Coffer").generateKey();
  }

  private static boolean daemonVerifies(KmsKey key, String macAlgorithm, byte[] msg, byte[] mac) {
    ObjectNode in = Json.object().put("KeyId", key.arn()).put("Message", msg)
        .put("MacAlgorithm", macAlgorithm).put("Mac", mac);
    try {
      return TestDaemon.call("VerifyMac", in).path("MacValid").asBoolean();
    } catch (dev.coffer.protocol.KmsException e) {
      assertEquals("KMSInvalidMacException", e.errorType());
      return false;
    }
  }

  @ParameterizedTest
  @CsvSource({"HmacSHA224, HMAC_SHA_224, 28", "HmacSHA256, HMAC_SHA_256, 32",
      "HmacSHA384, HMAC_SHA_384, 48", "HmacSHA512, HMAC_SHA_512, 64"})
  void mac_isTheDaemonsGenerateMac_andVerifyMacAcceptsIt(String alg, String aws, int length)
      throws Exception {
    KmsKey key = alg.equals("HmacSHA256") ? hmac256 : newHmacKey(alg);
    assertEquals(alg, key.getAlgorithm());
    assertNull(key.getEncoded());
    Mac mac = Mac.getInstance(alg); // delayed provider selection: SunJCE cannot take a handle
    mac.init(key);
    assertEquals("Coffer", mac.getProvider().getName());
    assertEquals(length, mac.getMacLength());
    byte[] msg = TestData.data(1024);
    mac.update(msg, 0, 500);
    byte[] tag = mac.doFinal(java.util.Arrays.copyOfRange(msg, 500, 1024));
    assertEquals(length, tag.length);
    assertTrue(daemonVerifies(key, aws, msg, tag));
    tag[0] ^= 1;
    assertFalse(daemonVerifies(key, aws, msg, tag));
    // The Mac is reusable: the next doFinal over the same input gives the same (deterministic) MAC.
    tag[0] ^= 1;
    assertArrayEquals(tag, mac.doFinal(msg));
  }

  /**
   * Imported HMAC material (KeyStore.setKeyEntry of an ordinary HmacSHA* key: the material is
   * wrapped here and imported into a new HMAC KMS key) MACs through Coffer exactly as SunJCE
   * does with the same material.
   */
  @ParameterizedTest
  @CsvSource({"HmacSHA224, 28", "HmacSHA256, 32", "HmacSHA384, 48", "HmacSHA512, 64"})
  void importedHmacMaterial_macsExactlyLikeSunJce(String alg, int bytes) throws Exception {
    byte[] material = TestData.data(bytes);
    KeyStore ks = KeyStore.getInstance("KMS", "Coffer");
    ks.load(null, null);
    String alias = "alias/hmac-import-" + java.util.UUID.randomUUID();
    ks.setKeyEntry(alias, new SecretKeySpec(material, alg), null, null);
    KmsKey handle = (KmsKey) ks.getKey(alias, null);
    assertEquals(alg, handle.getAlgorithm());
    byte[] msg = TestData.data(4096);
    Mac coffer = Mac.getInstance(alg);
    coffer.init(handle);
    Mac sunJce = Mac.getInstance(alg, "SunJCE");
    sunJce.init(new SecretKeySpec(material, alg));
    assertArrayEquals(sunJce.doFinal(msg), coffer.doFinal(msg));
    assertEquals("Coffer", coffer.getProvider().getName());
  }

  @Test
  void hmacMaterialOfAnotherSize_isNotImported() throws Exception {
    KeyStore ks = KeyStore.getInstance("KMS", "Coffer");
    ks.load(null, null);
    String alias = "alias/hmac-bad-" + java.util.UUID.randomUUID();
    KeyStoreException e = assertThrows(KeyStoreException.class,
        () -> ks.setKeyEntry(alias, new SecretKeySpec(new byte[20], "HmacSHA256"), null, null));
    assertTrue(e.getMessage().contains("exactly 256 bits"), e.getMessage());
    assertFalse(ks.containsAlias(alias));
    assertThrows(KeyStoreException.class,
        () -> ks.setKeyEntry(alias, new SecretKeySpec(new byte[20], "HmacSHA1"), null, null));
  }

  @Test
  void exactly4096Bytes_isAccepted_oneMore_isRefusedAtOnce() throws Exception {
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(hmac256);
    assertEquals(32, mac.doFinal(new byte[4096]).length);
    mac.update(new byte[4000]);
    KmsProviderException e = assertThrows(KmsProviderException.class,
        () -> mac.update(new byte[97]));
    assertEquals("ValidationException", e.errorType());
    assertTrue(e.getMessage().contains("4096"), e.getMessage());
    // The refused input was dropped: the Mac is usable again.
    assertEquals(32, mac.doFinal(new byte[] {1}).length);
  }

  @Test
  void ordinaryKeys_stillGoToSunJce() throws Exception {
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(new byte[32], "HmacSHA256"));
    assertEquals("SunJCE", mac.getProvider().getName());
  }

  @Test
  void wrongKeys_andParameters_areRefused() throws Exception {
    Mac sha384 = Mac.getInstance("HmacSHA384", "Coffer");
    InvalidKeyException e = assertThrows(InvalidKeyException.class, () -> sha384.init(hmac256));
    assertTrue(e.getMessage().contains("HMAC_384"), e.getMessage());
    Mac sha256 = Mac.getInstance("HmacSHA256", "Coffer");
    assertThrows(InvalidKeyException.class, () -> sha256.init(TestDaemon.newKey()));
    assertThrows(InvalidKeyException.class,
        () -> sha256.init(new SecretKeySpec(new byte[32], "HmacSHA256")));
    assertThrows(InvalidAlgorithmParameterException.class,
        () -> sha256.init(hmac256, new IvParameterSpec(new byte[16])));
    assertThrows(IllegalStateException.class, () -> Mac.getInstance("HmacSHA256", "Coffer")
        .update(new byte[1]));
  }

  @Test
  void hmacHandle_doesNotEncrypt_namingWhatItIsFor() throws Exception {
    for (String transformation : new String[] {"AES/GCM/NoPadding", "KMS"}) {
      for (int mode : new int[] {javax.crypto.Cipher.ENCRYPT_MODE,
          javax.crypto.Cipher.DECRYPT_MODE}) {
        javax.crypto.Cipher c = javax.crypto.Cipher.getInstance(transformation, "Coffer");
        InvalidKeyException e = assertThrows(InvalidKeyException.class,
            () -> c.init(mode, hmac256));
        assertTrue(e.getMessage().contains("HMAC KMS key"), e.getMessage());
      }
    }
  }

  @Test
  void hmacKeyGenerator_checksTheSize() throws Exception {
    KeyGenerator g = KeyGenerator.getInstance("HmacSHA512", "Coffer");
    g.init(512);
    InvalidParameterException e = assertThrows(InvalidParameterException.class,
        () -> g.init(256));
    assertTrue(e.getMessage().contains("HMAC_512"), e.getMessage());
    KmsKey k = (KmsKey) g.generateKey();
    ObjectNode meta = (ObjectNode) TestDaemon.call("DescribeKey",
        Json.object().put("KeyId", k.keyId())).get("KeyMetadata");
    assertEquals("HMAC_512", meta.get("KeySpec").asText());
    assertEquals("GENERATE_VERIFY_MAC", meta.get("KeyUsage").asText());
  }
}
