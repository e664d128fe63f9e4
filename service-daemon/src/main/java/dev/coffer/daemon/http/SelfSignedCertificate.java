package dev.coffer.daemon.http;

import java.io.IOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The endpoint's own certificate for a first start without an operator's one: EC P-256,
 * self-signed, the configured names as DNS and IP subject alternative names, valid 825 days
 * (the longest lifetime Apple's TLS clients accept for a server certificate).
 *
 * <p>Files, in {@code dir}: {@code cert.pem} (mode 0644: users pass it to {@code AWS_CA_BUNDLE})
 * and {@code key.pem} (PKCS#8, mode 0600, written atomically). The pair is made again when it is
 * missing, expires within 30 days, or was made for other names; otherwise it is reused, so
 * clients keep trusting the same certificate across restarts.
 */
final class SelfSignedCertificate {
  private SelfSignedCertificate() {}

  static final String CERT_FILE = "cert.pem";
  static final String KEY_FILE = "key.pem";
  static final Duration VALIDITY = Duration.ofDays(825);
  static final Duration RENEW_BEFORE = Duration.ofDays(30);
  private static final Pattern IPV4 = Pattern.compile("[0-9]{1,3}(\\.[0-9]{1,3}){3}");
  private static final Pattern DNS = Pattern.compile(
      "(\\*\\.)?[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*");

  /** Loads the pair in {@code dir}, making it first when needed (see the class comment). */
  static TlsMaterial loadOrCreate(Path dir, List<String> names, SecureRandom random, Clock clock)
      throws IOException {
    List<GeneralName> sans = subjectAlternativeNames(names);
    Path certFile = dir.resolve(CERT_FILE);
    Path keyFile = dir.resolve(KEY_FILE);
    if (Files.exists(certFile) && Files.exists(keyFile)) {
      PrivateFiles.requireOwnerOnly(keyFile);
      List<X509Certificate> chain = PemFiles.readCertificates(certFile);
      java.security.PrivateKey key = PemFiles.readPrivateKey(keyFile);
      if (stillGood(chain.get(0), names, clock) && TlsMaterial.matches(chain.get(0), key)) {
        return TlsMaterial.of(chain, key, certFile);
      }
    }
    Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(
        PosixFilePermissions.fromString("rwxr-xr-x")));
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(new ECGenParameterSpec("secp256r1"), random);
      KeyPair pair = generator.generateKeyPair();
      X509Certificate cert = sign(pair, names.get(0), sans, random, clock.instant());
      // Key first: a crash between the two leaves a new key with the old certificate, which the
      // next start detects (the pair does not match) and replaces; never a certificate whose
      // key is missing.
      PrivateFiles.writeAtomically(keyFile, PemFiles.privateKey(pair.getPrivate()),
          PrivateFiles.OWNER_ONLY);
      PrivateFiles.writeAtomically(certFile, PemFiles.certificates(List.of(cert)),
          PrivateFiles.WORLD_READABLE);
      return TlsMaterial.of(List.of(cert), pair.getPrivate(), certFile);
    } catch (GeneralSecurityException | OperatorCreationException e) {
      throw new IOException("could not make the endpoint's self-signed certificate: " + e, e);
    }
  }

  private static X509Certificate sign(KeyPair pair, String commonName, List<GeneralName> sans,
      SecureRandom random, Instant now) throws GeneralSecurityException, OperatorCreationException,
      IOException {
    var subject = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.O, "Coffer")
        .addRDN(BCStyle.CN, commonName).build();
    // Backdated a little so a client whose clock is slightly behind still accepts it.
    Instant notBefore = now.minus(Duration.ofHours(1));
    var builder = new JcaX509v3CertificateBuilder(subject, new BigInteger(127, random).add(BigInteger.ONE),
        Date.from(notBefore), Date.from(now.plus(VALIDITY)), subject, pair.getPublic());
    builder.addExtension(Extension.subjectAlternativeName, false,
        new GeneralNames(sans.toArray(GeneralName[]::new)));
    builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
    builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
    builder.addExtension(Extension.extendedKeyUsage, false,
        new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
    var signer = new JcaContentSignerBuilder("SHA256withECDSA").build(pair.getPrivate());
    return new JcaX509CertificateConverter().getCertificate(builder.build(signer));
  }

  /**
   * {@code https-names} entries as SANs: IPv4/IPv6 literals as IP addresses, host names as DNS
   * names. Anything else is a configuration error.
   */
  static List<GeneralName> subjectAlternativeNames(List<String> names) {
    if (names.isEmpty()) {
      throw new IllegalArgumentException("https-names must name at least one host name or IP");
    }
    List<GeneralName> sans = new ArrayList<>();
    for (String raw : names) {
      String name = raw.trim();
      if (IPV4.matcher(name).matches() || name.contains(":")) {
        String literal = name.startsWith("[") && name.endsWith("]")
            ? name.substring(1, name.length() - 1) : name;
        if (!isIpLiteral(literal)) {
          throw new IllegalArgumentException("https-names entry '" + raw
              + "' is neither a host name nor an IP address");
        }
        sans.add(new GeneralName(GeneralName.iPAddress, literal));
      } else if (DNS.matcher(name).matches() && name.length() <= 253) {
        sans.add(new GeneralName(GeneralName.dNSName, name.toLowerCase(java.util.Locale.ROOT)));
      } else {
        throw new IllegalArgumentException("https-names entry '" + raw
            + "' is neither a host name nor an IP address");
      }
    }
    return sans;
  }

  private static boolean isIpLiteral(String s) {
    // Only literals reach InetAddress (no lookup): digits, dots, hex and colons.
    if (!s.matches("[0-9A-Fa-f:.]+")) {
      return false;
    }
    try {
      InetAddress.getByName(s);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static boolean stillGood(X509Certificate cert, List<String> names, Clock clock) {
    if (cert.getNotAfter().toInstant().isBefore(clock.instant().plus(RENEW_BEFORE))) {
      return false;
    }
    Set<String> wanted = new HashSet<>();
    for (GeneralName n : subjectAlternativeNames(names)) {
      String value = n.getTagNo() == GeneralName.iPAddress
          ? ipOf(((org.bouncycastle.asn1.ASN1OctetString) n.getName()).getOctets())
          : n.getName().toString();
      wanted.add(n.getTagNo() + ":" + value);
    }
    Set<String> present = new HashSet<>();
    try {
      Collection<List<?>> sans = cert.getSubjectAlternativeNames();
      for (List<?> san : sans == null ? List.<List<?>>of() : sans) {
        int tag = (Integer) san.get(0);
        String value = san.get(1).toString();
        present.add(tag + ":" + (tag == GeneralName.iPAddress
            ? ipOf(literalBytes(value)) : value.toLowerCase(java.util.Locale.ROOT)));
      }
    } catch (CertificateParsingException | IOException e) {
      return false;
    }
    return wanted.equals(present);
  }

  private static byte[] literalBytes(String literal) throws IOException {
    return InetAddress.getByName(literal).getAddress();
  }

  private static String ipOf(byte[] address) {
    try {
      return InetAddress.getByAddress(address).getHostAddress();
    } catch (IOException e) {
      return java.util.HexFormat.of().formatHex(address);
    }
  }
}
