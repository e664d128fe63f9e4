package dev.coffer.jca.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.coffer.jca.KeyPairs;
import dev.coffer.jca.TestDaemon;
import dev.coffer.jca.key.KmsKeyGenParameterSpec;
import dev.coffer.jca.key.KmsPrivateKey;
import dev.coffer.protocol.Json;
import java.math.BigInteger;
import java.security.InvalidAlgorithmParameterException;
import java.security.InvalidParameterException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.NamedParameterSpec;
import java.security.spec.RSAKeyGenParameterSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class KmsKeyPairGeneratorSpiTest {

  private static JsonNode describe(KeyPair pair) {
    return TestDaemon.call("DescribeKey", Json.object()
        .put("KeyId", ((KmsPrivateKey) pair.getPrivate()).keyId())).get("KeyMetadata");
  }

  @ParameterizedTest
  @CsvSource({"secp256r1, ECC_NIST_P256, 256", "secp384r1, ECC_NIST_P384, 384",
      "secp521r1, ECC_NIST_P521, 521", "secp256k1, ECC_SECG_P256K1, 256",
      "NIST P-256, ECC_NIST_P256, 256"})
  void ec_byCurveName_createsTheKmsKeySpec(String curve, String keySpec, int bits)
      throws Exception {
    KeyPair pair = KeyPairs.generate("EC", new ECGenParameterSpec(curve));
    ECPublicKey pub = assertInstanceOf(ECPublicKey.class, pair.getPublic());
    assertEquals("X.509", pub.getFormat(), "an ordinary JDK public key");
    assertEquals(bits, pub.getParams().getCurve().getField().getFieldSize());
    assertEquals(keySpec, ((KmsPrivateKey) pair.getPrivate()).keySpec());
    JsonNode meta = describe(pair);
    assertEquals(keySpec, meta.get("KeySpec").asText());
    assertEquals("SIGN_VERIFY", meta.get("KeyUsage").asText());
  }

  @ParameterizedTest
  @CsvSource({"256, ECC_NIST_P256", "384, ECC_NIST_P384", "521, ECC_NIST_P521"})
  void ec_bySize_usesTheNistCurve(int size, String keySpec) throws Exception {
    TestDaemon.socket();
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC", "Coffer");
    g.initialize(size);
    assertEquals(keySpec, ((KmsPrivateKey) g.generateKeyPair().getPrivate()).keySpec());
  }

  @Test
  void rsa_sizes_andUsageForEncryption() throws Exception {
    TestDaemon.socket();
    KeyPairGenerator g = KeyPairGenerator.getInstance("RSA", "Coffer");
    g.initialize(3072);
    g.initialize(KmsKeyGenParameterSpec.builder().keyUsage("ENCRYPT_DECRYPT")
        .description("oaep").build());
    KeyPair pair = g.generateKeyPair();
    assertEquals(3072, ((RSAPublicKey) pair.getPublic()).getModulus().bitLength());
    assertEquals(BigInteger.valueOf(65537), ((RSAPublicKey) pair.getPublic()).getPublicExponent());
    JsonNode meta = describe(pair);
    assertEquals("RSA_3072", meta.get("KeySpec").asText());
    assertEquals("ENCRYPT_DECRYPT", meta.get("KeyUsage").asText());
    assertEquals("oaep", meta.get("Description").asText());
  }

  @Test
  void unsupportedSizesCurvesAndSpecs_areRefusedNamingTheSupported() throws Exception {
    TestDaemon.socket();
    KeyPairGenerator ec = KeyPairGenerator.getInstance("EC", "Coffer");
    InvalidParameterException e = assertThrows(InvalidParameterException.class,
        () -> ec.initialize(224));
    assertTrue(e.getMessage().contains("256, 384, 521"), e.getMessage());
    InvalidAlgorithmParameterException a = assertThrows(InvalidAlgorithmParameterException.class,
        () -> ec.initialize(new ECGenParameterSpec("secp224r1")));
    assertTrue(a.getMessage().contains("secp256k1"), a.getMessage());
    assertThrows(InvalidAlgorithmParameterException.class,
        () -> ec.initialize(new NamedParameterSpec("X25519")));
    KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA", "Coffer");
    assertThrows(InvalidParameterException.class, () -> rsa.initialize(1024));
    a = assertThrows(InvalidAlgorithmParameterException.class, () -> rsa.initialize(
        new RSAKeyGenParameterSpec(2048, RSAKeyGenParameterSpec.F0)));
    assertTrue(a.getMessage().contains("65537"), a.getMessage());
  }
}
