package dev.coffer.daemon.ops;

import static dev.coffer.daemon.TestDaemon.bytes;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.coffer.daemon.TestDaemon;
import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Map;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PSource;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * RSA Encrypt/Decrypt/ReEncrypt, GenerateDataKeyPair(WithoutPlaintext) and HMAC key import
 * through the real socket, each checked against the JDK's own implementation.
 */
class AsymmetricEncryptionTest {

  private static final byte[] SECRET = "rsa secret".getBytes(StandardCharsets.UTF_8);
  private TestDaemon d;

  @BeforeEach
  void start() throws Exception {
    d = new TestDaemon();
  }

  @AfterEach
  void stop() throws Exception {
    d.close();
  }

  private String rsaKey(String spec) {
    return d.call("CreateKey", "KeySpec", spec, "KeyUsage", "ENCRYPT_DECRYPT").get("KeyMetadata")
        .get("KeyId").asText();
  }

  private static OAEPParameterSpec oaep(String alg) {
    return alg.equals("RSAES_OAEP_SHA_1")
        ? new OAEPParameterSpec("SHA-1", "MGF1", MGF1ParameterSpec.SHA1, PSource.PSpecified.DEFAULT)
        : new OAEPParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256,
            PSource.PSpecified.DEFAULT);
  }

  @ParameterizedTest
  @CsvSource({"RSA_2048, RSAES_OAEP_SHA_1, 214", "RSA_2048, RSAES_OAEP_SHA_256, 190",
      "RSA_3072, RSAES_OAEP_SHA_1, 342", "RSA_3072, RSAES_OAEP_SHA_256, 318",
      "RSA_4096, RSAES_OAEP_SHA_1, 470", "RSA_4096, RSAES_OAEP_SHA_256, 446"})
  void encryptDecrypt_limitsAndJdkInterop(String spec, String alg, int max) throws Exception {
    String key = rsaKey(spec);
    JsonNode pub = d.call("GetPublicKey", "KeyId", key);
    assertEquals("[\"RSAES_OAEP_SHA_1\",\"RSAES_OAEP_SHA_256\"]",
        pub.get("EncryptionAlgorithms").toString());
    PublicKey publicKey = KeyFactory.getInstance("RSA").generatePublic(
        new X509EncodedKeySpec(bytes(pub.get("PublicKey"))));
    byte[] atLimit = new byte[max];
    JsonNode e = d.call("Encrypt", "KeyId", key, "Plaintext", atLimit, "EncryptionAlgorithm",
        alg);
    assertEquals(alg, e.get("EncryptionAlgorithm").asText());
    JsonNode r = d.call("Decrypt", "KeyId", key, "CiphertextBlob", bytes(e.get("CiphertextBlob")),
        "EncryptionAlgorithm", alg);
    assertArrayEquals(atLimit, bytes(r.get("Plaintext")));
    assertEquals(alg, r.get("EncryptionAlgorithm").asText());
    d.fails("ValidationException", "Encrypt", "KeyId", key, "Plaintext", new byte[max + 1],
        "EncryptionAlgorithm", alg);
    // Encrypted locally with the public key (as AWS intends), decrypted by the daemon.
    Cipher c = Cipher.getInstance("RSA/ECB/OAEPPadding");
    c.init(Cipher.ENCRYPT_MODE, publicKey, oaep(alg));
    byte[] local = c.doFinal(SECRET);
    assertArrayEquals(SECRET, bytes(d.call("Decrypt", "KeyId", key, "CiphertextBlob", local,
        "EncryptionAlgorithm", alg).get("Plaintext")));
  }

  @Test
  void rsaRefusals() {
    String key = rsaKey("RSA_2048");
    byte[] blob = bytes(d.call("Encrypt", "KeyId", key, "Plaintext", SECRET,
        "EncryptionAlgorithm", "RSAES_OAEP_SHA_256").get("CiphertextBlob"));
    // No or the symmetric algorithm: InvalidKeyUsageException (AWS).
    d.fails("InvalidKeyUsageException", "Encrypt", "KeyId", key, "Plaintext", SECRET);
    d.fails("InvalidKeyUsageException", "Encrypt", "KeyId", key, "Plaintext", SECRET,
        "EncryptionAlgorithm", "SYMMETRIC_DEFAULT");
    d.fails("InvalidKeyUsageException", "Decrypt", "KeyId", key, "CiphertextBlob", blob);
    // Wrong algorithm, or no KeyId (the ciphertext names no key).
    d.fails("InvalidCiphertextException", "Decrypt", "KeyId", key, "CiphertextBlob", blob,
        "EncryptionAlgorithm", "RSAES_OAEP_SHA_1");
    d.fails("ValidationException", "Decrypt", "CiphertextBlob", blob,
        "EncryptionAlgorithm", "RSAES_OAEP_SHA_256");
    d.fails("InvalidCiphertextException", "Decrypt", "CiphertextBlob", blob);
    // Encryption context is for symmetric keys only.
    d.fails("ValidationException", "Encrypt", "KeyId", key, "Plaintext", SECRET,
        "EncryptionAlgorithm", "RSAES_OAEP_SHA_256", "EncryptionContext", Map.of("a", "b"));
    // A symmetric key refuses RSA algorithms.
    d.fails("InvalidKeyUsageException", "Encrypt", "KeyId", d.createKey(), "Plaintext", SECRET,
        "EncryptionAlgorithm", "RSAES_OAEP_SHA_256");
    d.call("DisableKey", "KeyId", key);
    d.fails("DisabledException", "Decrypt", "KeyId", key, "CiphertextBlob", blob,
        "EncryptionAlgorithm", "RSAES_OAEP_SHA_256");
  }

  @Test
  void reEncrypt_symmetricToRsaAndBack() {
    String sym = d.createKey();
    String rsa = rsaKey("RSA_3072");
    byte[] symBlob = bytes(d.call("Encrypt", "KeyId", sym, "Plaintext", SECRET,
        "EncryptionContext", Map.of("k", "v")).get("CiphertextBlob"));
    JsonNode toRsa = d.call("ReEncrypt", "CiphertextBlob", symBlob, "SourceEncryptionContext",
        Map.of("k", "v"), "DestinationKeyId", rsa, "DestinationEncryptionAlgorithm",
        "RSAES_OAEP_SHA_1");
    assertEquals("SYMMETRIC_DEFAULT", toRsa.get("SourceEncryptionAlgorithm").asText());
    assertEquals("RSAES_OAEP_SHA_1", toRsa.get("DestinationEncryptionAlgorithm").asText());
    assertNull(toRsa.get("DestinationKeyMaterialId"));
    JsonNode back = d.call("ReEncrypt", "CiphertextBlob", bytes(toRsa.get("CiphertextBlob")),
        "SourceKeyId", rsa, "SourceEncryptionAlgorithm", "RSAES_OAEP_SHA_1", "DestinationKeyId",
        sym);
    assertEquals("RSAES_OAEP_SHA_1", back.get("SourceEncryptionAlgorithm").asText());
    assertArrayEquals(SECRET, bytes(d.call("Decrypt", "CiphertextBlob",
        bytes(back.get("CiphertextBlob"))).get("Plaintext")));
    d.fails("InvalidKeyUsageException", "ReEncrypt", "CiphertextBlob", symBlob,
        "SourceEncryptionContext", Map.of("k", "v"), "DestinationKeyId", rsa);
    // An RSA ciphertext names no key: without SourceKeyId, ReEncrypt says so, as Decrypt does
    // for KeyId (it used to answer that RSAES_OAEP_SHA_1 "does not apply to symmetric keys").
    var e = d.fails("ValidationException", "ReEncrypt", "CiphertextBlob",
        bytes(toRsa.get("CiphertextBlob")), "SourceEncryptionAlgorithm", "RSAES_OAEP_SHA_1",
        "DestinationKeyId", sym);
    assertTrue(e.getMessage().contains("SourceKeyId"), e.getMessage());
  }

  @ParameterizedTest
  @CsvSource({"RSA_2048, RSA, SHA256withRSA", "ECC_NIST_P256, EC, SHA256withECDSA",
      "ECC_NIST_P384, EC, SHA384withECDSA", "ECC_SECG_P256K1, EC, SHA256withECDSA"})
  void generateDataKeyPair(String spec, String family, String jcaAlg) throws Exception {
    String sym = d.createKey();
    JsonNode r = d.call("GenerateDataKeyPair", "KeyId", sym, "KeyPairSpec", spec,
        "EncryptionContext", Map.of("purpose", "test"));
    assertEquals(spec, r.get("KeyPairSpec").asText());
    assertTrue(r.get("KeyMaterialId").asText().matches("[0-9a-f]{64}"));
    byte[] pkcs8 = bytes(r.get("PrivateKeyPlaintext"));
    assertArrayEquals(pkcs8, bytes(d.call("Decrypt", "CiphertextBlob",
        bytes(r.get("PrivateKeyCiphertextBlob")), "EncryptionContext",
        Map.of("purpose", "test")).get("Plaintext")));
    java.security.Provider p = spec.equals("ECC_SECG_P256K1") ? new BouncyCastleProvider()
        : KeyFactory.getInstance(family).getProvider();
    PrivateKey priv = KeyFactory.getInstance(family, p)
        .generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
    PublicKey pub = KeyFactory.getInstance(family, p)
        .generatePublic(new X509EncodedKeySpec(bytes(r.get("PublicKey"))));
    Signature s = Signature.getInstance(jcaAlg, p);
    s.initSign(priv);
    s.update(SECRET);
    byte[] sig = s.sign();
    s.initVerify(pub);
    s.update(SECRET);
    assertTrue(s.verify(sig), "the pair belongs together");

    JsonNode w = d.call("GenerateDataKeyPairWithoutPlaintext", "KeyId", sym, "KeyPairSpec",
        spec);
    assertNull(w.get("PrivateKeyPlaintext"));
    assertTrue(w.get("PrivateKeyCiphertextBlob") != null && w.get("PublicKey") != null);
  }

  @Test
  void generateDataKeyPair_refusals() {
    String sym = d.createKey();
    d.fails("UnsupportedOperationException", "GenerateDataKeyPair", "KeyId", sym,
        "KeyPairSpec", "SM2");
    d.fails("ValidationException", "GenerateDataKeyPair", "KeyId", sym, "KeyPairSpec",
        "HMAC_256");
    d.fails("ValidationException", "GenerateDataKeyPair", "KeyId", sym);
    d.fails("InvalidKeyUsageException", "GenerateDataKeyPair", "KeyId", rsaKey("RSA_2048"),
        "KeyPairSpec", "ECC_NIST_P256");
    d.fails("DryRunOperationException", "GenerateDataKeyPair", "KeyId", sym, "KeyPairSpec",
        "ECC_NIST_P256", "DryRun", true);
  }

  @ParameterizedTest
  @CsvSource({"HMAC_224, HMAC_SHA_224, HmacSHA224", "HMAC_256, HMAC_SHA_256, HmacSHA256",
      "HMAC_384, HMAC_SHA_384, HmacSHA384", "HMAC_512, HMAC_SHA_512, HmacSHA512"})
  void importedHmacMaterial_matchesJdkMac(String spec, String alg, String jca) throws Exception {
    String key = d.call("CreateKey", "KeySpec", spec, "KeyUsage", "GENERATE_VERIFY_MAC",
        "Origin", "EXTERNAL").get("KeyMetadata").get("KeyId").asText();
    d.fails("KMSInvalidStateException", "GenerateMac", "KeyId", key, "Message", SECRET,
        "MacAlgorithm", alg);
    int bytes = Integer.parseInt(spec.substring(5)) / 8;
    byte[] material = new byte[bytes];
    new java.security.SecureRandom().nextBytes(material);
    d.fails("IncorrectKeyMaterialException", "ImportKeyMaterial",
        ImportedKeyRotationTest.importArgs(d, key, new byte[bytes + 1]));
    ImportedKeyRotationTest.importMaterial(d, key, material);
    Mac mac = Mac.getInstance(jca);
    mac.init(new SecretKeySpec(material, jca));
    byte[] expected = mac.doFinal(SECRET);
    assertArrayEquals(expected, bytes(d.call("GenerateMac", "KeyId", key, "Message", SECRET,
        "MacAlgorithm", alg).get("Mac")));
    d.call("VerifyMac", "KeyId", key, "Message", SECRET, "Mac", expected, "MacAlgorithm", alg);
    // Deleting the material makes the key unusable; the same material brings it back.
    d.call("DeleteImportedKeyMaterial", "KeyId", key);
    d.fails("KMSInvalidStateException", "GenerateMac", "KeyId", key, "Message", SECRET,
        "MacAlgorithm", alg);
    ImportedKeyRotationTest.importMaterial(d, key, material);
    assertArrayEquals(expected, bytes(d.call("GenerateMac", "KeyId", key, "Message", SECRET,
        "MacAlgorithm", alg).get("Mac")));
  }
}
