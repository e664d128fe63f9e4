package dev.coffer.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coffer.protocol.DaemonClient;
import dev.coffer.protocol.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The data directory never holds plaintext: after keys, data keys and encryptions of random
 * probes, no file under {@code $COFFER_HOME} contains a data key or a probe, in any 16-byte
 * window.
 */
class PlaintextScanTest {

  private static boolean contains(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }

  @Test
  void dataDirectory_neverContainsDataKeysOrPlaintextProbes() throws Exception {
    List<byte[]> secrets = new ArrayList<>();
    SecureRandom random = new SecureRandom();
    try (DaemonProcess daemon = DaemonProcess.start()) {
      try (DaemonClient c = new DaemonClient(daemon.socket(), 1, Duration.ofSeconds(10))) {
        for (int k = 0; k < 5; k++) {
          String id = c.call("CreateKey", Json.object()).get("KeyMetadata").get("KeyId").asText();
          for (int i = 0; i < 10; i++) {
            secrets.add(c.call("GenerateDataKey", Json.object().put("KeyId", id)
                .put("KeySpec", "AES_256")).get("Plaintext").binaryValue());
            byte[] probe = new byte[64];
            random.nextBytes(probe);
            secrets.add(probe);
            c.call("Encrypt", Json.object().put("KeyId", id).put("Plaintext", probe));
          }
          secrets.add(c.call("GenerateRandom", Json.object().put("NumberOfBytes", 32))
              .get("Plaintext").binaryValue());
        }
        secrets.addAll(asymmetricSecrets(c, random));
      }
      // A crash leaves whatever was in the WAL: scan that state, then after a clean restart.
      daemon.kill9();
      assertClean(daemon.home(), secrets);
      daemon.launch();
      assertClean(daemon.home(), secrets);

      Path root = daemon.home().resolve("root.key");
      assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(root)));
      assertEquals(32, Files.size(root));
    }
  }

  /**
   * Secrets of asymmetric and HMAC keys whose plaintext the test can know: imported HMAC
   * material, the private keys GenerateDataKeyPair returned, and messages signed and MAC'd.
   * (Keys the daemon generated never leave it; {@code AsymmetricKeyStorageTest} unwraps their
   * stored form and scans for it.)
   */
  private static List<byte[]> asymmetricSecrets(DaemonClient c, SecureRandom random)
      throws Exception {
    List<byte[]> out = new ArrayList<>();
    String hmac = c.call("CreateKey", Json.object().put("KeySpec", "HMAC_512")
        .put("KeyUsage", "GENERATE_VERIFY_MAC").put("Origin", "EXTERNAL")).get("KeyMetadata")
        .get("KeyId").asText();
    byte[] material = new byte[64];
    random.nextBytes(material);
    out.add(material);
    var params = c.call("GetParametersForImport", Json.object().put("KeyId", hmac)
        .put("WrappingAlgorithm", "RSAES_OAEP_SHA_256").put("WrappingKeySpec", "RSA_2048"));
    java.security.PublicKey wrapping = java.security.KeyFactory.getInstance("RSA")
        .generatePublic(new java.security.spec.X509EncodedKeySpec(
            params.get("PublicKey").binaryValue()));
    javax.crypto.Cipher rsa = javax.crypto.Cipher.getInstance("RSA/ECB/OAEPPadding");
    rsa.init(javax.crypto.Cipher.ENCRYPT_MODE, wrapping, new javax.crypto.spec.OAEPParameterSpec(
        "SHA-256", "MGF1", java.security.spec.MGF1ParameterSpec.SHA256,
        javax.crypto.spec.PSource.PSpecified.DEFAULT));
    c.call("ImportKeyMaterial", Json.object().put("KeyId", hmac)
        .put("ImportToken", params.get("ImportToken").binaryValue())
        .put("EncryptedKeyMaterial", rsa.doFinal(material))
        .put("ExpirationModel", "KEY_MATERIAL_DOES_NOT_EXPIRE"));
    String ec = c.call("CreateKey", Json.object().put("KeySpec", "ECC_NIST_P256")
        .put("KeyUsage", "SIGN_VERIFY")).get("KeyMetadata").get("KeyId").asText();
    String sym = c.call("CreateKey", Json.object()).get("KeyMetadata").get("KeyId").asText();
    for (String spec : List.of("RSA_2048", "ECC_NIST_P384", "ECC_SECG_P256K1")) {
      out.add(c.call("GenerateDataKeyPair", Json.object().put("KeyId", sym)
          .put("KeyPairSpec", spec)).get("PrivateKeyPlaintext").binaryValue());
    }
    for (int i = 0; i < 5; i++) {
      byte[] probe = new byte[64];
      random.nextBytes(probe);
      out.add(probe);
      c.call("GenerateMac", Json.object().put("KeyId", hmac).put("Message", probe)
          .put("MacAlgorithm", "HMAC_SHA_512"));
      c.call("Sign", Json.object().put("KeyId", ec).put("Message", probe)
          .put("SigningAlgorithm", "ECDSA_SHA_256"));
    }
    return out;
  }

  private static void assertClean(Path home, List<byte[]> secrets) throws Exception {
    List<Path> files;
    try (Stream<Path> s = Files.walk(home)) {
      files = s.filter(Files::isRegularFile).toList();
    }
    assertTrue(files.stream().anyMatch(p -> p.getFileName().toString().startsWith("coffer.db")),
        "expected the database under " + home + ", found " + files);
    for (Path f : files) {
      byte[] content = Files.readAllBytes(f);
      for (byte[] secret : secrets) {
        for (int off = 0; off + 16 <= secret.length; off += 16) {
          byte[] window = java.util.Arrays.copyOfRange(secret, off, off + 16);
          assertFalse(contains(content, window), () -> f + " contains secret bytes "
              + HexFormat.of().formatHex(window));
        }
      }
    }
  }
}
