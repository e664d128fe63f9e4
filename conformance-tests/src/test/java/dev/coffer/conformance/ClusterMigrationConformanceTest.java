package dev.coffer.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.coffer.conformance.DaemonProcess.CliResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kms.model.KeyState;

/**
 * Issue 16's last acceptance item: a populated single-node SQLite home, migrated with {@code
 * coffer storage migrate --to postgresql}, then served by a two-node cluster on that database
 * with the home's root key: its old ciphertexts decrypt through either node, its aliases and key
 * states are there, and the SQLite home itself still works as it was.
 */
class ClusterMigrationConformanceTest {

  static JsonNode ok(DaemonProcess d, String... args) throws Exception {
    CliResult r = d.cli(args);
    assertEquals(0, r.exitCode(), () -> "coffer " + String.join(" ", args) + ": " + r);
    return ClusterFixture.JSON.readTree(r.stdout());
  }

  @Test
  void populatedSqliteHome_migrated_itsOldCiphertextsDecryptOnEveryNodeOfTheCluster()
      throws Exception {
    Path sockets = Files.createTempDirectory(Path.of("/tmp"), "cofms");
    // The single node uses the cluster's region and account: its ARNs and key policies move
    // with its rows.
    DaemonProcess single = DaemonProcess.start(Map.of("region", ClusterFixture.REGION,
        "account", ClusterFixture.ACCOUNT, "admins", "user/" + System.getProperty("user.name")
            + ",iam-user/" + ClusterFixture.USER), sockets.resolve("s.sock"));
    try {
      String keyId = ok(single, "create-key", "--description", "from SQLite")
          .get("KeyMetadata").get("KeyId").asText();
      ok(single, "create-alias", "--alias-name", "alias/migrated", "--target-key-id", keyId);
      String disabled = ok(single, "create-key").get("KeyMetadata").get("KeyId").asText();
      ok(single, "disable-key", "--key-id", disabled);
      List<byte[][]> sealed = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        byte[] plaintext = ClusterConformanceTest.random(64 + i);
        Path in = Files.write(sockets.resolve("m" + i), plaintext);
        byte[] blob = Base64.getDecoder().decode(ok(single, "encrypt", "--key-id",
            "alias/migrated", "--plaintext", "fileb://" + in).get("CiphertextBlob").asText());
        sealed.add(new byte[][] {plaintext, blob});
      }
      single.stop();

      try (ClusterFixture cluster = ClusterFixture.startMigrated(2, Map.of(), single.home())) {
        for (int node = 0; node < cluster.size(); node++) {
          for (byte[][] s : sealed) {
            assertArrayEquals(s[0], cluster.kms(node).decrypt(b -> b.ciphertextBlob(
                SdkBytes.fromByteArray(s[1]))).plaintext().asByteArray(), "node " + node);
          }
          assertEquals(keyId, cluster.kms(node).describeKey(b -> b.keyId("alias/migrated"))
              .keyMetadata().keyId());
          assertEquals(KeyState.DISABLED, cluster.kms(node).describeKey(b -> b.keyId(disabled))
              .keyMetadata().keyState());
        }
      }

      // The SQLite home was only read: it still serves its keys on its own.
      single.launch();
      Path blob = Files.write(sockets.resolve("blob"), sealed.get(0)[1]);
      assertArrayEquals(sealed.get(0)[0], Base64.getDecoder().decode(ok(single, "decrypt",
          "--ciphertext-blob", "fileb://" + blob).get("Plaintext").asText()));
    } finally {
      single.close();
      DaemonProcess.deleteTree(sockets);
    }
  }
}
