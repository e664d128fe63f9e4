package dev.coffer.conformance.provider;

import static dev.coffer.conformance.provider.ProviderTools.PROVIDER_CLASS;
import static dev.coffer.conformance.provider.ProviderTools.PROVIDER_JAR;
import static dev.coffer.conformance.provider.ProviderTools.command;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coffer.conformance.provider.ProviderTools.Result;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSigner;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The built provider jar is what an operator installs: signed (verified by the JDK's {@code
 * jarsigner}), discoverable through {@code META-INF/services}, and named as a module.
 *
 * <p>{@code jarsigner -verify -strict} on a jar signed with the build's self-signed key exits 4
 * ("certificate chain is invalid", "signer certificate is self-signed"): -strict turns an
 * untrusted chain into an error. Without -strict it exits 0 ("jar verified." plus warnings).
 * With the signer's certificate in a trust store passed as {@code -keystore}, -strict exits 0;
 * a jar signed with a real code-signing certificate verifies with -strict against cacerts.
 * The trusted certificate here is taken from the jar itself, so that case checks integrity and
 * -strict's other checks (key usage, validity, weak algorithms), not the signer's origin.
 */
class SignedJarConformanceTest {

  private static Path work;

  @BeforeAll
  static void setUp() throws IOException {
    ProviderTools.requireProviderJar();
    work = Files.createTempDirectory(Path.of("/tmp"), "cofjar");
  }

  @AfterAll
  static void tearDown() throws IOException {
    UnchangedAppConformanceTest.deleteTree(work);
  }

  private static Result jarsigner(Object... args) throws Exception {
    return ProviderTools.run(command(ProviderTools.jdkTool("jarsigner"), List.of(args)), Map.of(),
        work);
  }

  @Test
  void jarsignerVerify_builtProviderJar_reportsJarVerified() throws Exception {
    Result r = jarsigner("-verify", PROVIDER_JAR);
    assertEquals(0, r.exitCode(), r::toString);
    assertTrue(r.stdout().contains("jar verified."), r::toString);
    assertFalse(r.stdout().contains("unsigned"), r::toString);
  }

  @Test
  void jarsignerVerifyStrict_signerCertificateTrusted_reportsJarVerified() throws Exception {
    Certificate signer = signerCertificate();
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("coffer-build", signer);
    Path trustFile = work.resolve("trust.p12");
    try (OutputStream out = Files.newOutputStream(trustFile)) {
      trust.store(out, "changeit".toCharArray());
    }
    Result r = jarsigner("-verify", "-strict", "-keystore", trustFile, "-storepass", "changeit",
        PROVIDER_JAR);
    assertEquals(0, r.exitCode(), r::toString);
    assertTrue(r.stdout().contains("jar verified."), r::toString);
  }

  @Test
  void everyClassEntry_isSignedByOneSigner() throws Exception {
    List<String> unsigned = new ArrayList<>();
    int classes = 0;
    try (JarFile jar = new JarFile(PROVIDER_JAR.toFile(), true)) {
      for (Enumeration<JarEntry> e = jar.entries(); e.hasMoreElements(); ) {
        JarEntry entry = e.nextElement();
        if (entry.isDirectory() || entry.getName().startsWith("META-INF/")) {
          continue;
        }
        try (InputStream in = jar.getInputStream(entry)) {
          in.readAllBytes(); // signers are known only after the entry has been read
        }
        CodeSigner[] signers = entry.getCodeSigners();
        if (signers == null || signers.length == 0) {
          unsigned.add(entry.getName());
        }
        if (entry.getName().endsWith(".class")) {
          classes++;
        }
      }
    }
    assertTrue(classes > 0, "no classes in " + PROVIDER_JAR);
    assertEquals(List.of(), unsigned, "unsigned entries");
  }

  @Test
  void manifest_declaresProviderServiceAndAutomaticModuleName() throws Exception {
    try (JarFile jar = new JarFile(PROVIDER_JAR.toFile())) {
      ZipEntry services = jar.getEntry("META-INF/services/java.security.Provider");
      assertNotNull(services, "META-INF/services/java.security.Provider");
      String text;
      try (InputStream in = jar.getInputStream(services)) {
        text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
      assertTrue(text.lines().map(String::strip).anyMatch(PROVIDER_CLASS::equals), text);
      assertNotNull(jar.getEntry(PROVIDER_CLASS.replace('.', '/') + ".class"));

      String module = jar.getManifest().getMainAttributes().getValue("Automatic-Module-Name");
      assertNotNull(module, "Automatic-Module-Name");
      assertTrue(module.matches("[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)+"), module);
    }
  }

  @Test
  void jarsignerVerify_classAlteredAfterSigning_failsWithDigestError() throws Exception {
    Path tampered = work.resolve("tampered.jar");
    String victim = PROVIDER_CLASS.replace('.', '/') + ".class";
    boolean altered = false;
    try (ZipInputStream in = new ZipInputStream(Files.newInputStream(PROVIDER_JAR));
        ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(tampered))) {
      for (ZipEntry e; (e = in.getNextEntry()) != null; ) {
        byte[] data = in.readAllBytes();
        if (e.getName().equals(victim)) {
          data = data.clone();
          data[data.length / 2] ^= 0x01;
          altered = true;
        }
        out.putNextEntry(new ZipEntry(e.getName()));
        out.write(data);
        out.closeEntry();
      }
    }
    assertTrue(altered, victim + " not found");
    Result r = jarsigner("-verify", tampered);
    assertNotEquals(0, r.exitCode(), r::toString);
    assertFalse(r.stdout().contains("jar verified."), r::toString);
    assertTrue(r.output().contains("digest error"), r::toString);
  }

  /** The certificate that signed the provider class, read from the jar itself. */
  private static Certificate signerCertificate() throws IOException {
    try (JarFile jar = new JarFile(PROVIDER_JAR.toFile(), true)) {
      JarEntry entry = jar.getJarEntry(PROVIDER_CLASS.replace('.', '/') + ".class");
      assertNotNull(entry, PROVIDER_CLASS);
      try (InputStream in = jar.getInputStream(entry)) {
        in.readAllBytes();
      }
      CodeSigner[] signers = entry.getCodeSigners();
      assertNotNull(signers, PROVIDER_CLASS + " is not signed");
      return signers[0].getSignerCertPath().getCertificates().get(0);
    }
  }
}
