package dev.coffer.jca.key;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.NotSerializableException;
import java.io.ObjectOutputStream;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.RSAPrivateKey;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The private-key handle's contract, without a daemon (the public halves are JDK keys). */
class KmsPrivateKeyTest {

  private static final String ARN = "arn:aws:kms:us-east-1:111122223333:key/"
      + "1234abcd-12ab-34cd-56ef-1234567890ab";

  private static PublicKey jdkPublic(String alg, int size) throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance(alg);
    g.initialize(size);
    return g.generateKeyPair().getPublic();
  }

  @Test
  void ecHandle_exposesTheCurve_notAPrivateValue() throws Exception {
    PublicKey pub = jdkPublic("EC", 384);
    KmsPrivateKey k = KmsPrivateKey.of(ARN, "1234abcd-12ab-34cd-56ef-1234567890ab",
        "ECC_NIST_P384", pub, List.of("grant"), null);
    KmsEcPrivateKey ec = assertInstanceOf(KmsEcPrivateKey.class, k);
    assertEquals("EC", k.getAlgorithm());
    assertNull(k.getEncoded());
    assertNull(k.getFormat());
    assertEquals(384, ec.getParams().getOrder().bitLength());
    assertEquals(pub, k.publicKey());
    assertEquals(List.of("grant"), k.grantTokens());
    assertFalse(ECPrivateKey.class.isAssignableFrom(k.getClass()));
    assertTrue(k.toString().contains("ECC_NIST_P384"));
  }

  @Test
  void rsaHandle_exposesTheModulus_notTheExponent() throws Exception {
    PublicKey pub = jdkPublic("RSA", 2048);
    KmsRsaPrivateKey r = assertInstanceOf(KmsRsaPrivateKey.class,
        KmsPrivateKey.of(ARN, "id", "RSA_2048", pub, List.of(), null));
    assertEquals("RSA", r.getAlgorithm());
    assertEquals(2048, r.getModulus().bitLength());
    assertFalse(RSAPrivateKey.class.isAssignableFrom(r.getClass()));
  }

  @Test
  void specAndPublicKeyMustAgree() throws Exception {
    PublicKey ec = jdkPublic("EC", 256);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> KmsPrivateKey.of(ARN, "id", "RSA_2048", ec, List.of(), null));
    assertTrue(e.getMessage().contains("RSA_2048"), e.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> KmsPrivateKey.of(ARN, "id", "HMAC_256", ec, List.of(), null));
  }

  @Test
  void serialisationIsRefused_namingTheArn() throws Exception {
    KmsPrivateKey k = KmsPrivateKey.of(ARN, "id", "ECC_NIST_P256", jdkPublic("EC", 256),
        List.of("secret-grant-token"), null);
    NotSerializableException e = assertThrows(NotSerializableException.class,
        () -> new ObjectOutputStream(new ByteArrayOutputStream()).writeObject(k));
    assertTrue(e.getMessage().contains(ARN), e.getMessage());
    assertFalse(e.getMessage().contains("secret-grant-token"));
  }

  @Test
  void equalityIsByArn_andDestroyIsRemembered() throws Exception {
    PublicKey pub = jdkPublic("EC", 256);
    KmsPrivateKey a = KmsPrivateKey.of(ARN, "id", "ECC_NIST_P256", pub, List.of(), null);
    KmsPrivateKey b = KmsPrivateKey.of(ARN, "id", "ECC_NIST_P256", pub, List.of("g"), null);
    assertEquals(a, b);
    assertEquals(a.hashCode(), b.hashCode());
    assertNotEquals(a, KmsPrivateKey.of(ARN.replace("1234abcd", "9999abcd"), "id",
        "ECC_NIST_P256", pub, List.of(), null));
    assertFalse(a.isDestroyed());
    a.destroy();
    assertTrue(a.isDestroyed());
  }
}
