package dev.coffer.jca;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.security.spec.AlgorithmParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.DefaultSignatureAlgorithmIdentifierFinder;

/**
 * KMS key pairs for tests, and the programmatic way to give one a self-signed certificate:
 * Bouncy Castle's bcpkix builds the certificate, {@code java.security.Signature} (delayed
 * provider selection: Coffer, since the key is a KMS handle) signs it in the daemon.
 */
public final class KeyPairs {
  private KeyPairs() {}

  /** A new KMS key pair from {@code KeyPairGenerator(algorithm, "Coffer")}. */
  public static KeyPair generate(String algorithm, AlgorithmParameterSpec spec)
      throws GeneralSecurityException {
    TestDaemon.socket();
    KeyPairGenerator g = KeyPairGenerator.getInstance(algorithm, CofferProvider.NAME);
    g.initialize(spec);
    return g.generateKeyPair();
  }

  /** A self-signed certificate for {@code pair}, signed by its (KMS) private key. */
  public static X509Certificate selfSigned(KeyPair pair, String sigAlg, String dn)
      throws Exception {
    Instant now = Instant.now();
    X500Name name = new X500Name(dn);
    JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(name,
        BigInteger.valueOf(now.toEpochMilli()), Date.from(now.minusSeconds(60)),
        Date.from(now.plus(Duration.ofDays(30))), name, pair.getPublic());
    Signature s = Signature.getInstance(sigAlg);
    s.initSign(pair.getPrivate());
    AlgorithmIdentifier id = new DefaultSignatureAlgorithmIdentifierFinder().find(sigAlg);
    ContentSigner signer = new ContentSigner() {
      private final ByteArrayOutputStream tbs = new ByteArrayOutputStream();

      @Override
      public AlgorithmIdentifier getAlgorithmIdentifier() {
        return id;
      }

      @Override
      public OutputStream getOutputStream() {
        return tbs;
      }

      @Override
      public byte[] getSignature() {
        try {
          s.update(tbs.toByteArray());
          return s.sign();
        } catch (GeneralSecurityException e) {
          throw new IllegalStateException(e);
        }
      }
    };
    return new JcaX509CertificateConverter().getCertificate(b.build(signer));
  }
}
