package dev.coffer.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.coffer.conformance.DaemonProcess.CliResult;
import dev.coffer.protocol.DaemonClient;
import dev.coffer.protocol.Json;
import dev.coffer.protocol.KmsException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.X509EncodedKeySpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.crypto.Cipher;
import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;

/** BYOK with OpenSSL through the CLI, and crashes in the middle of rotations and imports. */
@Execution(ExecutionMode.CONCURRENT) // every case runs a daemon of its own
class ImportAndRotationConformanceTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  static JsonNode ok(DaemonProcess d, String... args) throws Exception {
    CliResult r = d.cli(args);
    assertEquals(0, r.exitCode(), () -> String.join(" ", args) + ": " + r.stderr());
    return r.stdout().isBlank() ? JSON.createObjectNode() : JSON.readTree(r.stdout());
  }

  private static void run(Path dir, String... cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), () -> String.join(" ", cmd) + ": " + out);
  }

  /**
   * Wraps fresh 32-byte material ({@code <name>.bin} in the home) with OpenSSL under the public
   * key of a new GetParametersForImport and imports it through the CLI with {@code extra}
   * options; returns the import-key-material output.
   */
  static JsonNode openSslImport(DaemonProcess d, String key, String name,
      String... extra) throws Exception {
    Path dir = d.home();
    JsonNode params = ok(d, "get-parameters-for-import", "--key-id", key,
        "--wrapping-algorithm", "RSAES_OAEP_SHA_256", "--wrapping-key-spec", "RSA_3072");
    Files.write(dir.resolve("pub.der"), Base64.getDecoder().decode(params.get("PublicKey").asText()));
    Files.write(dir.resolve("token.bin"),
        Base64.getDecoder().decode(params.get("ImportToken").asText()));
    run(dir, "openssl", "rand", "-out", name + ".bin", "32");
    run(dir, "openssl", "pkeyutl", "-encrypt", "-in", name + ".bin", "-out", "wrapped.bin",
        "-pubin", "-keyform", "DER", "-inkey", "pub.der",
        "-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", "rsa_oaep_md:sha256",
        "-pkeyopt", "rsa_mgf1_md:sha256");
    List<String> args = new ArrayList<>(List.of("import-key-material", "--key-id", key,
        "--import-token", "fileb://" + dir.resolve("token.bin"),
        "--encrypted-key-material", "fileb://" + dir.resolve("wrapped.bin")));
    args.addAll(List.of(extra));
    return ok(d, args.toArray(String[]::new));
  }

  @Test
  void openSslWrappedMaterial_importedThroughCli_decryptsLocallyBuiltBlob() throws Exception {
    try (DaemonProcess d = DaemonProcess.start()) {
      Path dir = d.home();
      String key = ok(d, "create-key", "--origin", "EXTERNAL", "--description", "byok")
          .get("KeyMetadata").get("KeyId").asText();
      openSslImport(d, key, "key", "--valid-to",
          java.time.Instant.now().plus(Duration.ofDays(30)).toString());
      assertEquals("Enabled", ok(d, "describe-key", "--key-id", key).get("KeyMetadata")
          .get("KeyState").asText());

      byte[] material = Files.readAllBytes(dir.resolve("key.bin"));
      byte[] message = "sealed outside Coffer".getBytes(StandardCharsets.UTF_8);
      Files.write(dir.resolve("blob.bin"), BlobBuilder.seal(material, UUID.fromString(key), 1,
          message));
      JsonNode dec = ok(d, "decrypt", "--ciphertext-blob", "fileb://" + dir.resolve("blob.bin"));
      assertArrayEquals(message, Base64.getDecoder().decode(dec.get("Plaintext").asText()));

      JsonNode metrics = ok(d, "metrics");
      assertEquals(key, metrics.get("ImportedKeyMaterialExpiry").get(0).get("KeyId").asText());
      assertTrue(metrics.get("ImportedKeyMaterialExpiry").get(0).get("SecondsUntilExpiry")
          .asLong() > Duration.ofDays(29).toSeconds());

      ok(d, "delete-imported-key-material", "--key-id", key);
      CliResult refused = d.cli("decrypt", "--ciphertext-blob", "fileb://" + dir.resolve("blob.bin"));
      assertEquals(254, refused.exitCode());
      assertTrue(refused.stderr().contains("KMSInvalidStateException"), refused.stderr());
    }
  }

  /**
   * On-demand rotation of an EXTERNAL key to new OpenSSL-made material, as AWS documents it:
   * import with --import-type NEW_KEY_MATERIAL (pending rotation), rotate-key-on-demand, then
   * blobs built locally from each material decrypt under their own KeyMaterialId, also after a
   * kill -9.
   */
  @Test
  void externalKey_newOpenSslMaterial_rotatedOnDemand_eachMaterialDecryptsItsBlobs()
      throws Exception {
    try (DaemonProcess d = DaemonProcess.start()) {
      Path dir = d.home();
      String key = ok(d, "create-key", "--origin", "EXTERNAL").get("KeyMetadata").get("KeyId")
          .asText();
      String m1 = openSslImport(d, key, "first", "--expiration-model",
          "KEY_MATERIAL_DOES_NOT_EXPIRE").get("KeyMaterialId").asText();
      String m2 = openSslImport(d, key, "second", "--expiration-model",
          "KEY_MATERIAL_DOES_NOT_EXPIRE", "--import-type", "NEW_KEY_MATERIAL",
          "--key-material-description", "rotation 1").get("KeyMaterialId").asText();
      JsonNode listed = ok(d, "list-key-rotations", "--key-id", key, "--include-key-material",
          "ALL_KEY_MATERIAL").get("Rotations");
      assertEquals(2, listed.size());
      assertEquals("PENDING_ROTATION", listed.get(1).get("KeyMaterialState").asText());
      assertEquals(m2, listed.get(1).get("KeyMaterialId").asText());
      assertEquals(m1, ok(d, "describe-key", "--key-id", key).get("KeyMetadata")
          .get("CurrentKeyMaterialId").asText());

      ok(d, "rotate-key-on-demand", "--key-id", key);
      assertEquals(m2, ok(d, "describe-key", "--key-id", key).get("KeyMetadata")
          .get("CurrentKeyMaterialId").asText());
      byte[] message = "sealed outside Coffer, twice".getBytes(StandardCharsets.UTF_8);
      Files.write(dir.resolve("blob1.bin"), BlobBuilder.seal(
          Files.readAllBytes(dir.resolve("first.bin")), UUID.fromString(key), 1, message));
      Files.write(dir.resolve("blob2.bin"), BlobBuilder.seal(
          Files.readAllBytes(dir.resolve("second.bin")), UUID.fromString(key), 2, message));
      JsonNode fresh = ok(d, "encrypt", "--key-id", key, "--plaintext",
          Base64.getEncoder().encodeToString(message));
      assertEquals(2, java.nio.ByteBuffer.wrap(Base64.getDecoder().decode(
          fresh.get("CiphertextBlob").asText()), 17, 4).getInt(), "new material encrypts");

      d.kill9();
      d.launch();
      for (String[] blob : new String[][] {{"blob1.bin", m1}, {"blob2.bin", m2}}) {
        JsonNode dec = ok(d, "decrypt", "--ciphertext-blob", "fileb://" + dir.resolve(blob[0]));
        assertArrayEquals(message, Base64.getDecoder().decode(dec.get("Plaintext").asText()));
        assertEquals(blob[1], dec.get("KeyMaterialId").asText(), blob[0]);
      }
      JsonNode rotation = ok(d, "list-key-rotations", "--key-id", key).get("Rotations").get(0);
      assertEquals(m2, rotation.get("KeyMaterialId").asText());
      assertEquals("ON_DEMAND", rotation.get("RotationType").asText());
    }
  }

  private static byte[] wrap(JsonNode params, byte[] material) throws Exception {
    PublicKey pub = KeyFactory.getInstance("RSA").generatePublic(new X509EncodedKeySpec(
        params.get("PublicKey").binaryValue()));
    Cipher c = Cipher.getInstance("RSA/ECB/OAEPPadding");
    c.init(Cipher.ENCRYPT_MODE, pub, new OAEPParameterSpec("SHA-256", "MGF1",
        MGF1ParameterSpec.SHA256, PSource.PSpecified.DEFAULT));
    return c.doFinal(material);
  }

  record Imported(String keyId, byte[] material, boolean acknowledged) {}

  record Sealed(byte[] blob, byte[] plaintext) {}

  @Test
  void kill9DuringRotationsAndImports_eachFullyAppliedOrAbsent() throws Exception {
    try (DaemonProcess d = DaemonProcess.start()) {
      List<Sealed> sealed = java.util.Collections.synchronizedList(new ArrayList<>());
      List<Imported> imports = java.util.Collections.synchronizedList(new ArrayList<>());
      int[] acknowledgedRotations = new int[1];
      String rotating;
      try (DaemonClient c = new DaemonClient(d.socket(), 1, Duration.ofSeconds(10))) {
        rotating = c.call("CreateKey", Json.object()).get("KeyMetadata").get("KeyId").asText();
      }
      AtomicBoolean stop = new AtomicBoolean();
      Thread rotator = new Thread(() -> {
        try (DaemonClient c = new DaemonClient(d.socket(), 1, Duration.ofSeconds(10))) {
          for (int i = 0; i < 20 && !stop.get(); i++) {
            byte[] pt = ("before rotation " + i).getBytes(StandardCharsets.UTF_8);
            sealed.add(new Sealed(c.call("Encrypt", Json.object().put("KeyId", rotating)
                .put("Plaintext", pt)).get("CiphertextBlob").binaryValue(), pt));
            c.call("RotateKeyOnDemand", Json.object().put("KeyId", rotating));
            acknowledgedRotations[0]++;
          }
        } catch (KmsException lost) {
          // daemon killed under this request
        } catch (Exception e) {
          throw new RuntimeException(e);
        }
      });
      Thread importer = new Thread(() -> {
        SecureRandom random = new SecureRandom();
        try (DaemonClient c = new DaemonClient(d.socket(), 1, Duration.ofSeconds(10))) {
          while (!stop.get()) {
            String id = c.call("CreateKey", Json.object().put("Origin", "EXTERNAL"))
                .get("KeyMetadata").get("KeyId").asText();
            JsonNode params = c.call("GetParametersForImport", Json.object().put("KeyId", id)
                .put("WrappingAlgorithm", "RSAES_OAEP_SHA_256").put("WrappingKeySpec", "RSA_2048"));
            byte[] material = new byte[32];
            random.nextBytes(material);
            Imported pending = new Imported(id, material, false);
            imports.add(pending);
            c.call("ImportKeyMaterial", Json.object().put("KeyId", id)
                .put("ImportToken", params.get("ImportToken").binaryValue())
                .put("EncryptedKeyMaterial", wrap(params, material))
                .put("ExpirationModel", "KEY_MATERIAL_DOES_NOT_EXPIRE"));
            imports.set(imports.indexOf(pending), new Imported(id, material, true));
          }
        } catch (KmsException lost) {
          // daemon killed under this request
        } catch (Exception e) {
          throw new RuntimeException(e);
        }
      });
      rotator.start();
      importer.start();
      Thread.sleep(2500);
      // On a loaded machine an import (an RSA key pair, three calls) can take longer than that:
      // kill only once one import was acknowledged, so the check below has something to check.
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (importer.isAlive() && System.nanoTime() < deadline) {
        synchronized (imports) {
          if (imports.stream().anyMatch(Imported::acknowledged)) {
            break;
          }
        }
        Thread.sleep(50);
      }
      d.kill9();
      stop.set(true);
      rotator.join(20_000);
      importer.join(20_000);
      d.launch();

      try (DaemonClient c = new DaemonClient(d.socket(), 1, Duration.ofSeconds(10))) {
        int rotations = c.call("ListKeyRotations", Json.object().put("KeyId", rotating)
            .put("Limit", 1000)).get("Rotations").size();
        assertTrue(rotations >= acknowledgedRotations[0],
            rotations + " rotations after restart, " + acknowledgedRotations[0] + " acknowledged");
        assertTrue(rotations <= acknowledgedRotations[0] + 1);
        byte[] fresh = c.call("Encrypt", Json.object().put("KeyId", rotating)
            .put("Plaintext", new byte[] {1})).get("CiphertextBlob").binaryValue();
        assertEquals(rotations + 1, java.nio.ByteBuffer.wrap(fresh, 17, 4).getInt(),
            "the newest version is the last rotation: no half-applied version");
        for (Sealed s : sealed) {
          assertArrayEquals(s.plaintext(), c.call("Decrypt", Json.object()
              .put("CiphertextBlob", s.blob())).get("Plaintext").binaryValue());
        }
        assertTrue(imports.stream().anyMatch(Imported::acknowledged), "no import completed");
        for (Imported imp : imports) {
          String state = c.call("DescribeKey", Json.object().put("KeyId", imp.keyId()))
              .get("KeyMetadata").get("KeyState").asText();
          if (imp.acknowledged()) {
            assertEquals("Enabled", state, imp.keyId());
          }
          if (state.equals("Enabled")) {
            byte[] msg = "proof".getBytes(StandardCharsets.UTF_8);
            byte[] blob = BlobBuilder.seal(imp.material(), UUID.fromString(imp.keyId()), 1, msg);
            assertArrayEquals(msg, c.call("Decrypt", Json.object().put("CiphertextBlob", blob))
                .get("Plaintext").binaryValue());
          } else {
            assertEquals("PendingImport", state, imp.keyId());
          }
        }
      }
    }
  }
}
