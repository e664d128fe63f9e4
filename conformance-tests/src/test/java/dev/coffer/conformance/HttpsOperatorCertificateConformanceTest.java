package dev.coffer.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.services.kms.KmsClient;

/**
 * An operator's certificate replaces the self-signed one: a PKCS#12 file with a password file,
 * or a PEM pair, made by {@code openssl} and named in {@code coffer.properties}. A client that
 * trusts only the operator's certificate gets through; the daemon writes no certificate of its
 * own.
 */
class HttpsOperatorCertificateConformanceTest {

  static Path dir;
  static Path cert;
  static Path key;
  static Path p12;
  static Path password;

  @BeforeAll
  static void makeCertificate() throws Exception {
    dir = Files.createTempDirectory(Path.of("/tmp"), "cofop");
    cert = dir.resolve("operator-cert.pem");
    key = dir.resolve("operator-key.pem");
    p12 = dir.resolve("operator.p12");
    password = dir.resolve("p12-password");
    run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
        "-nodes", "-days", "30", "-subj", "/CN=localhost", "-addext",
        "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", key.toString(), "-out",
        cert.toString());
    Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
    Files.writeString(password, "correct horse battery staple\n");
    Files.setPosixFilePermissions(password, PosixFilePermissions.fromString("rw-------"));
    run("openssl", "pkcs12", "-export", "-inkey", key.toString(), "-in", cert.toString(),
        "-out", p12.toString(), "-passout", "file:" + password);
  }

  @AfterAll
  static void clean() throws Exception {
    DaemonProcess.deleteTree(dir);
  }

  static void run(String... cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "hung: " + List.of(cmd));
    assertEquals(0, p.exitValue(), () -> List.of(cmd) + ": " + out);
  }

  /** Starts a daemon with {@code settings}, lists keys through a client trusting only cert. */
  static void servesOperatorCertificate(Map<String, String> settings) throws Exception {
    Map<String, String> all = new HashMap<>(settings);
    all.put("admins", HttpsEndpointConformanceTest.adminsWith("ops"));
    try (DaemonProcess d = DaemonProcess.startHttps(all)) {
      JsonNode k = HttpsEndpointConformanceTest.createAccessKey(d, "ops");
      try (KmsClient kms = AwsClients.kms(d, "local", k.get("AccessKeyId").asText(),
          k.get("SecretAccessKey").asText(), b -> b.httpClientBuilder(ApacheHttpClient.builder()
              .tlsTrustManagersProvider(() -> AwsClients.trustManagers(cert))))) {
        kms.createKey(b -> b.description("behind the operator's certificate"));
        assertEquals(1, kms.listKeys().keys().size());
      }
      assertFalse(Files.exists(d.caBundle()), "no self-signed certificate is made");
    }
  }

  @Test
  void pkcs12WithPasswordFile() throws Exception {
    servesOperatorCertificate(Map.of("https-pkcs12-file", p12.toString(),
        "https-pkcs12-password-file", password.toString()));
  }

  @Test
  void pemPair() throws Exception {
    servesOperatorCertificate(Map.of("https-certificate-file", cert.toString(),
        "https-private-key-file", key.toString()));
  }
}
