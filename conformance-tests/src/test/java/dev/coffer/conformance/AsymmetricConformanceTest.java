package dev.coffer.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.coffer.conformance.DaemonProcess.CliResult;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.crypto.Cipher;
import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Asymmetric and HMAC keys through {@code bin/coffer} against a real daemon process: a round
 * trip for every key spec with {@code fileb://} inputs and base64 outputs as {@code aws kms}
 * has them, signatures checked by OpenSSL and by the JDK's own providers on the public key.
 */
@Execution(ExecutionMode.CONCURRENT) // every case makes keys of its own
class AsymmetricConformanceTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static DaemonProcess daemon;
  private static Path message;
  private static final byte[] MESSAGE = "a message signed by a key that never leaves Coffer\n"
      .getBytes(StandardCharsets.UTF_8);

  @BeforeAll
  static void start() throws Exception {
    daemon = DaemonProcess.start();
    message = Files.write(daemon.home().resolve("message.txt"), MESSAGE);
  }

  @AfterAll
  static void stop() throws Exception {
    daemon.close();
  }

  private static JsonNode ok(String... args) throws Exception {
    CliResult r = daemon.cli(args);
    assertEquals(0, r.exitCode(), () -> String.join(" ", args) + ": " + r.stderr());
    return JSON.readTree(r.stdout());
  }

  private static byte[] b64(JsonNode n) {
    return Base64.getDecoder().decode(n.asText());
  }

  private static Path file(String name, byte[] content) throws Exception {
    return Files.write(daemon.home().resolve(name), content);
  }

  private static String createKey(String spec, String usage) throws Exception {
    JsonNode m = ok("create-key", "--key-spec", spec, "--key-usage", usage).get("KeyMetadata");
    assertEquals(spec, m.get("KeySpec").asText());
    return m.get("KeyId").asText();
  }

  @ParameterizedTest
  @CsvSource({
      "RSA_2048, RSASSA_PSS_SHA_256", "RSA_3072, RSASSA_PKCS1_V1_5_SHA_384",
      "RSA_4096, RSASSA_PSS_SHA_512", "ECC_NIST_P256, ECDSA_SHA_256",
      "ECC_NIST_P384, ECDSA_SHA_384", "ECC_NIST_P521, ECDSA_SHA_512",
      "ECC_SECG_P256K1, ECDSA_SHA_256"})
  void cliSignVerify_everySigningSpec(String spec, String alg) throws Exception {
    String key = createKey(spec, "SIGN_VERIFY");
    JsonNode pub = ok("get-public-key", "--key-id", key);
    assertEquals("SIGN_VERIFY", pub.get("KeyUsage").asText());
    JsonNode signed = ok("sign", "--key-id", key, "--message", "fileb://" + message,
        "--signing-algorithm", alg);
    assertEquals(alg, signed.get("SigningAlgorithm").asText());
    Path sig = file("sig-" + spec, b64(signed.get("Signature")));
    JsonNode verified = ok("verify", "--key-id", key, "--message", "fileb://" + message,
        "--signature", "fileb://" + sig, "--signing-algorithm", alg);
    assertTrue(verified.get("SignatureValid").asBoolean());
    CliResult bad = daemon.cli("verify", "--key-id", key, "--message", "fileb://" + sig,
        "--signature", "fileb://" + sig, "--signing-algorithm", alg);
    assertEquals(254, bad.exitCode());
    assertTrue(bad.stderr().contains("KMSInvalidSignatureException"), bad.stderr());
    // The digest computed here, signed there (MessageType DIGEST).
    String hash = "SHA-" + alg.substring(alg.length() - 3);
    Path digest = file("digest-" + spec, MessageDigest.getInstance(hash).digest(MESSAGE));
    JsonNode pre = ok("sign", "--key-id", key, "--message", "fileb://" + digest,
        "--message-type", "DIGEST", "--signing-algorithm", alg);
    ok("verify", "--key-id", key, "--message", "fileb://" + message, "--signature",
        pre.get("Signature").asText(), "--signing-algorithm", alg);
    if (!spec.equals("ECC_SECG_P256K1")) { // not in the JDK 17 SunEC provider
      assertTrue(jdkVerify(spec, b64(pub.get("PublicKey")), alg, b64(signed.get("Signature"))));
      assertTrue(jdkVerify(spec, b64(pub.get("PublicKey")), alg, b64(pre.get("Signature"))));
    }
    // OpenSSL verifies the very bytes the CLI printed.
    assertTrue(opensslVerify(spec, b64(pub.get("PublicKey")), alg, sig), alg);
  }

  private static boolean jdkVerify(String spec, byte[] spki, String alg, byte[] sig)
      throws Exception {
    PublicKey key = KeyFactory.getInstance(spec.startsWith("RSA") ? "RSA" : "EC")
        .generatePublic(new X509EncodedKeySpec(spki));
    String bits = alg.substring(alg.length() - 3);
    Signature s;
    if (alg.startsWith("RSASSA_PSS")) {
      s = Signature.getInstance("RSASSA-PSS");
      s.setParameter(new PSSParameterSpec("SHA-" + bits, "MGF1",
          new MGF1ParameterSpec("SHA-" + bits), Integer.parseInt(bits) / 8, 1));
    } else {
      s = Signature.getInstance("SHA" + bits + "with" + (spec.startsWith("RSA") ? "RSA"
          : "ECDSA"));
    }
    s.initVerify(key);
    s.update(MESSAGE);
    return s.verify(sig);
  }

  /** {@code openssl dgst -verify} (with PSS options for RSASSA-PSS) on the message file. */
  private static boolean opensslVerify(String spec, byte[] spki, String alg, Path sig)
      throws Exception {
    Path der = file("pub-" + spec + "-" + alg + ".der", spki);
    Path pem = daemon.home().resolve("pub-" + spec + "-" + alg + ".pem");
    assertEquals(0, run("openssl", "pkey", "-pubin", "-inform", "DER", "-in", der.toString(),
        "-out", pem.toString()));
    List<String> cmd = new ArrayList<>(List.of("openssl", "dgst",
        "-sha" + alg.substring(alg.length() - 3)));
    if (alg.startsWith("RSASSA_PSS")) {
      cmd.addAll(List.of("-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:digest"));
    }
    cmd.addAll(List.of("-verify", pem.toString(), "-signature", sig.toString(),
        message.toString()));
    return run(cmd.toArray(String[]::new)) == 0;
  }

  private static int run(String... cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    p.getInputStream().readAllBytes();
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), String.join(" ", cmd));
    return p.exitValue();
  }

  @Test
  void opensslPkeyutl_verifiesAnEcdsaSignatureOfADigest() throws Exception {
    String key = createKey("ECC_NIST_P256", "SIGN_VERIFY");
    byte[] hash = MessageDigest.getInstance("SHA-256").digest(MESSAGE);
    Path digest = file("digest.bin", hash);
    Path sig = file("pkeyutl.sig", b64(ok("sign", "--key-id", key, "--message",
        "fileb://" + digest, "--message-type", "DIGEST", "--signing-algorithm", "ECDSA_SHA_256")
        .get("Signature")));
    Path der = file("p256.der", b64(ok("get-public-key", "--key-id", key).get("PublicKey")));
    assertEquals(0, run("openssl", "pkeyutl", "-verify", "-pubin", "-keyform", "DER",
        "-inkey", der.toString(), "-in", digest.toString(), "-sigfile", sig.toString()));
  }

  @ParameterizedTest
  @CsvSource({"HMAC_224, HMAC_SHA_224", "HMAC_256, HMAC_SHA_256", "HMAC_384, HMAC_SHA_384",
      "HMAC_512, HMAC_SHA_512"})
  void cliGenerateVerifyMac_everyHmacSpec(String spec, String alg) throws Exception {
    String key = createKey(spec, "GENERATE_VERIFY_MAC");
    assertEquals("[\"" + alg + "\"]", ok("describe-key", "--key-id", key).get("KeyMetadata")
        .get("MacAlgorithms").toString());
    JsonNode mac = ok("generate-mac", "--key-id", key, "--message", "fileb://" + message,
        "--mac-algorithm", alg);
    Path macFile = file("mac-" + spec, b64(mac.get("Mac")));
    assertTrue(ok("verify-mac", "--key-id", key, "--message", "fileb://" + message, "--mac",
        "fileb://" + macFile, "--mac-algorithm", alg).get("MacValid").asBoolean());
    CliResult bad = daemon.cli("verify-mac", "--key-id", key, "--message", "fileb://" + macFile,
        "--mac", "fileb://" + macFile, "--mac-algorithm", alg);
    assertEquals(254, bad.exitCode());
    assertTrue(bad.stderr().contains("KMSInvalidMacException"), bad.stderr());
  }

  @ParameterizedTest
  @CsvSource({"RSA_2048, RSAES_OAEP_SHA_256", "RSA_3072, RSAES_OAEP_SHA_1",
      "RSA_4096, RSAES_OAEP_SHA_256"})
  void cliEncryptDecrypt_rsaSpecs_interoperateWithTheJdk(String spec, String alg)
      throws Exception {
    String key = createKey(spec, "ENCRYPT_DECRYPT");
    byte[] blob = b64(ok("encrypt", "--key-id", key, "--plaintext", "fileb://" + message,
        "--encryption-algorithm", alg).get("CiphertextBlob"));
    Path ct = file("ct-" + spec, blob);
    assertArrayEquals(MESSAGE, b64(ok("decrypt", "--key-id", key, "--ciphertext-blob",
        "fileb://" + ct, "--encryption-algorithm", alg).get("Plaintext")));
    // Encrypted here with the public key, as AWS intends asymmetric encryption to be used.
    PublicKey pub = KeyFactory.getInstance("RSA").generatePublic(new X509EncodedKeySpec(
        b64(ok("get-public-key", "--key-id", key).get("PublicKey"))));
    Cipher c = Cipher.getInstance("RSA/ECB/OAEPPadding");
    String md = alg.endsWith("SHA_1") ? "SHA-1" : "SHA-256";
    c.init(Cipher.ENCRYPT_MODE, pub, new OAEPParameterSpec(md, "MGF1",
        new MGF1ParameterSpec(md), PSource.PSpecified.DEFAULT));
    Path local = file("local-" + spec, c.doFinal(MESSAGE));
    assertArrayEquals(MESSAGE, b64(ok("decrypt", "--key-id", key, "--ciphertext-blob",
        "fileb://" + local, "--encryption-algorithm", alg).get("Plaintext")));
  }

  @Test
  void cliGenerateDataKeyPair_decryptsToTheSamePrivateKey() throws Exception {
    String sym = ok("create-key").get("KeyMetadata").get("KeyId").asText();
    JsonNode pair = ok("generate-data-key-pair", "--key-id", sym, "--key-pair-spec",
        "ECC_NIST_P256", "--encryption-context", "purpose=pair");
    Path ct = file("pair.ct", b64(pair.get("PrivateKeyCiphertextBlob")));
    assertArrayEquals(b64(pair.get("PrivateKeyPlaintext")), b64(ok("decrypt",
        "--ciphertext-blob", "fileb://" + ct, "--encryption-context", "purpose=pair")
        .get("Plaintext")));
    JsonNode without = ok("generate-data-key-pair-without-plaintext", "--key-id", sym,
        "--key-pair-spec", "RSA_2048");
    assertTrue(without.get("PrivateKeyPlaintext") == null, without::toString);
    assertEquals("RSA_2048", without.get("KeyPairSpec").asText());
  }

  /**
   * HMAC material imported through the CLI (wrapped here with the JDK under the daemon's
   * wrapping key) gives exactly the MACs of the JDK's own {@code Mac} over that material.
   */
  @ParameterizedTest
  @CsvSource({"HMAC_224, HMAC_SHA_224, HmacSHA224, 28", "HMAC_384, HMAC_SHA_384, HmacSHA384, 48"})
  void cliImportedHmacMaterial_matchesJdkMac(String spec, String alg, String jca, int size)
      throws Exception {
    String key = ok("create-key", "--key-spec", spec, "--key-usage", "GENERATE_VERIFY_MAC",
        "--origin", "EXTERNAL").get("KeyMetadata").get("KeyId").asText();
    JsonNode params = ok("get-parameters-for-import", "--key-id", key, "--wrapping-algorithm",
        "RSAES_OAEP_SHA_256", "--wrapping-key-spec", "RSA_3072");
    byte[] material = new byte[size];
    new java.security.SecureRandom().nextBytes(material);
    PublicKey wrapping = KeyFactory.getInstance("RSA").generatePublic(
        new X509EncodedKeySpec(b64(params.get("PublicKey"))));
    Cipher c = Cipher.getInstance("RSA/ECB/OAEPPadding");
    c.init(Cipher.ENCRYPT_MODE, wrapping, new OAEPParameterSpec("SHA-256", "MGF1",
        MGF1ParameterSpec.SHA256, PSource.PSpecified.DEFAULT));
    Path token = file("token-" + spec, b64(params.get("ImportToken")));
    Path wrapped = file("wrapped-" + spec, c.doFinal(material));
    ok("import-key-material", "--key-id", key, "--import-token", "fileb://" + token,
        "--encrypted-key-material", "fileb://" + wrapped, "--expiration-model",
        "KEY_MATERIAL_DOES_NOT_EXPIRE");
    javax.crypto.Mac mac = javax.crypto.Mac.getInstance(jca);
    mac.init(new javax.crypto.spec.SecretKeySpec(material, jca));
    assertArrayEquals(mac.doFinal(MESSAGE), b64(ok("generate-mac", "--key-id", key,
        "--message", "fileb://" + message, "--mac-algorithm", alg).get("Mac")));
  }

  @Test
  void cliInvalidSpecUsagePair_validationException() throws Exception {
    CliResult r = daemon.cli("create-key", "--key-spec", "HMAC_256", "--key-usage",
        "SIGN_VERIFY");
    assertEquals(254, r.exitCode());
    assertTrue(r.stderr().contains("ValidationException"), r.stderr());
  }
}
