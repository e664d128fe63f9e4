package dev.coffer.daemon.ops;

import static dev.coffer.daemon.TestDaemon.bytes;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.coffer.daemon.TestDaemon;
import dev.coffer.protocol.KmsException;
import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Sign, Verify, GenerateMac, VerifyMac and GetPublicKey through the real socket: every key spec
 * and signing algorithm AWS pairs, verified independently with the JDK's (and, for secp256k1,
 * Bouncy Castle's) providers on the public key, and every refusal with AWS's exception.
 */
class SigningOperationsTest {

  private static final byte[] MESSAGE = "sign me, please".getBytes(StandardCharsets.UTF_8);
  private TestDaemon d;

  @BeforeEach
  void start() throws Exception {
    d = new TestDaemon();
  }

  @AfterEach
  void stop() throws Exception {
    d.close();
  }

  private String create(String spec, String usage) {
    JsonNode m = d.call("CreateKey", "KeySpec", spec, "KeyUsage", usage).get("KeyMetadata");
    assertEquals(spec, m.get("KeySpec").asText());
    assertEquals(spec, m.get("CustomerMasterKeySpec").asText());
    assertEquals(usage, m.get("KeyUsage").asText());
    return m.get("KeyId").asText();
  }

  @ParameterizedTest
  @CsvSource({
      "RSA_2048, RSASSA_PSS_SHA_256, SHA-256, RSASSA-PSS",
      "RSA_2048, RSASSA_PSS_SHA_384, SHA-384, RSASSA-PSS",
      "RSA_3072, RSASSA_PSS_SHA_512, SHA-512, RSASSA-PSS",
      "RSA_2048, RSASSA_PKCS1_V1_5_SHA_256, SHA-256, SHA256withRSA",
      "RSA_2048, RSASSA_PKCS1_V1_5_SHA_384, SHA-384, SHA384withRSA",
      "RSA_4096, RSASSA_PKCS1_V1_5_SHA_512, SHA-512, SHA512withRSA",
      "ECC_NIST_P256, ECDSA_SHA_256, SHA-256, SHA256withECDSA",
      "ECC_NIST_P384, ECDSA_SHA_384, SHA-384, SHA384withECDSA",
      "ECC_NIST_P521, ECDSA_SHA_512, SHA-512, SHA512withECDSA",
      "ECC_SECG_P256K1, ECDSA_SHA_256, SHA-256, SHA256withECDSA",
  })
  void sign_rawAndDigest_verifyWithJdkAndKms(String spec, String alg, String digest,
      String jcaAlg) throws Exception {
    String key = create(spec, "SIGN_VERIFY");
    JsonNode pub = d.call("GetPublicKey", "KeyId", key);
    assertEquals(spec, pub.get("KeySpec").asText());
    assertEquals("SIGN_VERIFY", pub.get("KeyUsage").asText());
    assertTrue(pub.get("SigningAlgorithms").toString().contains(alg));
    assertTrue(pub.get("EncryptionAlgorithms") == null);
    PublicKey publicKey = publicKey(spec, bytes(pub.get("PublicKey")));

    byte[] raw = bytes(d.call("Sign", "KeyId", key, "Message", MESSAGE, "SigningAlgorithm", alg)
        .get("Signature"));
    byte[] hash = MessageDigest.getInstance(digest).digest(MESSAGE);
    byte[] pre = bytes(d.call("Sign", "KeyId", key, "Message", hash, "MessageType", "DIGEST",
        "SigningAlgorithm", alg).get("Signature"));
    for (byte[] sig : List.of(raw, pre)) {
      assertTrue(jdkVerify(publicKey, spec, jcaAlg, digest, sig), alg);
      JsonNode v = d.call("Verify", "KeyId", key, "Message", MESSAGE, "Signature", sig,
          "SigningAlgorithm", alg);
      assertTrue(v.get("SignatureValid").asBoolean());
      assertEquals(alg, v.get("SigningAlgorithm").asText());
      d.call("Verify", "KeyId", key, "Message", hash, "MessageType", "DIGEST", "Signature", sig,
          "SigningAlgorithm", alg);
    }
    // Another message, a flipped bit, garbage: KMSInvalidSignatureException, never "false".
    byte[] flipped = raw.clone();
    flipped[flipped.length / 2] ^= 1;
    d.fails("KMSInvalidSignatureException", "Verify", "KeyId", key, "Message", flipped,
        "Signature", raw, "SigningAlgorithm", alg);
    d.fails("KMSInvalidSignatureException", "Verify", "KeyId", key, "Message", MESSAGE,
        "Signature", flipped, "SigningAlgorithm", alg);
    d.fails("KMSInvalidSignatureException", "Verify", "KeyId", key, "Message", MESSAGE,
        "Signature", new byte[] {1, 2, 3}, "SigningAlgorithm", alg);
    // The digest must have the algorithm's length.
    KmsException e = d.fails("ValidationException", "Sign", "KeyId", key, "Message",
        new byte[hash.length - 1], "MessageType", "DIGEST", "SigningAlgorithm", alg);
    assertTrue(e.getMessage().contains(String.valueOf(hash.length)), e.getMessage());
    d.fails("ValidationException", "Verify", "KeyId", key, "Message", new byte[hash.length + 1],
        "MessageType", "DIGEST", "Signature", raw, "SigningAlgorithm", alg);
  }

  private static PublicKey publicKey(String spec, byte[] der) throws Exception {
    KeyFactory f = spec.startsWith("RSA") ? KeyFactory.getInstance("RSA")
        : spec.equals("ECC_SECG_P256K1") ? KeyFactory.getInstance("EC", new BouncyCastleProvider())
        : KeyFactory.getInstance("EC");
    return f.generatePublic(new X509EncodedKeySpec(der));
  }

  private static boolean jdkVerify(PublicKey key, String spec, String jcaAlg, String digest,
      byte[] sig) throws Exception {
    Signature s = spec.equals("ECC_SECG_P256K1")
        ? Signature.getInstance(jcaAlg, new BouncyCastleProvider()) : Signature.getInstance(jcaAlg);
    if (jcaAlg.equals("RSASSA-PSS")) {
      int salt = MessageDigest.getInstance(digest).getDigestLength();
      s.setParameter(new PSSParameterSpec(digest, "MGF1", new MGF1ParameterSpec(digest), salt,
          1));
    }
    s.initVerify(key);
    s.update(MESSAGE);
    return s.verify(sig);
  }

  @Test
  void sign_wrongAlgorithmForSpec_invalidKeyUsage() {
    String ec = create("ECC_NIST_P256", "SIGN_VERIFY");
    d.fails("InvalidKeyUsageException", "Sign", "KeyId", ec, "Message", MESSAGE,
        "SigningAlgorithm", "ECDSA_SHA_384");
    d.fails("InvalidKeyUsageException", "Sign", "KeyId", ec, "Message", MESSAGE,
        "SigningAlgorithm", "RSASSA_PSS_SHA_256");
    String rsa = create("RSA_2048", "SIGN_VERIFY");
    d.fails("InvalidKeyUsageException", "Sign", "KeyId", rsa, "Message", MESSAGE,
        "SigningAlgorithm", "ECDSA_SHA_256");
    // A model value Coffer does not implement.
    d.fails("InvalidKeyUsageException", "Sign", "KeyId", rsa, "Message", MESSAGE,
        "SigningAlgorithm", "SM2DSA");
    // Not in the model at all.
    d.fails("ValidationException", "Sign", "KeyId", rsa, "Message", MESSAGE,
        "SigningAlgorithm", "RSA_SHA_1");
  }

  @Test
  void operationsThatDoNotFitTheUsage_invalidKeyUsage() {
    String symmetric = d.createKey();
    String signing = create("RSA_2048", "SIGN_VERIFY");
    String encrypting = create("RSA_2048", "ENCRYPT_DECRYPT");
    String ec = create("ECC_NIST_P256", "SIGN_VERIFY");
    String hmac = create("HMAC_256", "GENERATE_VERIFY_MAC");
    for (String k : List.of(symmetric, encrypting, hmac)) {
      d.fails("InvalidKeyUsageException", "Sign", "KeyId", k, "Message", MESSAGE,
          "SigningAlgorithm", "RSASSA_PSS_SHA_256");
      d.fails("InvalidKeyUsageException", "Verify", "KeyId", k, "Message", MESSAGE,
          "Signature", new byte[256], "SigningAlgorithm", "RSASSA_PSS_SHA_256");
    }
    for (String k : List.of(symmetric, signing, encrypting, ec)) {
      d.fails("InvalidKeyUsageException", "GenerateMac", "KeyId", k, "Message", MESSAGE,
          "MacAlgorithm", "HMAC_SHA_256");
      d.fails("InvalidKeyUsageException", "VerifyMac", "KeyId", k, "Message", MESSAGE,
          "Mac", new byte[32], "MacAlgorithm", "HMAC_SHA_256");
    }
    for (String k : List.of(signing, ec, hmac)) {
      d.fails("InvalidKeyUsageException", "Encrypt", "KeyId", k, "Plaintext", MESSAGE,
          "EncryptionAlgorithm", "RSAES_OAEP_SHA_256");
      d.fails("InvalidKeyUsageException", "Encrypt", "KeyId", k, "Plaintext", MESSAGE);
    }
    for (String k : List.of(signing, encrypting, ec, hmac)) {
      d.fails("InvalidKeyUsageException", "GenerateDataKey", "KeyId", k, "KeySpec", "AES_256");
      d.fails("InvalidKeyUsageException", "GenerateDataKeyWithoutPlaintext", "KeyId", k,
          "KeySpec", "AES_256");
      d.fails("UnsupportedOperationException", "EnableKeyRotation", "KeyId", k);
      d.fails("UnsupportedOperationException", "RotateKeyOnDemand", "KeyId", k);
    }
    for (String k : List.of(symmetric, hmac)) {
      d.fails("UnsupportedOperationException", "GetPublicKey", "KeyId", k);
    }
  }

  @Test
  void createKey_invalidSpecUsagePairs_validationException() {
    String[][] invalid = {
        {"HMAC_256", "SIGN_VERIFY"}, {"HMAC_512", "ENCRYPT_DECRYPT"},
        {"ECC_NIST_P256", "ENCRYPT_DECRYPT"}, {"ECC_SECG_P256K1", "GENERATE_VERIFY_MAC"},
        {"RSA_2048", "GENERATE_VERIFY_MAC"}, {"SYMMETRIC_DEFAULT", "SIGN_VERIFY"},
        {"SYMMETRIC_DEFAULT", "GENERATE_VERIFY_MAC"}, {"RSA_4096", "KEY_AGREEMENT"},
    };
    for (String[] p : invalid) {
      d.fails("ValidationException", "CreateKey", "KeySpec", p[0], "KeyUsage", p[1]);
    }
    // KeyUsage defaults to ENCRYPT_DECRYPT, which ECC and HMAC keys cannot have.
    d.fails("ValidationException", "CreateKey", "KeySpec", "HMAC_256");
    d.fails("ValidationException", "CreateKey", "KeySpec", "ECC_NIST_P384");
    d.fails("UnsupportedOperationException", "CreateKey", "KeySpec", "ECC_NIST_P256",
        "KeyUsage", "KEY_AGREEMENT");
    d.fails("UnsupportedOperationException", "CreateKey", "KeySpec", "SM2", "KeyUsage",
        "SIGN_VERIFY");
    d.fails("UnsupportedOperationException", "CreateKey", "KeySpec", "RSA_2048", "KeyUsage",
        "SIGN_VERIFY", "Origin", "EXTERNAL");
    assertEquals(0, d.call("ListKeys").get("Keys").size(), "no refused key was created");
    // The deprecated CustomerMasterKeySpec works as KeySpec; both together are refused.
    JsonNode m = d.call("CreateKey", "CustomerMasterKeySpec", "RSA_2048", "KeyUsage",
        "ENCRYPT_DECRYPT").get("KeyMetadata");
    assertEquals("RSA_2048", m.get("KeySpec").asText());
    assertEquals("[\"RSAES_OAEP_SHA_1\",\"RSAES_OAEP_SHA_256\"]",
        m.get("EncryptionAlgorithms").toString());
    assertTrue(m.get("CurrentKeyMaterialId") == null, "AWS gives it for symmetric keys only");
    d.fails("ValidationException", "CreateKey", "CustomerMasterKeySpec", "RSA_2048", "KeySpec",
        "RSA_2048", "KeyUsage", "SIGN_VERIFY");
  }

  @Test
  void describeKey_reportsAlgorithmsAsAws() {
    JsonNode ec = d.call("DescribeKey", "KeyId", create("ECC_NIST_P521", "SIGN_VERIFY"))
        .get("KeyMetadata");
    assertEquals("[\"ECDSA_SHA_512\"]", ec.get("SigningAlgorithms").toString());
    assertTrue(ec.get("EncryptionAlgorithms") == null);
    JsonNode hmac = d.call("DescribeKey", "KeyId", create("HMAC_384", "GENERATE_VERIFY_MAC"))
        .get("KeyMetadata");
    assertEquals("[\"HMAC_SHA_384\"]", hmac.get("MacAlgorithms").toString());
    JsonNode sym = d.call("DescribeKey", "KeyId", d.createKey()).get("KeyMetadata");
    assertEquals("[\"SYMMETRIC_DEFAULT\"]", sym.get("EncryptionAlgorithms").toString());
    assertTrue(sym.get("CurrentKeyMaterialId") != null);
  }

  @ParameterizedTest
  @CsvSource({"HMAC_224, HMAC_SHA_224, 28", "HMAC_256, HMAC_SHA_256, 32",
      "HMAC_384, HMAC_SHA_384, 48", "HMAC_512, HMAC_SHA_512, 64"})
  void generateVerifyMac(String spec, String alg, int length) {
    String key = create(spec, "GENERATE_VERIFY_MAC");
    JsonNode r = d.call("GenerateMac", "KeyId", key, "Message", MESSAGE, "MacAlgorithm", alg);
    byte[] mac = bytes(r.get("Mac"));
    assertEquals(length, mac.length);
    assertEquals(alg, r.get("MacAlgorithm").asText());
    assertArrayEquals(mac, bytes(d.call("GenerateMac", "KeyId", key, "Message", MESSAGE,
        "MacAlgorithm", alg).get("Mac")), "deterministic");
    assertTrue(d.call("VerifyMac", "KeyId", key, "Message", MESSAGE, "Mac", mac, "MacAlgorithm",
        alg).get("MacValid").asBoolean());
    byte[] bad = mac.clone();
    bad[0] ^= 1;
    d.fails("KMSInvalidMacException", "VerifyMac", "KeyId", key, "Message", MESSAGE, "Mac", bad,
        "MacAlgorithm", alg);
    d.fails("KMSInvalidMacException", "VerifyMac", "KeyId", key, "Message", MESSAGE, "Mac",
        java.util.Arrays.copyOf(mac, mac.length - 1), "MacAlgorithm", alg);
    String other = alg.equals("HMAC_SHA_256") ? "HMAC_SHA_512" : "HMAC_SHA_256";
    d.fails("InvalidKeyUsageException", "GenerateMac", "KeyId", key, "Message", MESSAGE,
        "MacAlgorithm", other);
  }

  @Test
  void disabledAndPendingDeletionKeys_refused() {
    String ec = create("ECC_NIST_P256", "SIGN_VERIFY");
    String hmac = create("HMAC_256", "GENERATE_VERIFY_MAC");
    byte[] sig = bytes(d.call("Sign", "KeyId", ec, "Message", MESSAGE, "SigningAlgorithm",
        "ECDSA_SHA_256").get("Signature"));
    d.call("DisableKey", "KeyId", ec);
    d.call("DisableKey", "KeyId", hmac);
    d.fails("DisabledException", "Sign", "KeyId", ec, "Message", MESSAGE, "SigningAlgorithm",
        "ECDSA_SHA_256");
    d.fails("DisabledException", "Verify", "KeyId", ec, "Message", MESSAGE, "Signature", sig,
        "SigningAlgorithm", "ECDSA_SHA_256");
    d.fails("DisabledException", "GetPublicKey", "KeyId", ec);
    d.fails("DisabledException", "GenerateMac", "KeyId", hmac, "Message", MESSAGE,
        "MacAlgorithm", "HMAC_SHA_256");
    d.call("EnableKey", "KeyId", ec);
    d.call("ScheduleKeyDeletion", "KeyId", ec, "PendingWindowInDays", 7);
    d.fails("KMSInvalidStateException", "Sign", "KeyId", ec, "Message", MESSAGE,
        "SigningAlgorithm", "ECDSA_SHA_256");
  }

  @Test
  void messageLimits() {
    String ec = create("ECC_NIST_P256", "SIGN_VERIFY");
    d.call("Sign", "KeyId", ec, "Message", new byte[4096], "SigningAlgorithm", "ECDSA_SHA_256");
    d.fails("ValidationException", "Sign", "KeyId", ec, "Message", new byte[4097],
        "SigningAlgorithm", "ECDSA_SHA_256");
    d.fails("ValidationException", "Sign", "KeyId", ec, "Message", new byte[0],
        "SigningAlgorithm", "ECDSA_SHA_256");
    d.fails("ValidationException", "Sign", "KeyId", ec, "Message", MESSAGE);
    d.fails("ValidationException", "Sign", "KeyId", ec, "Message", MESSAGE, "MessageType",
        "EXTERNAL_MU", "SigningAlgorithm", "ECDSA_SHA_256");
    d.fails("DryRunOperationException", "Sign", "KeyId", ec, "Message", MESSAGE,
        "SigningAlgorithm", "ECDSA_SHA_256", "DryRun", true);
  }

  @Test
  void keysSurviveRestart() throws Exception {
    String ec = create("ECC_SECG_P256K1", "SIGN_VERIFY");
    String hmac = create("HMAC_256", "GENERATE_VERIFY_MAC");
    byte[] pub = bytes(d.call("GetPublicKey", "KeyId", ec).get("PublicKey"));
    byte[] mac = bytes(d.call("GenerateMac", "KeyId", hmac, "Message", MESSAGE, "MacAlgorithm",
        "HMAC_SHA_256").get("Mac"));
    d.restart();
    assertArrayEquals(pub, bytes(d.call("GetPublicKey", "KeyId", ec).get("PublicKey")));
    byte[] sig = bytes(d.call("Sign", "KeyId", ec, "Message", MESSAGE, "SigningAlgorithm",
        "ECDSA_SHA_256").get("Signature"));
    d.call("Verify", "KeyId", ec, "Message", MESSAGE, "Signature", sig, "SigningAlgorithm",
        "ECDSA_SHA_256");
    d.call("VerifyMac", "KeyId", hmac, "Message", MESSAGE, "Mac", mac, "MacAlgorithm",
        "HMAC_SHA_256");
  }

  @Test
  void ecdsaSignatures_areDerAndRandomized() {
    String ec = create("ECC_NIST_P256", "SIGN_VERIFY");
    List<byte[]> sigs = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      sigs.add(bytes(d.call("Sign", "KeyId", ec, "Message", MESSAGE, "SigningAlgorithm",
          "ECDSA_SHA_256").get("Signature")));
    }
    assertEquals(0x30, sigs.get(0)[0] & 0xff, "DER SEQUENCE");
    assertFalse(java.util.Arrays.equals(sigs.get(0), sigs.get(1)));
    assertTrue(Map.of().isEmpty());
  }
}
