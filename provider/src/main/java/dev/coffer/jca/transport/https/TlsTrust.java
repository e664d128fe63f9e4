package dev.coffer.jca.transport.https;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.Collection;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * The TLS context for the endpoint: the JDK's default trust store, or exactly the certificates
 * of a PEM file ({@code coffer.tls.ca}; one or more {@code BEGIN CERTIFICATE} blocks, e.g. the
 * daemon's self-signed certificate or a private CA). Host names are checked by the HTTP client
 * either way; this class never turns that off.
 */
final class TlsTrust {
  private TlsTrust() {}

  static SSLContext context(Path pemFile) {
    try {
      if (pemFile == null) {
        return SSLContext.getDefault();
      }
      Collection<? extends Certificate> certs;
      try (InputStream in = Files.newInputStream(pemFile)) {
        certs = CertificateFactory.getInstance("X.509").generateCertificates(in);
      }
      if (certs.isEmpty()) {
        throw new IllegalArgumentException("coffer.tls.ca file " + pemFile
            + " holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
      }
      KeyStore trusted = KeyStore.getInstance("PKCS12");
      trusted.load(null, null);
      int i = 0;
      for (Certificate c : certs) {
        trusted.setCertificateEntry("coffer-ca-" + i++, c);
      }
      TrustManagerFactory tmf =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trusted);
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(null, tmf.getTrustManagers(), null);
      return ctx;
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read coffer.tls.ca file " + pemFile + ": "
          + e.getMessage(), e);
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("coffer.tls.ca file " + pemFile
          + " is not a PEM certificate file: " + e.getMessage(), e);
    }
  }
}
