package dev.coffer.jca.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.jca.TestDaemon;
import dev.coffer.jca.core.KmsProviderException;
import dev.coffer.jca.key.KmsKey;
import dev.coffer.jca.key.KmsKeyGenParameterSpec;
import dev.coffer.protocol.Json;
import java.security.InvalidAlgorithmParameterException;
import java.security.InvalidParameterException;
import java.util.UUID;
import javax.crypto.KeyGenerator;
import javax.crypto.spec.GCMParameterSpec;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class KmsKeyGeneratorSpiTest {

  @BeforeAll
  static void setUp() {
    TestDaemon.socket();
  }

  @Test
  void kmsInit256_createsAKmsKey() throws Exception {
    KeyGenerator g = KeyGenerator.getInstance("KMS", "Coffer");
    g.init(256);
    KmsKey k = (KmsKey) g.generateKey();
    assertNull(k.getEncoded());
    ObjectNode in = Json.object();
    in.put("KeyId", k.keyId());
    assertEquals("Enabled",
        TestDaemon.call("DescribeKey", in).get("KeyMetadata").get("KeyState").asText());
  }

  @Test
  void aesUnderCoffer_createsAKmsKey() throws Exception {
    KeyGenerator g = KeyGenerator.getInstance("AES", "Coffer");
    g.init(256);
    assertInstanceOf(KmsKey.class, g.generateKey());
  }

  @Test
  void aesWithoutProviderName_staysSunJce() throws Exception {
    TestDaemon.provider();
    KeyGenerator g = KeyGenerator.getInstance("AES");
    assertEquals("SunJCE", g.getProvider().getName());
  }

  @Test
  void specWithAliasDescriptionAndTags_isApplied() throws Exception {
    String alias = "alias/gen-" + UUID.randomUUID();
    KeyGenerator g = KeyGenerator.getInstance("KMS", "Coffer");
    g.init(KmsKeyGenParameterSpec.builder().description("orders").alias(alias)
        .tag("team", "payments").build());
    KmsKey k = (KmsKey) g.generateKey();
    ObjectNode in = Json.object();
    in.put("KeyId", alias);
    ObjectNode m = (ObjectNode) TestDaemon.call("DescribeKey", in).get("KeyMetadata");
    assertEquals(k.keyId(), m.get("KeyId").asText());
    assertEquals("orders", m.get("Description").asText());
  }

  @Test
  void keySize128_refused() throws Exception {
    KeyGenerator g = KeyGenerator.getInstance("KMS", "Coffer");
    assertThrows(InvalidParameterException.class, () -> g.init(128));
  }

  @Test
  void otherParameterSpec_refused() throws Exception {
    KeyGenerator g = KeyGenerator.getInstance("KMS", "Coffer");
    assertThrows(InvalidAlgorithmParameterException.class,
        () -> g.init(new GCMParameterSpec(128, new byte[12])));
  }

  @Test
  void badAliasInSpec_refused() {
    assertThrows(IllegalArgumentException.class,
        () -> KmsKeyGenParameterSpec.builder().alias("nope"));
  }

  @Test
  void existingAlias_failsNamingAlreadyExists() throws Exception {
    String alias = "alias/dup-" + UUID.randomUUID();
    KeyGenerator g = KeyGenerator.getInstance("KMS", "Coffer");
    g.init(KmsKeyGenParameterSpec.builder().alias(alias).build());
    g.generateKey();
    KmsProviderException e = assertThrows(KmsProviderException.class, g::generateKey);
    assertEquals("AlreadyExistsException", e.errorType());
    assertTrue(e.getMessage().startsWith("AlreadyExistsException"));
  }
}
