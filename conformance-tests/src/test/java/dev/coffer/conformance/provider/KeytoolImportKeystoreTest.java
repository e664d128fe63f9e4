package dev.coffer.conformance.provider;

import static dev.coffer.conformance.provider.ProviderTools.PROVIDER_CLASS;
import static dev.coffer.conformance.provider.ProviderTools.PROVIDER_JAR;
import static dev.coffer.conformance.provider.ProviderTools.command;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.coffer.conformance.BlobBuilder;
import dev.coffer.conformance.DaemonProcess;
import dev.coffer.conformance.DaemonProcess.CliResult;
import dev.coffer.conformance.provider.ProviderTools.Result;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import javax.crypto.SecretKey;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code keytool -importkeystore} moves the secret keys of a JCEKS or PKCS12 key store into
 * Coffer: each becomes a KMS key of origin EXTERNAL under {@code alias/<entry>}, wrapped in
 * keytool's JVM so the raw key never crosses the socket. A blob sealed outside Coffer with the
 * original key bytes decrypts in the daemon: the imported key is that key.
 */
class KeytoolImportKeystoreTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String PASS = "changeit";
  private static DaemonProcess daemon;
  private static Path work;

  @BeforeAll
  static void setUp() throws Exception {
    ProviderTools.requireProviderJar();
    daemon = DaemonProcess.start();
    work = Files.createTempDirectory(Path.of("/tmp"), "cofik");
  }

  @AfterAll
  static void tearDown() throws Exception {
    daemon.close();
    DaemonProcess.deleteTree(work);
  }

  private static Result keytool(Object... args) throws Exception {
    return ProviderTools.run(command(ProviderTools.jdkTool("keytool"), List.of(args)), Map.of(),
        work);
  }

  private static void importsSecretKeysFrom(String storeType) throws Exception {
    Path src = work.resolve("src-" + UUID.randomUUID() + "." + storeType.toLowerCase());
    String entry = "app" + storeType.toLowerCase();
    Result gen = keytool("-genseckey", "-keyalg", "AES", "-keysize", "256", "-alias", entry,
        "-storetype", storeType, "-keystore", src.toString(), "-storepass", PASS,
        "-keypass", PASS);
    assertEquals(0, gen.exitCode(), gen::toString);

    Result imp = keytool("-importkeystore", "-noprompt", "-srckeystore", src.toString(),
        "-srcstoretype", storeType, "-srcstorepass", PASS,
        "-destkeystore", "NONE", "-deststoretype", "KMS", "-deststorepass", PASS, "-providerpath", PROVIDER_JAR.toString(), "-providerclass",
        PROVIDER_CLASS, "-J-Dcoffer.socket=" + daemon.socket());
    assertEquals(0, imp.exitCode(), imp::toString);

    CliResult described = daemon.cli("describe-key", "--key-id", "alias/" + entry);
    assertEquals(0, described.exitCode(), described.stderr());
    JsonNode meta = JSON.readTree(described.stdout()).get("KeyMetadata");
    assertEquals("EXTERNAL", meta.get("Origin").asText());
    assertEquals("Enabled", meta.get("KeyState").asText());

    byte[] material;
    KeyStore ks = KeyStore.getInstance(storeType);
    try (InputStream in = Files.newInputStream(src)) {
      ks.load(in, PASS.toCharArray());
    }
    material = ((SecretKey) ks.getKey(entry, PASS.toCharArray())).getEncoded();
    byte[] message = ("sealed with the " + storeType + " key").getBytes(StandardCharsets.UTF_8);
    Path blob = work.resolve(entry + ".blob");
    Files.write(blob, BlobBuilder.seal(material, UUID.fromString(meta.get("KeyId").asText()), 1,
        message));
    CliResult dec = daemon.cli("decrypt", "--ciphertext-blob", "fileb://" + blob);
    assertEquals(0, dec.exitCode(), dec.stderr());
    assertArrayEquals(message, Base64.getDecoder().decode(
        JSON.readTree(dec.stdout()).get("Plaintext").asText()));
  }

  @Test
  void importKeystore_fromJceks_secretKeyBecomesExternalKmsKeyWithSameMaterial() throws Exception {
    importsSecretKeysFrom("JCEKS");
  }

  @Test
  void importKeystore_fromPkcs12_secretKeyBecomesExternalKmsKeyWithSameMaterial()
      throws Exception {
    importsSecretKeysFrom("PKCS12");
  }
}
