package dev.coffer.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class JsonTest {

  @Test
  void binaryFieldsAreWrittenAsJacksonsDefaultWouldWriteThem() throws Exception {
    ObjectMapper plainJackson = new ObjectMapper();
    SplittableRandom random = new SplittableRandom(7);
    for (int len : new int[] {0, 1, 2, 3, 4, 57, 1024, 4096, 70_000}) {
      byte[] data = new byte[len];
      random.nextBytes(data);
      ObjectNode node = Json.object().put("Operation", "Encrypt").put("Plaintext", data);
      node.putArray("List").add(data).add("text \"quoted\"");

      assertEquals(plainJackson.writeValueAsString(node),
          new String(Json.toBytes(node), StandardCharsets.UTF_8), "length " + len);
      assertArrayEquals(data, Json.bytes(Json.parseObject(Json.toBytes(node)).get("Plaintext")));
    }
  }

  @Test
  void epochSecondTimestamps_writtenAsPlainDecimals_readBackUnchanged() {
    for (double t : new double[] {1.796035264239E9, 1796035264.0, 1.7960352642E9, 0.5}) {
      ObjectNode node = Json.object().put("CreationDate", t);
      String text = new String(Json.toBytes(node), StandardCharsets.UTF_8);
      assertEquals(-1, text.indexOf('E'), text);
      assertEquals(t, Json.parseObject(text.getBytes(StandardCharsets.UTF_8))
          .get("CreationDate").doubleValue());
    }
    assertEquals("{\"CreationDate\":1796035264.239}", new String(
        Json.toBytes(Json.object().put("CreationDate", 1.796035264239E9)), StandardCharsets.UTF_8));
  }

  @Test
  void bytesDecodesStandardBase64AndRejectsTheRest() {
    JsonNodeFactory f = JsonNodeFactory.instance;
    byte[] data = {0, 1, (byte) 0xfb, (byte) 0xff, 127};
    String b64 = Base64.getEncoder().encodeToString(data);

    assertArrayEquals(data, Json.bytes(f.textNode(b64)));
    assertArrayEquals(data, Json.bytes(f.binaryNode(data)));
    assertThrows(IllegalArgumentException.class,
        () -> Json.bytes(f.textNode(b64.substring(0, 4) + " " + b64.substring(4))),
        "whitespace inside: not the one canonical encoding");
    assertNull(Json.bytes(null));
    assertNull(Json.bytes(f.nullNode()));
    assertThrows(IllegalArgumentException.class, () -> Json.bytes(f.textNode("not*base64!")));
    assertThrows(IllegalArgumentException.class, () -> Json.bytes(f.numberNode(12)));
    assertThrows(IllegalArgumentException.class,
        () -> Json.bytes(f.textNode(Base64.getUrlEncoder().encodeToString(data))),
        "the URL alphabet is not what AWS sends");
  }
}
