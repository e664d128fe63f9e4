package dev.coffer.daemon.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.daemon.TestDaemon;
import dev.coffer.protocol.ChannelStreams;
import dev.coffer.protocol.Frame;
import dev.coffer.protocol.FrameCodec;
import dev.coffer.protocol.Json;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The request body's own fields, through the real socket with raw frames: a top-level field
 * other than {@code Operation} and {@code Input} (a misspelt {@code "input"}, a {@code DryRun}
 * beside {@code Input}) is refused instead of ignored, {@code "Input": null} is refused, and no
 * error message echoes more than a bounded piece of untrusted text (a 92 KB operation or field
 * name).
 */
class RequestEnvelopeSocketTest {

  private static final int MAX_MESSAGE = 1024;
  private final FrameCodec codec = new FrameCodec(Frame.DEFAULT_MAX_BODY_BYTES);
  private TestDaemon d;

  @BeforeEach
  void start() throws IOException {
    d = new TestDaemon();
  }

  @AfterEach
  void stop() throws IOException {
    d.close();
  }

  private ObjectNode send(String body) throws IOException {
    try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      ch.connect(UnixDomainSocketAddress.of(d.daemon.socket()));
      codec.write(ChannelStreams.out(ch),
          new Frame(Frame.Kind.REQUEST, 7, body.getBytes(StandardCharsets.UTF_8)));
      return Json.parseObject(codec.read(ChannelStreams.in(ch)).body());
    }
  }

  private int keyCount() {
    return d.call("ListKeys").get("Keys").size();
  }

  private static void assertRefused(String type, ObjectNode answer, String... mentions) {
    assertEquals(type, answer.path("__type").asText(), answer::toString);
    String m = answer.get("message").asText();
    assertTrue(m.length() <= MAX_MESSAGE + 1, () -> "message of " + m.length() + " chars");
    for (String s : mentions) {
      assertTrue(m.contains(s), () -> "'" + s + "' not in: " + m);
    }
  }

  @Test
  void misspeltInput_refused_noDefaultKeyCreated() throws IOException {
    int before = keyCount();
    assertRefused("ValidationException",
        send("{\"Operation\":\"CreateKey\",\"input\":{\"Description\":\"meant\"}}"), "input");
    assertEquals(before, keyCount());
  }

  @Test
  void dryRunBesideInput_refused_keyNotScheduled() throws IOException {
    String key = d.createKey();
    assertRefused("ValidationException", send("{\"Operation\":\"ScheduleKeyDeletion\",\"Input\":"
        + "{\"KeyId\":\"" + key + "\",\"PendingWindowInDays\":7},\"DryRun\":true}"), "DryRun");
    assertEquals("Enabled", d.call("DescribeKey", "KeyId", key).get("KeyMetadata")
        .get("KeyState").asText());
  }

  @Test
  void anyOtherTopLevelField_refused_evenEmptyOrNull() throws IOException {
    int before = keyCount();
    for (String extra : new String[] {"\"Version\":1", "\"x\":null", "\"OPERATION\":\"ListKeys\"",
        "\"\":{}"}) {
      assertRefused("ValidationException",
          send("{\"Operation\":\"CreateKey\",\"Input\":{}," + extra + "}"));
    }
    assertEquals(before, keyCount());
  }

  @Test
  void inputNull_refused_absentInputIsEmpty() throws IOException {
    assertRefused("ValidationException",
        send("{\"Operation\":\"ListKeys\",\"Input\":null}"), "Input");
    assertFalse(send("{\"Operation\":\"ListKeys\"}").has("__type"));
    assertFalse(send("{\"Operation\":\"ListKeys\",\"Input\":{}}").has("__type"));
  }

  @Test
  void hugeUntrustedNames_echoedOnlyInPart() throws IOException {
    String huge = "O".repeat(92 * 1024);
    ObjectNode unknownOp = send("{\"Operation\":\"" + huge + "\",\"Input\":{}}");
    assertRefused("UnknownOperationException", unknownOp, "coffer --help");
    assertTrue(unknownOp.get("message").asText().length() < 300, unknownOp::toString);

    String longName = "F".repeat(40_000); // field names are at most 50,000 characters
    ObjectNode unknownField = send("{\"Operation\":\"ListKeys\",\"Input\":{\"" + longName
        + "\":1}}");
    assertRefused("ValidationException", unknownField, "is not a parameter");
    assertTrue(unknownField.get("message").asText().length() < 1024);

    ObjectNode topLevel = send("{\"Operation\":\"ListKeys\",\"" + longName + "\":1}");
    assertRefused("ValidationException", topLevel, "Operation");
    assertTrue(topLevel.get("message").asText().length() < 400, topLevel::toString);
  }
}
