package dev.coffer.daemon.http;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * The endpoint's server certificate chain and private key, and the {@link SSLContext} built
 * from them. Three sources: a self-signed pair Coffer makes on first start ({@link
 * #selfSigned}), an operator's PKCS#12 file ({@link #fromPkcs12}) or an operator's PEM pair
 * ({@link #fromPem}).
 *
 * <p>The private key lives only inside an in-memory key store here; it is never logged and
 * {@link #toString()} names only the certificate.
 */
public final class TlsMaterial {

  /** The {@code https-names} default: the names a client on the same host uses. */
  public static final List<String> DEFAULT_NAMES = List.of("localhost", "127.0.0.1");

  private static final char[] IN_MEMORY = "coffer-in-memory".toCharArray();

  private final List<X509Certificate> chain;
  private final KeyStore keyStore;
  private final Optional<Path> caBundle;

  private TlsMaterial(List<X509Certificate> chain, KeyStore keyStore, Optional<Path> caBundle) {
    this.chain = List.copyOf(chain);
    this.keyStore = keyStore;
    this.caBundle = caBundle;
  }

  /**
   * Coffer's own certificate in {@code dir} (e.g. {@code <home>/https}), made on first start
   * and whenever the names change or it nears expiry.
   *
   * @param names {@code https-names}: host names and IP literals, e.g. {@code localhost,
   *     127.0.0.1}; the first is also the subject's common name
   * @throws IOException when the files cannot be written or read, or {@code key.pem} is
   *     readable by group or others
   * @throws IllegalArgumentException when a name is neither a host name nor an IP literal
   */
  public static TlsMaterial selfSigned(Path dir, List<String> names, SecureRandom random,
      Clock clock) throws IOException {
    return SelfSignedCertificate.loadOrCreate(dir, names, random, clock);
  }

  /**
   * An operator's PKCS#12 file holding one private key entry and its chain.
   *
   * @param password the file's password (the key's password must be the same, as
   *     {@code openssl pkcs12 -export} writes it); not retained
   */
  public static TlsMaterial fromPkcs12(Path file, char[] password) throws IOException {
    KeyStore p12;
    try (InputStream in = Files.newInputStream(file)) {
      p12 = KeyStore.getInstance("PKCS12");
      p12.load(in, password);
    } catch (GeneralSecurityException e) {
      throw new IOException(file + " is not a PKCS#12 file this password opens: " + e.getMessage(), e);
    }
    try {
      List<String> keyAliases = new ArrayList<>();
      for (String alias : Collections.list(p12.aliases())) {
        if (p12.isKeyEntry(alias)) {
          keyAliases.add(alias);
        }
      }
      if (keyAliases.size() != 1) {
        throw new IOException(file + " must hold exactly one private key entry; it holds "
            + keyAliases.size());
      }
      Key key = p12.getKey(keyAliases.get(0), password);
      Certificate[] certs = p12.getCertificateChain(keyAliases.get(0));
      if (!(key instanceof PrivateKey) || certs == null || certs.length == 0) {
        throw new IOException(file + ": the key entry has no certificate chain");
      }
      List<X509Certificate> chain = new ArrayList<>();
      for (Certificate c : certs) {
        chain.add((X509Certificate) c);
      }
      return of(chain, (PrivateKey) key, null);
    } catch (GeneralSecurityException e) {
      throw new IOException(file + ": cannot read its key entry with this password: "
          + e.getMessage(), e);
    }
  }

  /** Reads a PKCS#12 password from a file: its first line, without the line ending. */
  public static char[] readPasswordFile(Path file) throws IOException {
    PrivateFiles.requireOwnerOnly(file);
    String text = Files.readString(file, StandardCharsets.UTF_8);
    int end = text.indexOf('\n');
    String line = end < 0 ? text : text.substring(0, end);
    return (line.endsWith("\r") ? line.substring(0, line.length() - 1) : line).toCharArray();
  }

  /**
   * An operator's PEM pair: the certificate chain (leaf first) and an unencrypted private key
   * (PKCS#8 or OpenSSL's traditional form), which must be mode 0600.
   */
  public static TlsMaterial fromPem(Path certificateChain, Path privateKey) throws IOException {
    PrivateFiles.requireOwnerOnly(privateKey);
    return of(PemFiles.readCertificates(certificateChain), PemFiles.readPrivateKey(privateKey),
        null);
  }

  /** Builds the material; refuses a key that does not belong to the leaf certificate. */
  static TlsMaterial of(List<X509Certificate> chain, PrivateKey key, Path caBundle)
      throws IOException {
    if (!matches(chain.get(0), key)) {
      throw new IOException("the private key does not belong to the certificate "
          + chain.get(0).getSubjectX500Principal() + "; give the key that was certified");
    }
    try {
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(null, null);
      ks.setKeyEntry("coffer-https", key, IN_MEMORY, chain.toArray(X509Certificate[]::new));
      return new TlsMaterial(chain, ks, Optional.ofNullable(caBundle));
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot hold the TLS key in memory: " + e.getMessage(), e);
    }
  }

  /** Whether {@code key} signs what the certificate's public key verifies. */
  static boolean matches(X509Certificate cert, PrivateKey key) {
    String algorithm = switch (key.getAlgorithm()) {
      case "EC" -> "SHA256withECDSA";
      case "RSA" -> "SHA256withRSA";
      case "RSASSA-PSS" -> "RSASSA-PSS";
      default -> key.getAlgorithm(); // Ed25519, Ed448
    };
    try {
      byte[] probe = new byte[32];
      new SecureRandom().nextBytes(probe);
      Signature signer = Signature.getInstance(algorithm);
      signer.initSign(key);
      signer.update(probe);
      byte[] sig = signer.sign();
      Signature verifier = Signature.getInstance(algorithm);
      verifier.initVerify(cert.getPublicKey());
      verifier.update(probe);
      return verifier.verify(sig);
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  /** A fresh TLS context serving this chain (protocols and suites are set by the server). */
  public SSLContext sslContext() {
    try {
      KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(keyStore, IN_MEMORY);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(kmf.getKeyManagers(), null, null);
      return context;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK cannot build a TLS context: " + e.getMessage(), e);
    }
  }

  /** The certificate chain, leaf first. */
  public List<X509Certificate> certificateChain() {
    return chain;
  }

  /**
   * For a self-signed certificate: the PEM file users pass to {@code AWS_CA_BUNDLE} (or
   * {@code --ca-bundle}, {@code coffer.tls.ca}); empty for an operator's certificate.
   */
  public Optional<Path> caBundle() {
    return caBundle;
  }

  @Override
  public String toString() {
    return "TlsMaterial[" + chain.get(0).getSubjectX500Principal() + ", key=<redacted>"
        + caBundle.map(p -> ", caBundle=" + p).orElse("") + "]";
  }

}
