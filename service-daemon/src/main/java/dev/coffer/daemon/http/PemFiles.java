package dev.coffer.daemon.http;

import java.io.IOException;
import java.io.Reader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;

/** PEM encoding of certificates and private keys (RFC 7468), through Bouncy Castle's parser. */
final class PemFiles {
  private PemFiles() {}

  /** {@code -----BEGIN CERTIFICATE-----} blocks, leaf first. */
  static byte[] certificates(List<X509Certificate> chain) throws IOException {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter pem = new JcaPEMWriter(out)) {
      for (X509Certificate c : chain) {
        pem.writeObject(c);
      }
    }
    return out.toString().getBytes(StandardCharsets.US_ASCII);
  }

  /** An unencrypted PKCS#8 {@code -----BEGIN PRIVATE KEY-----} block (the file is mode 0600). */
  static byte[] privateKey(PrivateKey key) throws IOException {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter pem = new JcaPEMWriter(out)) {
      pem.writeObject(new JcaPKCS8Generator(key, null));
    }
    return out.toString().getBytes(StandardCharsets.US_ASCII);
  }

  /** Every certificate in {@code file}, in file order; at least one. */
  static List<X509Certificate> readCertificates(Path file) throws IOException {
    List<X509Certificate> certs = new ArrayList<>();
    JcaX509CertificateConverter converter = new JcaX509CertificateConverter();
    try (Reader r = Files.newBufferedReader(file, StandardCharsets.US_ASCII);
        PEMParser parser = new PEMParser(r)) {
      for (Object o = parser.readObject(); o != null; o = parser.readObject()) {
        if (o instanceof X509CertificateHolder holder) {
          certs.add(converter.getCertificate(holder));
        }
      }
    } catch (CertificateException e) {
      throw new IOException(file + " holds a certificate that cannot be read: " + e.getMessage(), e);
    }
    if (certs.isEmpty()) {
      throw new IOException(file + " holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
    }
    return certs;
  }

  /** The one private key in {@code file}: PKCS#8, or OpenSSL's traditional EC/RSA form. */
  static PrivateKey readPrivateKey(Path file) throws IOException {
    JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
    try (Reader r = Files.newBufferedReader(file, StandardCharsets.US_ASCII);
        PEMParser parser = new PEMParser(r)) {
      for (Object o = parser.readObject(); o != null; o = parser.readObject()) {
        if (o instanceof PrivateKeyInfo info) {
          return converter.getPrivateKey(info);
        }
        if (o instanceof PEMKeyPair pair) {
          return converter.getKeyPair(pair).getPrivate();
        }
        if (o instanceof PEMEncryptedKeyPair || o instanceof PKCS8EncryptedPrivateKeyInfo) {
          throw new IOException(file + " holds an encrypted private key; give the certificate "
              + "and key as a PKCS#12 file with its password instead");
        }
      }
    }
    throw new IOException(file + " holds no PEM private key (-----BEGIN PRIVATE KEY-----)");
  }
}
