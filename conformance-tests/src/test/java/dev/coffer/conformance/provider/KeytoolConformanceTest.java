package dev.coffer.conformance.provider;

import static dev.coffer.conformance.provider.ProviderTools.PROVIDER_CLASS;
import static dev.coffer.conformance.provider.ProviderTools.PROVIDER_JAR;
import static dev.coffer.conformance.provider.ProviderTools.command;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.coffer.conformance.DaemonProcess;
import dev.coffer.conformance.DaemonProcess.CliResult;
import dev.coffer.conformance.provider.ProviderTools.Result;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The JDK's own {@code keytool} (JDK 17) against a real daemon, with the provider loaded the
 * three ways keytool allows. Each form below is one an operator can copy:
 *
 * <pre>
 * # 1. class from a path (no registration at all)
 * keytool -list -storetype KMS -keystore NONE -storepass changeit \
 *     -providerpath coffer-provider.jar -providerclass dev.coffer.jca.CofferProvider
 * # 2. by provider name through ServiceLoader, the jar on keytool's class path
 * keytool -list -storetype KMS -keystore NONE -storepass changeit \
 *     -J-cp -Jcoffer-provider.jar -addprovider Coffer
 * # 3. registered in a java.security file, as for any application
 * keytool -list -storetype KMS -keystore NONE -storepass changeit \
 *     -J-cp -Jcoffer-provider.jar -J-Djava.security.properties=coffer.java.security
 * </pre>
 *
 * For {@code -genseckey}, JDK 17 keytool generates with {@code KeyGenerator.getInstance("AES")}
 * (no provider name; {@code -providerName} only chooses the key store). Two forms follow:
 *
 * <pre>
 * # 4. Coffer first in a keytool-only java.security file: Coffer's AES KeyGenerator creates the
 * #    KMS key in the daemon (Origin AWS_KMS); the material never exists outside it
 * keytool -genseckey -providerName Coffer -keyalg AES -keysize 256 -alias alias/x \
 *     -storetype KMS -keystore NONE -storepass changeit -keypass changeit \
 *     -J-cp -Jcoffer-provider.jar -J-Djava.security.properties=coffer-first.java.security
 * # 5. Coffer appended (forms 1-3): SunJCE generates the key and KeyStore.setEntry imports it
 * #    as a key of Origin EXTERNAL
 * keytool -genseckey -providerName Coffer -keyalg AES -keysize 256 -alias alias/x \
 *     -storetype KMS -keystore NONE -storepass changeit -keypass changeit \
 *     -providerpath coffer-provider.jar -providerclass dev.coffer.jca.CofferProvider
 * </pre>
 *
 * The socket is passed as {@code -J-Dcoffer.socket=PATH} or in {@code $COFFER_SOCKET} (the
 * {@code -delete} case).
 * {@code -storepass} is required only because keytool would otherwise prompt; its value is
 * ignored: access is decided by the daemon from the caller's Unix identity.
 */
class KeytoolConformanceTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String STOREPASS = "changeit";

  private static DaemonProcess daemon;
  private static Path work;
  private static Path securityFile;
  private static Path cofferFirstFile;

  @BeforeAll
  static void setUp() throws Exception {
    ProviderTools.requireProviderJar();
    work = Files.createTempDirectory(Path.of("/tmp"), "cofkt");
    securityFile = ProviderTools.securityProperties(work);
    cofferFirstFile = ProviderTools.cofferFirstSecurityProperties(work);
    daemon = DaemonProcess.start();
  }

  @AfterAll
  static void tearDown() throws Exception {
    if (daemon != null) {
      daemon.close();
    }
    UnchangedAppConformanceTest.deleteTree(work);
  }

  private static List<String> byClassAndPath() {
    return List.of("-providerpath", PROVIDER_JAR.toString(), "-providerclass", PROVIDER_CLASS);
  }

  private static List<String> byNameOnClassPath() {
    return List.of("-J-cp", "-J" + PROVIDER_JAR, "-addprovider", ProviderTools.PROVIDER_NAME);
  }

  private static List<String> byJavaSecurity() {
    return List.of("-J-cp", "-J" + PROVIDER_JAR, "-J-Djava.security.properties=" + securityFile);
  }

  private static List<String> cofferFirst() {
    return List.of("-J-cp", "-J" + PROVIDER_JAR, "-J-Djava.security.properties=" + cofferFirstFile);
  }

  /** keytool with the socket given as {@code -J-Dcoffer.socket}. */
  private static Result keytool(List<String> providerForm, String... args) throws Exception {
    return ProviderTools.run(command(ProviderTools.jdkTool("keytool"), List.of(args),
        "-storetype", "KMS", "-keystore", "NONE", "-storepass", STOREPASS, providerForm,
        "-J-Dcoffer.socket=" + daemon.socket()), Map.of(), work);
  }

  /** keytool with the socket found through {@code $COFFER_SOCKET} only. */
  private static Result keytoolWithSocketInEnvironment(List<String> providerForm, String... args)
      throws Exception {
    return ProviderTools.run(command(ProviderTools.jdkTool("keytool"), List.of(args),
        "-storetype", "KMS", "-keystore", "NONE", "-storepass", STOREPASS, providerForm),
        Map.of("COFFER_SOCKET", daemon.socket().toString()), work);
  }

  private static JsonNode cli(String... args) throws Exception {
    CliResult r = daemon.cli(args);
    assertEquals(0, r.exitCode(), () -> String.join(" ", args) + ": " + r.stderr());
    return r.stdout().isBlank() ? JSON.createObjectNode() : JSON.readTree(r.stdout());
  }

  private static String createKeyWithAlias(String alias) throws Exception {
    String id = cli("create-key", "--description", "keytool " + alias).get("KeyMetadata")
        .get("KeyId").asText();
    cli("create-alias", "--alias-name", alias, "--target-key-id", id);
    return id;
  }

  /** TargetKeyId of {@code alias} per {@code coffer list-aliases}, or null if absent. */
  private static String targetOf(String alias) throws Exception {
    for (JsonNode a : cli("list-aliases").get("Aliases")) {
      if (alias.equals(a.get("AliasName").asText())) {
        JsonNode t = a.get("TargetKeyId");
        return t == null || t.isNull() ? "" : t.asText();
      }
    }
    return null;
  }

  private static void assertListed(Result r, String alias) {
    assertEquals(0, r.exitCode(), r::toString);
    String line = r.stdout().lines().filter(l -> l.startsWith(alias + ",")).findFirst()
        .orElse(null);
    assertNotNull(line, () -> alias + " not listed\n" + r);
    assertTrue(line.contains("SecretKeyEntry"), () -> "a KMS key is a secret key entry\n" + r);
  }

  @Test
  void listWithProviderPathAndClass_listsAliasesCreatedByCli() throws Exception {
    createKeyWithAlias("alias/kt-path");
    assertListed(keytool(byClassAndPath(), "-list"), "alias/kt-path");
  }

  @Test
  void listWithAddProviderByName_listsAliasesCreatedByCli() throws Exception {
    createKeyWithAlias("alias/kt-name");
    assertListed(keytool(byNameOnClassPath(), "-list"), "alias/kt-name");
  }

  @Test
  void listWithProviderRegisteredInJavaSecurity_listsAliasesCreatedByCli() throws Exception {
    createKeyWithAlias("alias/kt-sec");
    assertListed(keytool(byJavaSecurity(), "-list"), "alias/kt-sec");
  }

  private static Result genseckey(List<String> providerForm, String alias) throws Exception {
    return keytool(providerForm, "-genseckey", "-providerName", "Coffer", "-keyalg", "AES",
        "-keysize", "256", "-alias", alias, "-keypass", STOREPASS);
  }

  /** The key {@code alias} points at, per the CLI: exists, enabled, for encryption. */
  private static JsonNode assertAliasOnUsableKey(String alias) throws Exception {
    String target = targetOf(alias);
    assertNotNull(target, alias + " must exist after keytool -genseckey");
    assertFalse(target.isEmpty(), alias + " must point at a key");
    JsonNode meta = cli("describe-key", "--key-id", target).get("KeyMetadata");
    assertEquals("Enabled", meta.get("KeyState").asText());
    assertEquals("ENCRYPT_DECRYPT", meta.get("KeyUsage").asText());
    assertEquals("SYMMETRIC_DEFAULT", meta.path("KeySpec").asText("SYMMETRIC_DEFAULT"));
    return meta;
  }

  @Test
  void genseckeyWithCofferFirstForKeytool_createsKmsKeyInDaemon() throws Exception {
    Result r = genseckey(cofferFirst(), "alias/x");
    assertEquals(0, r.exitCode(), r::toString);
    JsonNode meta = assertAliasOnUsableKey("alias/x");
    assertEquals("AWS_KMS", meta.get("Origin").asText(), "generated by the daemon, not imported");
    assertListed(keytool(byClassAndPath(), "-list"), "alias/x");
  }

  @Test
  void genseckeyWithProviderAppended_importsGeneratedKeyAsKmsKey() throws Exception {
    Result r = genseckey(byClassAndPath(), "alias/x-imported");
    assertEquals(0, r.exitCode(), r::toString);
    JsonNode meta = assertAliasOnUsableKey("alias/x-imported");
    assertEquals("EXTERNAL", meta.get("Origin").asText(),
        "keytool generated the material with SunJCE, so the key store imported it");
  }

  @Test
  void genseckeyOnExistingAlias_failsAndLeavesAliasOnItsKey() throws Exception {
    String id = createKeyWithAlias("alias/taken");
    Result r = genseckey(cofferFirst(), "alias/taken");
    assertNotEquals(0, r.exitCode(), r::toString);
    assertTrue(r.output().contains("alias/taken") && r.output().contains("already exists"),
        r::toString);
    assertEquals(id, targetOf("alias/taken"));
  }

  @Test
  void deleteAlias_removesAliasKeepsKey() throws Exception {
    String id = createKeyWithAlias("alias/doomed");
    Result r = keytoolWithSocketInEnvironment(byJavaSecurity(), "-delete", "-alias",
        "alias/doomed");
    assertEquals(0, r.exitCode(), r::toString);

    assertNull(targetOf("alias/doomed"), "alias/doomed must be gone");
    JsonNode meta = cli("describe-key", "--key-id", id).get("KeyMetadata");
    assertEquals("Enabled", meta.get("KeyState").asText(), "deleting an alias never deletes a key");
  }
}
