package dev.coffer.conformance.provider;

import static dev.coffer.conformance.provider.ProviderTools.PROVIDER_JAR;
import static dev.coffer.conformance.provider.ProviderTools.command;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.JsonNode;
import dev.coffer.conformance.DaemonProcess;
import dev.coffer.conformance.DaemonProcess.CliResult;
import dev.coffer.conformance.hsm.SoftHsm;
import dev.coffer.conformance.provider.ProviderTools.Result;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * An unchanged application, compiled against the JDK alone, gets a non-extractable KMS key from
 * {@code KeyStore.getInstance("KMS")} and envelope-encrypts with {@code
 * Cipher.getInstance("AES/GCM/NoPadding")} once the operator registers Coffer in a {@code
 * java.security} file and puts the signed jar on the class path. Every run is its own JVM
 * against a real daemon process.
 */
class UnchangedAppConformanceTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String ALIAS = "alias/app";

  private static DaemonProcess daemon;
  private static Path work;
  private static Path appClasses;
  private static Path securityFile;
  private static Path sealedDir;
  private static Result sealed;

  @BeforeAll
  static void setUp() throws Exception {
    ProviderTools.requireProviderJar();
    work = Files.createTempDirectory(Path.of("/tmp"), "cofapp");
    appClasses = compileApp(work);
    securityFile = ProviderTools.securityProperties(work);
    daemon = DaemonProcess.start();
    createKeyWithAlias(daemon, ALIAS);
    // One run seals a small and a large message; the tests below read what it printed and saved.
    sealedDir = Files.createDirectories(work.resolve("sealed"));
    sealed = app(daemon, "roundtrip", sealedDir);
  }

  @AfterAll
  static void tearDown() throws Exception {
    if (daemon != null) {
      daemon.close();
    }
    deleteTree(work);
  }

  /** javac with no class path: the app cannot depend on anything but the JDK. */
  static Path compileApp(Path dir) throws IOException {
    return compileApp(dir, "UnchangedApp");
  }

  /** Compiles the resource {@code provider/NAME.java} into {@code dir/classes}. */
  static Path compileApp(Path dir, String name) throws IOException {
    Path src = dir.resolve("src/" + name + ".java");
    Files.createDirectories(src.getParent());
    try (InputStream in = UnchangedAppConformanceTest.class.getResourceAsStream(
        "/provider/" + name + ".java")) {
      assertNotNull(in, "resource provider/" + name + ".java");
      Files.write(src, in.readAllBytes());
    }
    String text = Files.readString(src).toLowerCase(Locale.ROOT);
    assertFalse(text.contains("coffer"), "the app must not know about Coffer");
    Path classes = dir.resolve("classes");
    Files.createDirectories(classes);
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    int rc = javac.run(null, null, null, "--release", "17", "-classpath", "",
        "-d", classes.toString(), src.toString());
    assertEquals(0, rc, "javac " + name + ".java");
    return classes;
  }

  static String createKeyWithAlias(DaemonProcess d, String alias) throws Exception {
    CliResult created = d.cli("create-key", "--description", "unchanged app");
    assertEquals(0, created.exitCode(), created.stderr());
    String id = JSON.readTree(created.stdout()).get("KeyMetadata").get("KeyId").asText();
    CliResult aliased = d.cli("create-alias", "--alias-name", alias, "--target-key-id", id);
    assertEquals(0, aliased.exitCode(), aliased.stderr());
    return id;
  }

  /**
   * {@code java -Djava.security.properties=FILE -cp app:coffer-provider.jar UnchangedApp ...}:
   * the socket comes from {@code $COFFER_SOCKET}, as for any process the operator starts.
   */
  private static Result app(DaemonProcess d, String mode, Path dir) throws Exception {
    return app(d, mode, dir, securityFile);
  }

  private static Result app(DaemonProcess d, String mode, Path dir, Path javaSecurity)
      throws Exception {
    return app(d, mode, dir, javaSecurity, ALIAS);
  }

  private static Result app(DaemonProcess d, String mode, Path dir, Path javaSecurity,
      String alias) throws Exception {
    return ProviderTools.run(command(DaemonProcess.JAVA,
        "-Djava.security.properties=" + javaSecurity,
        "-cp", appClasses + ":" + PROVIDER_JAR,
        "UnchangedApp", mode, alias, dir), d.env(), work);
  }

  private static Map<String, String> ok(Result r) {
    assertEquals(0, r.exitCode(), r::toString);
    Map<String, String> v = r.values();
    assertEquals("true", v.get("done"), r::toString);
    return v;
  }

  @Test
  void registeredInJavaSecurity_kmsHandleEnvelopeEncryptsWithCoffer() {
    Result r = sealed;
    Map<String, String> v = ok(r);

    // Registered by name from java.security, after SunJCE.
    assertTrue(position(v, "Coffer") > position(v, "SunJCE"), r::toString);

    assertEquals("Coffer", v.get("keystore.provider"), r::toString);
    assertTrue(List.of(v.get("keystore.aliases").split(",")).contains(ALIAS), r::toString);
    assertEquals("true", v.get("keystore.containsAlias"), r::toString);
    assertEquals("true", v.get("keystore.isKeyEntry"), r::toString);
    assertEquals("AES", v.get("key.algorithm"), r::toString);
    assertEquals("true", v.get("key.isSecretKey"), r::toString);
    assertEquals("true", v.get("key.encodedIsNull"), "getEncoded() of a handle must be null");
    assertEquals("null", v.get("key.format"), "getFormat() of a handle must be null");

    for (String m : List.of("small", "large")) {
      assertEquals("Coffer", v.get(m + ".encrypt.provider"), r::toString);
      assertEquals("Coffer", v.get(m + ".decrypt.provider"), r::toString);
      assertEquals("true", v.get(m + ".roundtrip"), r::toString);
      assertEquals("true", v.get(m + ".outputSizeExact"), r::toString);
      assertEquals("false", v.get(m + ".ciphertextContainsPlaintext"), r::toString);
    }
  }

  /** Issue 6: the same unchanged app, with its key held by a PKCS#11 token (SoftHSM2). */
  @Test
  void keyInCustomKeyStore_unchangedAppRoundTripsThroughTheToken() throws Exception {
    SoftHsm.reset();
    SoftHsm.initToken("unchanged-app");
    String store = SoftHsm.connectStore(daemon, "unchanged-app");
    CliResult created = daemon.cli("create-key", "--custom-key-store-id", store);
    assertEquals(0, created.exitCode(), created.stderr());
    JsonNode meta = JSON.readTree(created.stdout()).get("KeyMetadata");
    assertEquals("AWS_CLOUDHSM", meta.get("Origin").asText());
    CliResult aliased = daemon.cli("create-alias", "--alias-name", "alias/app-hsm",
        "--target-key-id", meta.get("KeyId").asText());
    assertEquals(0, aliased.exitCode(), aliased.stderr());

    Path dir = Files.createDirectories(work.resolve("sealed-hsm"));
    Result r = app(daemon, "roundtrip", dir, securityFile, "alias/app-hsm");
    Map<String, String> v = ok(r);
    assertEquals("true", v.get("key.encodedIsNull"), r::toString);
    for (String m : List.of("small", "large")) {
      assertEquals("Coffer", v.get(m + ".encrypt.provider"), r::toString);
      assertEquals("true", v.get(m + ".roundtrip"), r::toString);
    }
  }

  @Test
  void ordinaryAesKeyBesideCoffer_stillGoesToSunJce() {
    Map<String, String> v = ok(sealed);
    assertEquals("SunJCE", v.get("plainKey.encrypt.provider"));
    assertEquals("SunJCE", v.get("plainKey.decrypt.provider"));
    assertEquals("true", v.get("plainKey.roundtrip"));
    assertEquals("SunJCE", v.get("keyGenerator.AES.provider"),
        "KeyGenerator AES without a provider name must stay SunJCE's when Coffer is after it");
  }

  @Test
  void envelopeFromAnotherJvm_decryptsWithNothingButTheKeyHandle() throws Exception {
    Map<String, String> before = ok(sealed);
    Result r = app(daemon, "decrypt", sealedDir);
    Map<String, String> opened = ok(r);
    assertEquals("Coffer", opened.get("small.decrypt.provider"), r::toString);
    assertEquals(before.get("small.sha256"), opened.get("small.sha256"), r::toString);
    assertEquals(before.get("large.sha256"), opened.get("large.sha256"), r::toString);
  }

  @Test
  void tamperedEnvelopeOrWrongAad_failsWithAeadBadTag() throws Exception {
    ok(sealed);
    Result r = app(daemon, "tamper", sealedDir);
    Map<String, String> v = ok(r);
    for (String what : List.of("header", "ciphertext", "tag", "aad", "truncated")) {
      assertEquals("javax.crypto.AEADBadTagException", v.get("tamper." + what),
          () -> what + " altered\n" + r);
    }
    assertEquals("decrypted", v.get("tamper.untouched"), r::toString);
  }

  @Test
  void shippedJavaSecurityTemplate_registersCofferAfterSunJceWithoutDisplacingJdkProviders()
      throws Exception {
    Path template = DaemonProcess.ROOT.resolve("META-INF-templates/java.security.coffer");
    assertTrue(Files.isRegularFile(template), template::toString);
    List<String> entries = Files.readAllLines(template).stream().map(String::strip)
        .filter(l -> l.startsWith("security.provider.")).toList();
    assertEquals(1, entries.size(), () -> "one provider line expected: " + entries);
    int n = Integer.parseInt(
        entries.get(0).replaceAll("^security\\.provider\\.(\\d+)=.*$", "$1"));
    assertEquals("security.provider." + n + "=Coffer", entries.get(0));
    Map<Integer, String> jdk = ProviderTools.jdkProviders();
    assertFalse(jdk.containsKey(n), () -> "N=" + n + " would replace " + jdk.get(n));

    Path dir = Files.createDirectories(work.resolve("template"));
    Result r = app(daemon, "roundtrip", dir, template);
    Map<String, String> v = ok(r);
    assertTrue(position(v, "Coffer") > position(v, "SunJCE"), r::toString);
    assertEquals(jdk.size() + 1, v.keySet().stream().filter(k -> k.startsWith("provider.")).count(),
        r::toString);
    assertEquals("Coffer", v.get("small.encrypt.provider"), r::toString);
    assertEquals("true", v.get("large.roundtrip"), r::toString);
    assertEquals("SunJCE", v.get("plainKey.encrypt.provider"), r::toString);
  }

  @Test
  void daemonStopped_appFailsWithExceptionNamingTheDaemon() throws Exception {
    try (DaemonProcess stopped = DaemonProcess.start()) {
      createKeyWithAlias(stopped, ALIAS);
      stopped.kill9(); // the socket file stays behind, as after a crash
      Path dir = Files.createDirectories(work.resolve("stopped"));
      Result r = app(stopped, "roundtrip", dir);
      assertEquals(3, r.exitCode(), r::toString);
      String error = r.stdout().lines()
          .filter(l -> l.startsWith("error=") || l.startsWith("cause="))
          .reduce("", (a, b) -> a + b + "\n");
      assertTrue(error.toLowerCase(Locale.ROOT).contains("daemon"),
          () -> "the failure must name the daemon:\n" + r);
      assertTrue(error.contains(stopped.socket().toString()),
          () -> "the failure must say where it looked for the daemon:\n" + r);
      assertFalse(error.contains("NullPointerException"), r::toString);
      assertFalse(r.stdout().contains("roundtrip=true"), r::toString);
    }
  }

  private static int position(Map<String, String> appOutput, String provider) {
    String p = appOutput.get("provider." + provider);
    assertNotNull(p, () -> provider + " is not registered: " + appOutput);
    return Integer.parseInt(p);
  }

  static void deleteTree(Path p) throws IOException {
    if (p == null || !Files.exists(p)) {
      return;
    }
    try (var s = Files.walk(p)) {
      s.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    }
  }
}
