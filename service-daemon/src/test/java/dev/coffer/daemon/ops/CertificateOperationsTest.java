package dev.coffer.daemon.ops;

import static dev.coffer.daemon.TestDaemon.bytes;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.coffer.daemon.TestDaemon;
import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Coffer's PutCertificateChain / GetCertificateChain extension through the real socket. */
class CertificateOperationsTest {

  private TestDaemon d;
  private KeyPair issuer;

  @BeforeEach
  void start() throws Exception {
    d = new TestDaemon();
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    issuer = g.generateKeyPair();
  }

  @AfterEach
  void stop() throws Exception {
    d.close();
  }

  /** A certificate for {@code spki} issued by the local test CA key. */
  private byte[] certificate(byte[] spki, String subject) throws Exception {
    X509v3CertificateBuilder b = new X509v3CertificateBuilder(new X500Name("CN=test CA"),
        BigInteger.valueOf(System.nanoTime()), new Date(), new Date(System.currentTimeMillis()
            + 86_400_000L), new X500Name("CN=" + subject), SubjectPublicKeyInfo.getInstance(spki));
    return b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuer.getPrivate()))
        .getEncoded();
  }

  private String key(String spec) {
    return d.call("CreateKey", "KeySpec", spec, "KeyUsage", "SIGN_VERIFY").get("KeyMetadata")
        .get("KeyId").asText();
  }

  @Test
  void putGet_roundTrip_survivesRestart_andEmptyListRemoves() throws Exception {
    String key = key("ECC_NIST_P256");
    assertEquals(0, d.call("GetCertificateChain", "KeyId", key).get("CertificateChain").size());
    byte[] spki = bytes(d.call("GetPublicKey", "KeyId", key).get("PublicKey"));
    byte[] leaf = certificate(spki, "leaf");
    byte[] ca = certificate(issuer.getPublic().getEncoded(), "test CA");
    String b64Leaf = Base64.getEncoder().encodeToString(leaf);
    String b64Ca = Base64.getEncoder().encodeToString(ca);
    JsonNode put = d.call("PutCertificateChain", "KeyId", key, "CertificateChain",
        List.of(b64Leaf, b64Ca));
    assertTrue(put.get("KeyId").asText().startsWith("arn:"));
    d.restart();
    JsonNode got = d.call("GetCertificateChain", "KeyId", key).get("CertificateChain");
    assertEquals(2, got.size());
    assertArrayEquals(leaf, bytes(got.get(0)));
    assertArrayEquals(ca, bytes(got.get(1)));
    d.call("PutCertificateChain", "KeyId", key, "CertificateChain", List.of());
    assertEquals(0, d.call("GetCertificateChain", "KeyId", key).get("CertificateChain").size());
  }

  @Test
  void put_refusals() throws Exception {
    String key = key("RSA_2048");
    String other = key("RSA_2048");
    byte[] otherSpki = bytes(d.call("GetPublicKey", "KeyId", other).get("PublicKey"));
    String foreign = Base64.getEncoder().encodeToString(certificate(otherSpki, "x"));
    // The leaf certifies another key.
    d.fails("ValidationException", "PutCertificateChain", "KeyId", key, "CertificateChain",
        List.of(foreign));
    // Not a certificate; not base64.
    d.fails("ValidationException", "PutCertificateChain", "KeyId", key, "CertificateChain",
        List.of(Base64.getEncoder().encodeToString(new byte[] {0x30, 0x03, 1, 2, 3})));
    d.fails("ValidationException", "PutCertificateChain", "KeyId", key, "CertificateChain",
        List.of("not base64!"));
    d.fails("ValidationException", "PutCertificateChain", "KeyId", key);
    // Symmetric and HMAC keys hold no certificates.
    d.fails("UnsupportedOperationException", "PutCertificateChain", "KeyId", d.createKey(),
        "CertificateChain", List.of(foreign));
    d.fails("NotFoundException", "PutCertificateChain", "KeyId", "alias/none",
        "CertificateChain", List.of(foreign));
    assertEquals(0, d.call("GetCertificateChain", "KeyId", key).get("CertificateChain").size());
  }
}
