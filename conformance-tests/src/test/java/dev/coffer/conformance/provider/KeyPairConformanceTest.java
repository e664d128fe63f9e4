package dev.coffer.conformance.provider;

import static dev.coffer.conformance.provider.ProviderTools.PROVIDER_JAR;
import static dev.coffer.conformance.provider.ProviderTools.command;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.conformance.DaemonProcess;
import dev.coffer.conformance.provider.ProviderTools.Result;
import dev.coffer.protocol.DaemonClient;
import dev.coffer.protocol.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.X509EncodedKeySpec;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import javax.crypto.Cipher;
import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Asymmetric and HMAC KMS keys through the JDK's own tools and an unchanged JDK-only
 * application, each a separate process against a real daemon process. The operator's recipe
 * (docs/provider.md), with the provider registered in a {@code java.security} file:
 *
 * <pre>
 * keytool -genkeypair -keyalg EC -groupname secp256r1 -alias signer -dname CN=Signer \
 *     -storetype KMS -keystore NONE -storepass changeit -keypass changeit -providerName Coffer \
 *     -J-cp -Jcoffer-provider.jar -J-Djava.security.properties=coffer.java.security
 * jarsigner -storetype KMS -keystore NONE -storepass changeit -providerName Coffer \
 *     -J-cp -Jcoffer-provider.jar -J-Djava.security.properties=coffer.java.security \
 *     app.jar signer
 * jarsigner -verify app.jar
 * keytool -certreq -alias signer -file signer.csr ...same store options...
 * openssl req -in signer.csr -verify -noout
 * keytool -importcert -alias signer -file ca-reply.pem -noprompt ...same store options...
 * </pre>
 *
 * The key pair is made in the daemon; keytool's self-signed certificate, the jar signature and
 * the CSR are signed there through {@code Signature} under Coffer (only digests cross).
 */
class KeyPairConformanceTest {

  private static final String STOREPASS = "changeit";

  private static DaemonProcess daemon;
  private static DaemonClient client;
  private static Path work;
  private static Path securityFile;
  private static Path appClasses;

  @BeforeAll
  static void setUp() throws Exception {
    ProviderTools.requireProviderJar();
    work = Files.createTempDirectory(Path.of("/tmp"), "cofkp");
    securityFile = ProviderTools.securityProperties(work);
    appClasses = UnchangedAppConformanceTest.compileApp(work, "UnchangedSigningApp");
    daemon = DaemonProcess.start();
    client = new DaemonClient(daemon.socket(), 1, Duration.ofSeconds(30));
  }

  @AfterAll
  static void tearDown() throws Exception {
    if (client != null) {
      client.close();
    }
    if (daemon != null) {
      daemon.close();
    }
    UnchangedAppConformanceTest.deleteTree(work);
  }

  private static List<String> registered() {
    return List.of("-J-cp", "-J" + PROVIDER_JAR, "-J-Djava.security.properties=" + securityFile,
        "-J-Dcoffer.socket=" + daemon.socket());
  }

  private static Result keytool(String... args) throws Exception {
    return keytoolAnswering(Path.of("/dev/null"), args);
  }

  /** keytool with its prompts answered from {@code answers}. */
  private static Result keytoolAnswering(Path answers, String... args) throws Exception {
    return ProviderTools.run(command(ProviderTools.jdkTool("keytool"), List.of(args),
        "-storetype", "KMS", "-keystore", "NONE", "-storepass", STOREPASS, "-providerName",
        "Coffer", registered()), Map.of(), work, answers);
  }

  private static Result jarsigner(String... args) throws Exception {
    return ProviderTools.run(command(ProviderTools.jdkTool("jarsigner"), "-storetype", "KMS",
        "-keystore", "NONE", "-storepass", STOREPASS, "-providerName", "Coffer", registered(),
        List.of(args)), Map.of(), work);
  }

  private static Result verifyJar(Path jar) throws Exception {
    return ProviderTools.run(command(ProviderTools.jdkTool("jarsigner"), "-verify", "-verbose",
        "-certs", jar), Map.of(), work);
  }

  private static Result openssl(String... args) throws Exception {
    return ProviderTools.run(command("openssl", List.of(args)), Map.of(), work);
  }

  private static Result ok(Result r) {
    assertEquals(0, r.exitCode(), r::toString);
    return r;
  }

  private static Result app(String mode, String alias, Path dir) throws Exception {
    Result r = ProviderTools.run(command(DaemonProcess.JAVA,
        "-Djava.security.properties=" + securityFile, "-cp", appClasses + ":" + PROVIDER_JAR,
        "UnchangedSigningApp", mode, alias, dir), daemon.env(), work);
    assertEquals("true", ok(r).values().get("done"), r::toString);
    return r;
  }

  private static Path newJar(String name) throws Exception {
    Path jar = work.resolve(name);
    try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
      out.putNextEntry(new JarEntry("app/Hello.txt"));
      out.write("hello from a jar signed by a key that never leaves Coffer\n".getBytes());
      out.closeEntry();
    }
    return jar;
  }

  private static ObjectNode call(String op, ObjectNode in) {
    return client.call(op, in);
  }

  private static String keyIdOf(String alias) {
    return call("DescribeKey", Json.object().put("KeyId", alias)).get("KeyMetadata").get("KeyId")
        .asText();
  }

  private static ObjectNode createKey(String spec, String usage, String alias) {
    String id = call("CreateKey", Json.object().put("KeySpec", spec).put("KeyUsage", usage))
        .get("KeyMetadata").get("KeyId").asText();
    call("CreateAlias", Json.object().put("AliasName", alias).put("TargetKeyId", id));
    return Json.object().put("KeyId", id);
  }

  @Test
  void keytoolMakesAnEcKeyPair_jarsignerSignsWithIt_jarsignerVerifyAccepts() throws Exception {
    ok(keytool("-genkeypair", "-keyalg", "EC", "-groupname", "secp256r1", "-alias", "signer",
        "-dname", "CN=Coffer Test Signer", "-keypass", STOREPASS));
    JsonNode meta = call("DescribeKey", Json.object().put("KeyId", "alias/signer"))
        .get("KeyMetadata");
    assertEquals("ECC_NIST_P256", meta.get("KeySpec").asText());
    assertEquals("SIGN_VERIFY", meta.get("KeyUsage").asText());
    Result list = ok(keytool("-list", "-alias", "signer"));
    assertTrue(list.stdout().contains("PrivateKeyEntry"), list::toString);

    Path jar = newJar("app.jar");
    ok(jarsigner(jar.toString(), "signer"));
    Result v = ok(verifyJar(jar));
    assertTrue(v.stdout().contains("jar verified."), v::toString);
    assertTrue(v.stdout().contains("CN=Coffer Test Signer"), v::toString);

    // The CSR is signed by the KMS key; OpenSSL checks its self-signature.
    ok(keytool("-certreq", "-alias", "signer", "-file", work.resolve("signer.csr").toString()));
    Result req = ok(openssl("req", "-in", work.resolve("signer.csr").toString(), "-verify",
        "-noout"));
    assertTrue(req.output().contains("verify OK"), req::toString);

    // A CA answers the CSR; keytool -importcert installs the reply as the key's chain.
    ok(openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
        "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "30", "-subj", "/CN=Test CA"));
    ok(openssl("x509", "-req", "-in", "signer.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-CAcreateserial", "-out", "leaf.pem", "-days", "30"));
    Files.writeString(work.resolve("reply.pem"), Files.readString(work.resolve("leaf.pem"))
        + Files.readString(work.resolve("ca.pem")));
    // The test CA is in no trust store, so keytool asks whether to install the reply anyway.
    Path yes = Files.writeString(work.resolve("yes.txt"), "yes\n");
    Result imported = ok(keytoolAnswering(yes, "-importcert", "-alias", "signer", "-file",
        work.resolve("reply.pem").toString(), "-keypass", STOREPASS));
    assertTrue(imported.output().contains("Certificate reply was installed"), imported::toString);
    JsonNode chain = call("GetCertificateChain", Json.object().put("KeyId", "alias/signer"))
        .get("CertificateChain");
    assertEquals(2, chain.size(), chain::toString);
    Path jar2 = newJar("app2.jar");
    ok(jarsigner(jar2.toString(), "signer"));
    Result v2 = ok(verifyJar(jar2));
    assertTrue(v2.stdout().contains("jar verified."), v2::toString);
    assertTrue(v2.stdout().contains("CN=Test CA"), v2::toString);
  }

  @Test
  void keytoolMakesAnRsaKeyPair_jarsignerSignsWithIt() throws Exception {
    ok(keytool("-genkeypair", "-keyalg", "RSA", "-keysize", "3072", "-alias", "rsasigner",
        "-dname", "CN=Coffer RSA Signer", "-keypass", STOREPASS));
    assertEquals("RSA_3072", call("DescribeKey", Json.object().put("KeyId", "alias/rsasigner"))
        .get("KeyMetadata").get("KeySpec").asText());
    Path jar = newJar("rsa.jar");
    ok(jarsigner(jar.toString(), "rsasigner"));
    Result v = ok(verifyJar(jar));
    assertTrue(v.stdout().contains("jar verified."), v::toString);
  }

  /**
   * RSASSA-PSS through the JDK's own parameter choice (keytool and jarsigner pick SHA-256, MGF1
   * SHA-256, 32-byte salt for a 2048-bit key: one of AWS's sets) and the JCA's internal
   * init-with-parameters path.
   */
  @Test
  void keytoolAndJarsigner_withRsassaPss() throws Exception {
    ok(keytool("-genkeypair", "-keyalg", "RSA", "-keysize", "2048", "-sigalg", "RSASSA-PSS",
        "-alias", "psssigner", "-dname", "CN=Coffer PSS Signer", "-keypass", STOREPASS));
    ok(keytool("-certreq", "-alias", "psssigner", "-sigalg", "RSASSA-PSS", "-file",
        work.resolve("pss.csr").toString()));
    Result req = ok(openssl("req", "-in", work.resolve("pss.csr").toString(), "-verify",
        "-noout", "-text"));
    assertTrue(req.output().contains("verify OK"), req::toString);
    assertTrue(req.output().contains("rsassaPss"), req::toString);
    Path jar = newJar("pss.jar");
    ok(jarsigner("-sigalg", "RSASSA-PSS", jar.toString(), "psssigner"));
    Result v = ok(verifyJar(jar));
    assertTrue(v.stdout().contains("jar verified."), v::toString);
  }

  @Test
  void unchangedApp_signsThroughJavaSecurityRegistration_andOpenSslVerifies() throws Exception {
    ok(keytool("-genkeypair", "-keyalg", "EC", "-groupname", "secp256r1", "-alias", "appsigner",
        "-dname", "CN=App Signer", "-keypass", STOREPASS));
    Path dir = Files.createDirectories(work.resolve("sign"));
    Files.write(dir.resolve("data.bin"), new byte[100_000]);
    Map<String, String> v = app("sign", "appsigner", dir).values();
    assertEquals("Coffer", v.get("sign.provider"));
    assertEquals("true", v.get("key.encodedIsNull"));
    assertEquals("EC", v.get("key.algorithm"));
    assertEquals("true", v.get("verified"));
    assertFalse("Coffer".equals(v.get("verify.provider")), "verification is local (JDK)");
    assertEquals("false", v.get("tamperedVerified"));
    ok(openssl("x509", "-inform", "DER", "-in", dir.resolve("cert.der").toString(), "-pubkey",
        "-noout", "-out", dir.resolve("pub.pem").toString()));
    Result dgst = ok(openssl("dgst", "-sha256", "-verify", dir.resolve("pub.pem").toString(),
        "-signature", dir.resolve("sig.bin").toString(), dir.resolve("data.bin").toString()));
    assertTrue(dgst.stdout().contains("Verified OK"), dgst::toString);
  }

  @Test
  void unchangedApp_macMatchesTheDaemonsVerifyMac() throws Exception {
    ObjectNode key = createKey("HMAC_256", "GENERATE_VERIFY_MAC", "alias/app-hmac");
    Path dir = Files.createDirectories(work.resolve("mac"));
    byte[] data = "the message to authenticate".getBytes();
    Files.write(dir.resolve("data.bin"), data);
    Map<String, String> v = app("mac", "alias/app-hmac", dir).values();
    assertEquals("Coffer", v.get("mac.provider"));
    assertEquals("HmacSHA256", v.get("key.algorithm"));
    byte[] mac = Files.readAllBytes(dir.resolve("mac.bin"));
    assertTrue(call("VerifyMac", key.deepCopy().put("Message", data)
        .put("MacAlgorithm", "HMAC_SHA_256").put("Mac", mac)).get("MacValid").asBoolean());
  }

  @Test
  void unchangedApp_decryptsRsaOaepThroughTheDaemon() throws Exception {
    ObjectNode key = createKey("RSA_2048", "ENCRYPT_DECRYPT", "alias/app-rsa");
    byte[] der = Json.bytes(call("GetPublicKey", key).get("PublicKey"));
    PublicKey pub = KeyFactory.getInstance("RSA").generatePublic(new X509EncodedKeySpec(der));
    Cipher enc = Cipher.getInstance("RSA/ECB/OAEPPadding");
    enc.init(Cipher.ENCRYPT_MODE, pub, new OAEPParameterSpec("SHA-256", "MGF1",
        MGF1ParameterSpec.SHA256, PSource.PSpecified.DEFAULT));
    byte[] secret = "a secret for the RSA key only".getBytes();
    Path dir = Files.createDirectories(work.resolve("oaep"));
    Files.write(dir.resolve("ct.bin"), enc.doFinal(secret));
    Map<String, String> v = app("decrypt", "alias/app-rsa", dir).values();
    assertEquals("Coffer", v.get("decrypt.provider"));
    assertArrayEquals(secret, Files.readAllBytes(dir.resolve("pt.bin")));
    assertEquals(keyIdOf("alias/app-rsa"), key.get("KeyId").asText());
  }
}
