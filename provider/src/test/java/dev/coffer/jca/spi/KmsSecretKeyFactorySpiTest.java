package dev.coffer.jca.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.jca.TestDaemon;
import dev.coffer.jca.key.KmsKey;
import dev.coffer.jca.key.KmsKeySpec;
import dev.coffer.protocol.Json;
import java.nio.file.Path;
import java.security.InvalidKeyException;
import java.security.spec.InvalidKeySpecException;
import java.util.List;
import java.util.UUID;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class KmsSecretKeyFactorySpiTest {

  private static KmsKey key;
  private static String alias;
  private static SecretKeyFactory f;

  @BeforeAll
  static void setUp() throws Exception {
    key = TestDaemon.newKey();
    alias = "alias/skf-" + UUID.randomUUID();
    ObjectNode in = Json.object();
    in.put("AliasName", alias);
    in.put("TargetKeyId", key.keyId());
    TestDaemon.call("CreateAlias", in);
    f = SecretKeyFactory.getInstance("KMS", "Coffer");
  }

  @Test
  void aliasIdAndArn_allGiveTheSameHandle() throws Exception {
    KmsKey a = (KmsKey) f.generateSecret(KmsKeySpec.of(alias));
    KmsKey b = (KmsKey) f.generateSecret(KmsKeySpec.of(key.keyId()));
    KmsKey c = (KmsKey) f.generateSecret(KmsKeySpec.of(key.arn()));
    assertEquals(key, a);
    assertEquals(a, b);
    assertEquals(b, c);
    assertEquals(key.arn(), a.arn());
    assertEquals("AES", a.getAlgorithm());
    assertNull(a.getEncoded());
    assertTrue(a.creationDate() != null);
  }

  @Test
  void grantTokens_areCarriedByTheHandle() throws Exception {
    KmsKey a = (KmsKey) f.generateSecret(KmsKeySpec.of(key.keyId()).withGrantTokens(List.of()));
    assertEquals(List.of(), a.grantTokens());
  }

  @Test
  void unknownAlias_throwsNamingNotFound() {
    InvalidKeySpecException e = assertThrows(InvalidKeySpecException.class,
        () -> f.generateSecret(KmsKeySpec.of("alias/nope-" + UUID.randomUUID())));
    assertTrue(e.getMessage().startsWith("NotFoundException"), e.getMessage());
  }

  @Test
  void daemonDown_throwsNamingUnavailable() {
    InvalidKeySpecException e = assertThrows(InvalidKeySpecException.class,
        () -> f.generateSecret(KmsKeySpec.of(alias).withSocket(Path.of("/tmp/none.sock"))));
    assertTrue(e.getMessage().startsWith("CofferDaemonUnavailableException"), e.getMessage());
  }

  @Test
  void otherSpec_refused() {
    assertThrows(InvalidKeySpecException.class,
        () -> f.generateSecret(new javax.crypto.spec.PBEKeySpec("x".toCharArray())));
  }

  @Test
  void blankReference_refused() {
    assertThrows(IllegalArgumentException.class, () -> KmsKeySpec.of(" "));
  }

  @Test
  void tooManyGrantTokens_refused() {
    assertThrows(IllegalArgumentException.class,
        () -> KmsKeySpec.of("alias/x").withGrantTokens(java.util.Collections.nCopies(11, "t")));
  }

  @Test
  void getKeySpec_returnsReferenceOnly() throws Exception {
    KmsKeySpec s = (KmsKeySpec) f.getKeySpec(key, KmsKeySpec.class);
    assertEquals(key.arn(), s.keyReference());
  }

  @Test
  void getKeySpecAsRawSpec_refused() {
    assertThrows(InvalidKeySpecException.class, () -> f.getKeySpec(key, SecretKeySpec.class));
  }

  @Test
  void translateKey_acceptsHandlesOnly() throws Exception {
    assertSame(key, f.translateKey(key));
    assertThrows(InvalidKeyException.class,
        () -> f.translateKey(new SecretKeySpec(new byte[32], "AES")));
  }
}
