package dev.coffer.daemon.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TlsMaterialTest {

  @TempDir Path dir;

  private TlsMaterial selfSigned(List<String> names, Clock clock) throws IOException {
    return TlsMaterial.selfSigned(dir.resolve("https"), names, new SecureRandom(), clock);
  }

  @Test
  void firstStartMakesAnEcP256CertificateWithDnsAndIpNamesAndPrivateKeyMode0600() throws Exception {
    TlsMaterial tls = selfSigned(List.of("localhost", "127.0.0.1", "::1"), Clock.systemUTC());
    X509Certificate cert = tls.certificateChain().get(0);
    assertEquals("EC", cert.getPublicKey().getAlgorithm());
    assertTrue(cert.getPublicKey().toString().contains("secp256r1")
        || cert.getPublicKey().toString().contains("1.2.840.10045.3.1.7"), cert.getPublicKey().toString());
    Set<String> sans = new java.util.HashSet<>();
    cert.getSubjectAlternativeNames().forEach(s -> sans.add(s.get(0) + ":" + s.get(1)));
    assertEquals(Set.of("2:localhost", "7:127.0.0.1", "7:0:0:0:0:0:0:0:1"), sans);
    assertEquals("rw-------", PosixFilePermissions.toString(
        Files.getPosixFilePermissions(dir.resolve("https/key.pem"))));
    assertEquals("rw-r--r--", PosixFilePermissions.toString(
        Files.getPosixFilePermissions(dir.resolve("https/cert.pem"))));
    assertEquals(dir.resolve("https/cert.pem"), tls.caBundle().orElseThrow());
    try (var files = Files.list(dir.resolve("https"))) {
      assertEquals(2, files.count(), "no temporary files left behind");
    }
    assertTrue(tls.sslContext().getProtocol().startsWith("TLS"));
    assertTrue(!tls.toString().contains("PRIVATE"));
  }

  @Test
  void restartReusesTheCertificateAndRenamingOrNearExpiryMakesANewOne() throws Exception {
    X509Certificate first = selfSigned(List.of("localhost"), Clock.systemUTC()).certificateChain().get(0);
    assertEquals(first, selfSigned(List.of("localhost"), Clock.systemUTC()).certificateChain().get(0));
    X509Certificate renamed = selfSigned(List.of("localhost", "10.1.2.3"), Clock.systemUTC())
        .certificateChain().get(0);
    assertNotEquals(first, renamed);
    Clock nearExpiry = Clock.offset(Clock.systemUTC(), Duration.ofDays(800));
    assertNotEquals(renamed, selfSigned(List.of("localhost", "10.1.2.3"), nearExpiry)
        .certificateChain().get(0));
  }

  @Test
  void aKeyFileReadableByOthersIsRefused() throws Exception {
    selfSigned(List.of("localhost"), Clock.systemUTC());
    Files.setPosixFilePermissions(dir.resolve("https/key.pem"),
        PosixFilePermissions.fromString("rw-r--r--"));
    IOException e = assertThrows(IOException.class,
        () -> selfSigned(List.of("localhost"), Clock.systemUTC()));
    assertTrue(e.getMessage().contains("chmod 600"), e.getMessage());
  }

  @Test
  void badNamesAreRefused() {
    assertThrows(IllegalArgumentException.class,
        () -> selfSigned(List.of("bad name"), Clock.systemUTC()));
    assertThrows(IllegalArgumentException.class, () -> selfSigned(List.of(), Clock.systemUTC()));
    assertThrows(IllegalArgumentException.class,
        () -> selfSigned(List.of("1:2:zz::1"), Clock.systemUTC()));
  }

  /** An operator's RSA pair made by openssl; also exported as PKCS#12. */
  static Path[] opensslRsaPair(Path dir) throws Exception {
    Path key = dir.resolve("op-key.pem");
    Path cert = dir.resolve("op-cert.pem");
    run(dir, "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key.toString(),
        "-out", cert.toString(), "-days", "2", "-subj", "/CN=localhost",
        "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1");
    Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
    return new Path[] {cert, key};
  }

  static void run(Path dir, String... command) throws Exception {
    Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, String.join(" ", command) + ": " + out);
  }

  @Test
  void operatorPemPairAndPkcs12AreLoaded() throws Exception {
    Path[] pair = opensslRsaPair(dir);
    TlsMaterial pem = TlsMaterial.fromPem(pair[0], pair[1]);
    assertEquals("RSA", pem.certificateChain().get(0).getPublicKey().getAlgorithm());
    assertTrue(pem.caBundle().isEmpty());
    Path p12 = dir.resolve("op.p12");
    run(dir, "openssl", "pkcs12", "-export", "-in", pair[0].toString(), "-inkey", pair[1].toString(),
        "-out", p12.toString(), "-passout", "pass:s3cret pass");
    Path passwordFile = dir.resolve("p12.pass");
    Files.writeString(passwordFile, "s3cret pass\n");
    Files.setPosixFilePermissions(passwordFile, PosixFilePermissions.fromString("rw-------"));
    TlsMaterial fromP12 = TlsMaterial.fromPkcs12(p12, TlsMaterial.readPasswordFile(passwordFile));
    assertEquals(pem.certificateChain(), fromP12.certificateChain());
    IOException wrong = assertThrows(IOException.class,
        () -> TlsMaterial.fromPkcs12(p12, "nope".toCharArray()));
    assertTrue(wrong.getMessage().contains("password"), wrong.getMessage());
  }

  @Test
  void aKeyThatDoesNotBelongToTheCertificateIsRefused() throws Exception {
    Path[] pair = opensslRsaPair(dir);
    Path other = Files.createDirectories(dir.resolve("other"));
    Path[] otherPair = opensslRsaPair(other);
    IOException e = assertThrows(IOException.class, () -> TlsMaterial.fromPem(pair[0], otherPair[1]));
    assertTrue(e.getMessage().contains("does not belong"), e.getMessage());
  }
}
