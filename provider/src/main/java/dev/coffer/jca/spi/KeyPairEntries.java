package dev.coffer.jca.spi;

import dev.coffer.jca.core.JcaErrors;
import dev.coffer.jca.core.KmsService;
import dev.coffer.jca.key.KmsPrivateKey;
import dev.coffer.protocol.KmsException;
import java.io.ByteArrayInputStream;
import java.security.KeyStoreException;
import java.security.cert.Certificate;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.List;

/**
 * The certificate side of {@code KeyStore KMS}: an asymmetric KMS key's X.509 chain is kept in
 * the daemon (Coffer's {@code PutCertificateChain}/{@code GetCertificateChain}), so every
 * process and tool that opens the store sees the same {@code PrivateKeyEntry}.
 */
final class KeyPairEntries {
  private KeyPairEntries() {}

  /** The chain attached to {@code keyId}, leaf first, or null when none is attached. */
  static Certificate[] chain(KmsService service, String keyId) {
    List<byte[]> der = service.asymmetric().getCertificateChain(keyId);
    if (der.isEmpty()) {
      return null;
    }
    try {
      CertificateFactory f = CertificateFactory.getInstance("X.509");
      Certificate[] out = new Certificate[der.size()];
      for (int i = 0; i < out.length; i++) {
        out[i] = f.generateCertificate(new ByteArrayInputStream(der.get(i)));
      }
      return out;
    } catch (CertificateException e) {
      throw new IllegalStateException("the daemon holds a certificate the JDK cannot read", e);
    }
  }

  /**
   * Attaches {@code chain} to the key of {@code handle}, after checking that its leaf
   * certifies that key's public key (a chain for another key would make every signature fail
   * verification later, far from the cause).
   */
  static void attach(KmsService service, KmsPrivateKey handle, Certificate[] chain)
      throws KeyStoreException {
    if (chain == null || chain.length == 0) {
      return;
    }
    if (!handle.publicKey().equals(chain[0].getPublicKey())) {
      throw new KeyStoreException("the first certificate of the chain is not for "
          + handle.arn() + ": its public key differs from the KMS key's");
    }
    List<byte[]> der = new ArrayList<>(chain.length);
    try {
      for (Certificate c : chain) {
        if (!"X.509".equals(c.getType())) {
          throw new KeyStoreException("only X.509 certificates can be attached, not "
              + c.getType());
        }
        der.add(c.getEncoded());
      }
      service.asymmetric().putCertificateChain(handle.arn(), der);
    } catch (CertificateEncodingException e) {
      throw new KeyStoreException("a certificate of the chain cannot be encoded", e);
    } catch (KmsException e) {
      throw JcaErrors.keyStore(e);
    }
  }
}
