package dev.coffer.jca.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.jca.KeyPairs;
import dev.coffer.jca.TestData;
import dev.coffer.jca.TestDaemon;
import dev.coffer.jca.key.KmsEcPrivateKey;
import dev.coffer.jca.key.KmsPrivateKey;
import dev.coffer.jca.key.KmsRsaPrivateKey;
import dev.coffer.jca.transport.KmsTransport;
import dev.coffer.protocol.Json;
import java.io.ByteArrayOutputStream;
import java.io.NotSerializableException;
import java.io.ObjectOutputStream;
import java.security.InvalidAlgorithmParameterException;
import java.security.InvalidKeyException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.Signature;
import java.security.SignatureException;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.RSAPrivateKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;
import java.security.spec.RSAKeyGenParameterSpec;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class KmsSignatureSpiTest {

  private static KeyPair p256;
  private static KeyPair rsa;

  @BeforeAll
  static void setUp() throws Exception {
    p256 = KeyPairs.generate("EC", new ECGenParameterSpec("secp256r1"));
    rsa = KeyPairs.generate("RSA", new RSAKeyGenParameterSpec(2048, RSAKeyGenParameterSpec.F4));
  }

  private static byte[] sign(String alg, KeyPair pair, byte[] data) throws Exception {
    Signature s = Signature.getInstance(alg); // delayed provider selection, as applications do
    s.initSign(pair.getPrivate());
    s.update(data);
    byte[] sig = s.sign();
    assertEquals("Coffer", s.getProvider().getName());
    return sig;
  }

  private static boolean verifyWithJdk(String alg, KeyPair pair, byte[] data, byte[] sig)
      throws Exception {
    Signature v = Signature.getInstance(alg);
    v.initVerify(pair.getPublic());
    v.update(data);
    boolean ok = v.verify(sig);
    assertFalse("Coffer".equals(v.getProvider().getName()), "verification is the JDK's");
    return ok;
  }

  @ParameterizedTest
  @CsvSource({"secp256r1, SHA256withECDSA", "secp384r1, SHA384withECDSA",
      "secp521r1, SHA512withECDSA"})
  void ecdsa_signsInDaemon_verifiesWithSunEc(String curve, String alg) throws Exception {
    KeyPair pair = curve.equals("secp256r1") ? p256
        : KeyPairs.generate("EC", new ECGenParameterSpec(curve));
    byte[] data = TestData.data(1000);
    byte[] sig = sign(alg, pair, data);
    assertEquals(0x30, sig[0] & 0xff, "ECDSA signature is DER, as the JDK's");
    assertTrue(verifyWithJdk(alg, pair, data, sig));
    data[0] ^= 1;
    assertFalse(verifyWithJdk(alg, pair, data, sig));
  }

  @ParameterizedTest
  @CsvSource({"SHA256withRSA", "SHA384withRSA", "SHA512withRSA"})
  void rsaPkcs1_signsInDaemon_verifiesWithJdk(String alg) throws Exception {
    byte[] data = TestData.data(333);
    byte[] sig = sign(alg, rsa, data);
    assertEquals(256, sig.length);
    assertTrue(verifyWithJdk(alg, rsa, data, sig));
  }

  private static PSSParameterSpec pss(String digest, int salt) {
    return new PSSParameterSpec(digest, "MGF1", new MGF1ParameterSpec(digest), salt, 1);
  }

  @ParameterizedTest
  @CsvSource({"SHA-256, 32", "SHA-384, 48", "SHA-512, 64"})
  void rsaPss_withAwsParameters_signsAndJdkVerifies(String digest, int salt) throws Exception {
    byte[] data = TestData.data(77);
    Signature s = Signature.getInstance("RSASSA-PSS");
    s.initSign(rsa.getPrivate());
    s.setParameter(pss(digest, salt));
    s.update(data);
    byte[] sig = s.sign();
    assertEquals("Coffer", s.getProvider().getName());
    assertEquals(pss(digest, salt).getDigestAlgorithm(),
        s.getParameters().getParameterSpec(PSSParameterSpec.class).getDigestAlgorithm());
    Signature v = Signature.getInstance("RSASSA-PSS");
    v.setParameter(pss(digest, salt));
    v.initVerify(rsa.getPublic());
    v.update(data);
    assertTrue(v.verify(sig));
  }

  @Test
  void rsaPss_withParametersAwsDoesNotUse_isRefusedNamingTheSupported() throws Exception {
    Signature s = Signature.getInstance("RSASSA-PSS", "Coffer");
    s.initSign(rsa.getPrivate());
    for (PSSParameterSpec bad : new PSSParameterSpec[] {pss("SHA-256", 20),
        new PSSParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA1, 32, 1),
        pss("SHA-1", 20), PSSParameterSpec.DEFAULT}) {
      InvalidAlgorithmParameterException e = assertThrows(
          InvalidAlgorithmParameterException.class, () -> s.setParameter(bad));
      assertTrue(e.getMessage().contains("supported: SHA-256, SHA-384 or SHA-512"),
          e.getMessage());
    }
  }

  @Test
  void rsaPss_withoutParameters_refusesToSign() throws Exception {
    Signature s = Signature.getInstance("RSASSA-PSS", "Coffer");
    s.initSign(rsa.getPrivate());
    SignatureException e = assertThrows(SignatureException.class, () -> s.update(new byte[1]));
    assertTrue(e.getMessage().contains("PSSParameterSpec"), e.getMessage());
  }

  @Test
  void ecdsa_refusesParameters() throws Exception {
    Signature s = Signature.getInstance("SHA256withECDSA", "Coffer");
    s.initSign(p256.getPrivate());
    assertThrows(InvalidAlgorithmParameterException.class,
        () -> s.setParameter(pss("SHA-256", 32)));
  }

  @Test
  void largeMessage_isOneRoundTrip_onlyTheDigestCrosses() throws Exception {
    Signature s = Signature.getInstance("SHA256withECDSA");
    s.initSign(p256.getPrivate());
    byte[] chunk = new byte[1 << 20];
    for (int i = 0; i < 64; i++) {
      s.update(chunk);
    }
    long before = KmsTransport.roundTrips();
    byte[] sig = s.sign();
    assertEquals(1, KmsTransport.roundTrips() - before);
    // The daemon signed the digest: its own Verify with MessageType DIGEST accepts it.
    MessageDigest md = MessageDigest.getInstance("SHA-256");
    for (int i = 0; i < 64; i++) {
      md.update(chunk);
    }
    ObjectNode in = Json.object().put("KeyId", ((KmsPrivateKey) p256.getPrivate()).arn())
        .put("Message", md.digest()).put("MessageType", "DIGEST")
        .put("SigningAlgorithm", "ECDSA_SHA_256").put("Signature", sig);
    assertTrue(TestDaemon.call("Verify", in).get("SignatureValid").asBoolean());
  }

  @Test
  void signatureObject_isReusableAfterSign() throws Exception {
    Signature s = Signature.getInstance("SHA256withECDSA");
    s.initSign(p256.getPrivate());
    s.update(new byte[] {1});
    byte[] first = s.sign();
    s.update(new byte[] {2});
    byte[] second = s.sign();
    assertTrue(verifyWithJdk("SHA256withECDSA", p256, new byte[] {1}, first));
    assertTrue(verifyWithJdk("SHA256withECDSA", p256, new byte[] {2}, second));
  }

  @Test
  void ordinaryKeys_stillGoToTheJdk() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    KeyPair local = g.generateKeyPair();
    Signature s = Signature.getInstance("SHA256withECDSA");
    s.initSign(local.getPrivate());
    s.update(new byte[3]);
    s.sign();
    assertEquals("SunEC", s.getProvider().getName());
  }

  @Test
  void explicitCoffer_refusesOrdinaryAndMismatchedKeys() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(256);
    Signature ecdsa = Signature.getInstance("SHA256withECDSA", "Coffer");
    InvalidKeyException e = assertThrows(InvalidKeyException.class,
        () -> ecdsa.initSign(g.generateKeyPair().getPrivate()));
    assertTrue(e.getMessage().contains("KMS private-key handles"), e.getMessage());
    e = assertThrows(InvalidKeyException.class, () -> ecdsa.initSign(rsa.getPrivate()));
    assertTrue(e.getMessage().contains("needs an EC key"), e.getMessage());
    // AWS pairs each curve with one digest: P-256 signs with ECDSA_SHA_256 only.
    e = assertThrows(InvalidKeyException.class, () -> Signature.getInstance("SHA512withECDSA",
        "Coffer").initSign(p256.getPrivate()));
    assertTrue(e.getMessage().contains("ECDSA_SHA_256 only"), e.getMessage());
    Signature rsaSig = Signature.getInstance("SHA256withRSA", "Coffer");
    assertThrows(InvalidKeyException.class, () -> rsaSig.initSign(p256.getPrivate()));
  }

  @Test
  void explicitCofferVerify_delegatesToTheJdk() throws Exception {
    byte[] sig = sign("SHA256withECDSA", p256, new byte[] {7});
    Signature v = Signature.getInstance("SHA256withECDSA", "Coffer");
    v.initVerify(((KmsPrivateKey) p256.getPrivate()).publicKey());
    v.update(new byte[] {7});
    assertTrue(v.verify(sig));
  }

  @Test
  void privateKeyHandle_exposesNoPrivateValue_andIsNotSerialisable() throws Exception {
    KmsPrivateKey ec = (KmsPrivateKey) p256.getPrivate();
    assertNull(ec.getEncoded());
    assertNull(ec.getFormat());
    assertEquals("EC", ec.getAlgorithm());
    assertEquals("ECC_NIST_P256", ec.keySpec());
    assertInstanceOf(KmsEcPrivateKey.class, ec);
    assertFalse(ECPrivateKey.class.isAssignableFrom(ec.getClass()), "no private scalar");
    assertEquals(256, ((KmsEcPrivateKey) ec).getParams().getOrder().bitLength());
    KmsRsaPrivateKey r = (KmsRsaPrivateKey) rsa.getPrivate();
    assertFalse(RSAPrivateKey.class.isAssignableFrom(r.getClass()), "no private exponent");
    assertEquals(2048, r.getModulus().bitLength());
    NotSerializableException e = assertThrows(NotSerializableException.class,
        () -> new ObjectOutputStream(new ByteArrayOutputStream()).writeObject(ec));
    assertTrue(e.getMessage().contains(ec.arn()), e.getMessage());
    assertFalse(ec.toString().matches(".*[0-9a-f]{64}.*"));
  }

  @Test
  void destroyedHandle_isRefused() throws Exception {
    KeyPair pair = KeyPairs.generate("EC", new ECGenParameterSpec("secp256r1"));
    pair.getPrivate().destroy();
    Signature s = Signature.getInstance("SHA256withECDSA", "Coffer");
    assertThrows(InvalidKeyException.class, () -> s.initSign(pair.getPrivate()));
  }

  @Test
  void disabledKey_failsWithTheAwsExceptionName() throws Exception {
    KeyPair pair = KeyPairs.generate("EC", new ECGenParameterSpec("secp256r1"));
    TestDaemon.call("DisableKey",
        Json.object().put("KeyId", ((KmsPrivateKey) pair.getPrivate()).keyId()));
    Signature s = Signature.getInstance("SHA256withECDSA");
    s.initSign(pair.getPrivate());
    s.update(new byte[1]);
    SignatureException e = assertThrows(SignatureException.class, s::sign);
    assertTrue(e.getMessage().startsWith("DisabledException"), e.getMessage());
  }
}
