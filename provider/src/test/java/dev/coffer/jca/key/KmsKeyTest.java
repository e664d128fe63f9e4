package dev.coffer.jca.key;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class KmsKeyTest {

  private static final String ARN = "arn:coffer:local:111122223333:key/1b4e28ba-2fa1-11d2-883f-0016d3cca427";
  private static final String ID = "1b4e28ba-2fa1-11d2-883f-0016d3cca427";

  private static KmsKey key(List<String> tokens) {
    return KmsKey.of(ARN, ID, Instant.EPOCH, "d", tokens, Path.of("/tmp/s.sock"));
  }

  @Test
  void handle_exposesNoMaterial() {
    KmsKey k = key(List.of());
    assertNull(k.getEncoded());
    assertNull(k.getFormat());
    assertEquals("AES", k.getAlgorithm());
  }

  @Test
  void serialisation_writesReferenceOnlyAndRestoresEqualHandle() throws Exception {
    KmsKey k = key(List.of("SECRET-GRANT-TOKEN"));
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(k);
    }
    String form = new String(bytes.toByteArray(), StandardCharsets.ISO_8859_1);
    assertTrue(form.contains(ARN));
    assertFalse(form.contains("SECRET-GRANT-TOKEN"));
    assertFalse(form.contains("KmsKey\u0000"));
    try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
      KmsKey back = (KmsKey) in.readObject();
      assertEquals(k, back);
      assertEquals(Path.of("/tmp/s.sock"), back.socket());
      assertTrue(back.grantTokens().isEmpty());
    }
  }

  @Test
  void equality_isByArn() {
    assertEquals(key(List.of()), key(List.of("t")));
    assertEquals(key(List.of()).hashCode(), key(List.of("t")).hashCode());
    assertNotEquals(key(List.of()),
        KmsKey.of(ARN.replace("1b4e", "2b4e"), ID, null, "", List.of(), null));
  }

  @Test
  void destroy_marksDestroyed() {
    KmsKey k = key(List.of());
    assertFalse(k.isDestroyed());
    k.destroy();
    assertTrue(k.isDestroyed());
  }

  @Test
  void toString_showsReferenceOnly() {
    assertEquals("KmsKey[" + ARN + "]", key(List.of("t")).toString());
  }

  @Test
  void encryptionContext_isSortedAndImmutable() {
    KmsEncryptionContextSpec s = KmsEncryptionContextSpec.of(Map.of("b", "2", "a", "1"));
    assertEquals(List.of("a", "b"), List.copyOf(s.context().keySet()));
    org.junit.jupiter.api.Assertions.assertThrows(UnsupportedOperationException.class,
        () -> s.context().put("c", "3"));
  }

  @Test
  void encryptionContext_withUnpairedSurrogates_refusedUpFront() {
    // The daemon would refuse them (ValidationException); Java's UTF-8 encoder would have
    // turned each into '?', so {"a":"\u005Cud800"} once sealed like {"a":"?"}.
    for (String bad : new String[] {"\ud800", "\udc00", "x\udc00\ud800"}) {
      org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
          () -> KmsEncryptionContextSpec.of(Map.of("a", bad)));
      org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
          () -> KmsEncryptionContextSpec.of(Map.of(bad, "a")));
    }
    assertEquals("\ud83d\ude00",
        KmsEncryptionContextSpec.of(Map.of("a", "\ud83d\ude00")).context().get("a"));
  }
}
