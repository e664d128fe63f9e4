package dev.coffer.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.amazonaws.encryptionsdk.AwsCrypto;
import com.amazonaws.encryptionsdk.CommitmentPolicy;
import com.amazonaws.encryptionsdk.CryptoResult;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.cryptography.materialproviders.IKeyring;
import software.amazon.cryptography.materialproviders.MaterialProviders;
import software.amazon.cryptography.materialproviders.model.CreateAwsKmsKeyringInput;
import software.amazon.cryptography.materialproviders.model.MaterialProvidersConfig;

/**
 * The AWS Encryption SDK for Java 3.x, with a KMS keyring (Material Providers Library) whose
 * {@code KmsClient} points at a real daemon's HTTPS endpoint: it writes and reads messages with
 * Coffer keys, given by their six-part key ARNs as the SDK requires, and a message opens only
 * with the right key and encryption context.
 */
class EncryptionSdkConformanceTest {

  static final String REGION = "eu-west-2";
  static final String ACCOUNT = "444455556666";

  static DaemonProcess daemon;
  static KmsClient kms;
  static final MaterialProviders MPL = MaterialProviders.builder()
      .MaterialProvidersConfig(MaterialProvidersConfig.builder().build()).build();
  static final AwsCrypto CRYPTO = AwsCrypto.builder()
      .withCommitmentPolicy(CommitmentPolicy.RequireEncryptRequireDecrypt).build();

  @BeforeAll
  static void start() throws Exception {
    daemon = DaemonProcess.startHttps(Map.of("region", REGION, "account", ACCOUNT,
        "admins", HttpsEndpointConformanceTest.adminsWith("esdk")));
    JsonNode key = HttpsEndpointConformanceTest.createAccessKey(daemon, "esdk");
    kms = AwsClients.kms(daemon, REGION, key.get("AccessKeyId").asText(),
        key.get("SecretAccessKey").asText());
  }

  @AfterAll
  static void stop() throws Exception {
    if (kms != null) {
      kms.close();
    }
    if (daemon != null) {
      daemon.close();
    }
  }

  static String newKeyArn() {
    return kms.createKey(b -> b.description("ESDK")).keyMetadata().arn();
  }

  static IKeyring keyring(String keyArn) {
    return MPL.CreateAwsKmsKeyring(CreateAwsKmsKeyringInput.builder()
        .kmsKeyId(keyArn).kmsClient(kms).build());
  }

  @Test
  void kmsKeyring_encryptsAndDecrypts_onlyWithTheRightKeyAndContext() {
    String arn = newKeyArn();
    assertTrue(arn.startsWith("arn:aws:kms:" + REGION + ":" + ACCOUNT + ":key/"), arn);
    byte[] message = "the quarterly numbers, sealed".getBytes(StandardCharsets.UTF_8);
    Map<String, String> context = Map.of("tenant", "acme", "purpose", "report");

    CryptoResult<byte[], ?> sealed = CRYPTO.encryptData(keyring(arn), message, context);
    CryptoResult<byte[], ?> opened = CRYPTO.decryptData(keyring(arn), sealed.getResult(),
        context);
    assertArrayEquals(message, opened.getResult());
    assertEquals("acme", opened.getEncryptionContext().get("tenant"));

    // Another Coffer key cannot open it.
    String other = newKeyArn();
    assertThrows(RuntimeException.class,
        () -> CRYPTO.decryptData(keyring(other), sealed.getResult(), context));
    // Nor can the right key with another encryption context.
    assertThrows(RuntimeException.class, () -> CRYPTO.decryptData(keyring(arn),
        sealed.getResult(), Map.of("tenant", "globex", "purpose", "report")));
    // Nor once the key is disabled: Coffer refuses the Decrypt the keyring sends.
    kms.disableKey(b -> b.keyId(arn));
    assertThrows(RuntimeException.class,
        () -> CRYPTO.decryptData(keyring(arn), sealed.getResult(), context));
    kms.enableKey(b -> b.keyId(arn));
    assertArrayEquals(message, CRYPTO.decryptData(keyring(arn), sealed.getResult(), context)
        .getResult());
  }
}
