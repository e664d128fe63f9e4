package dev.coffer.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.conformance.DaemonProcess.CliResult;
import dev.coffer.protocol.ChannelStreams;
import dev.coffer.protocol.DaemonClient;
import dev.coffer.protocol.Frame;
import dev.coffer.protocol.FrameCodec;
import dev.coffer.protocol.Json;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Ill-formed request text against the packaged daemon (issue 14, part 1): generated bodies of
 * every kind the request grammar refuses (docs/protocol.md) are each answered
 * {@code ValidationException} on one pipelined connection, while a well-behaved client keeps
 * sealing and opening under the context {@code {"tenant":"a?b"}} and never gets a wrong answer.
 */
class IllFormedTextConformanceTest {

  private static final String PLAIN = Base64.getEncoder().encodeToString(
      "conformance".getBytes(StandardCharsets.UTF_8));

  /** A body with {@code raw} bytes spliced in at the {@code #} of {@code template}. */
  private static byte[] splice(String template, int... raw) {
    int at = template.indexOf('#');
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.writeBytes(template.substring(0, at).getBytes(StandardCharsets.UTF_8));
    for (int x : raw) {
      b.write(x);
    }
    b.writeBytes(template.substring(at + 1).getBytes(StandardCharsets.UTF_8));
    return b.toByteArray();
  }

  /** Hostile bodies of every refused kind, drawn from {@code r}. */
  private static List<byte[]> hostileBodies(String key, Random r) {
    String encrypt = "{\"Operation\":\"Encrypt\",\"Input\":{\"KeyId\":\"" + key
        + "\",\"Plaintext\":\"" + PLAIN + "\",\"EncryptionContext\":{\"tenant\":\"a#b\"}}}";
    String[] surrogates = {"\\ud800", "\\udbff", "\\udc00", "\\udfff", "\\udc00\\ud800",
        "\\ud83d", "\\ud83dx", "\\ude00\\ud83d"};
    int[][] illFormed = {{0xC0, 0xAF}, {0xC1, 0xBF}, {0xE0, 0x80, 0xAF}, {0xF0, 0x80, 0x80, 0xAF},
        {0xED, 0xA0, 0x80}, {0xED, 0xBF, 0xBF}, {0xF4, 0x90, 0x80, 0x80}, {0xF5, 0x80, 0x80, 0x80},
        {0x80}, {0xBF}, {0xE2, 0x82}, {0xF0, 0x9F, 0x98}, {0xFE}, {0xFF}};
    List<byte[]> out = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      switch (i % 5) {
        case 0 -> out.add(encrypt.replace("#", surrogates[r.nextInt(surrogates.length)])
            .getBytes(StandardCharsets.UTF_8));
        case 1 -> out.add(splice(encrypt, illFormed[r.nextInt(illFormed.length)]));
        case 2 -> out.add(("{\"Operation\":\"CreateKey\"}" + List.of(" x", "{}", "]", " 1",
            "\"\"", "{\"Operation\":\"CreateKey\"}").get(r.nextInt(6)))
            .getBytes(StandardCharsets.UTF_8));
        case 3 -> out.add(("{\"Operation\":\"Encrypt\",\"Input\":{\"KeyId\":\"" + key
            + "\",\"Plaintext\":\"" + List.of("QR==", "QQ", "QQ=", "QUJD\\n", "QU JD", "Q\\r\\nQ==",
                "QUJ-", "QQ===").get(r.nextInt(8)) + "\"}}").getBytes(StandardCharsets.UTF_8));
        default -> out.add(splice("{\"Operation\":\"CreateAlias\",\"Input\":{\"AliasName\":"
            + "\"alias#x\",\"TargetKeyId\":\"" + key + "\"}}", 0xC0, 0xAF));
      }
    }
    return out;
  }

  @Test
  void illFormedBodies_allRefused_whileAWellBehavedClientKeepsItsAnswers() throws Exception {
    try (DaemonProcess daemon = DaemonProcess.start();
        DaemonClient good = new DaemonClient(daemon.socket(), 1, Duration.ofSeconds(20))) {
      String key = good.call("CreateKey", Json.object()).get("KeyMetadata").get("KeyId").asText();
      AtomicBoolean stop = new AtomicBoolean();
      AtomicInteger goodCalls = new AtomicInteger();
      AtomicReference<Throwable> goodFailure = new AtomicReference<>();
      Thread worker = new Thread(() -> {
        try {
          while (!stop.get()) {
            ObjectNode in = Json.object().put("KeyId", key).put("Plaintext",
                ("n" + goodCalls.get()).getBytes(StandardCharsets.UTF_8));
            in.putObject("EncryptionContext").put("tenant", "a?b");
            byte[] blob = Json.bytes(good.call("Encrypt", in).get("CiphertextBlob"));
            ObjectNode dec = Json.object().put("CiphertextBlob", blob);
            dec.putObject("EncryptionContext").put("tenant", "a?b");
            assertArrayEquals(("n" + goodCalls.get()).getBytes(StandardCharsets.UTF_8),
                Json.bytes(good.call("Decrypt", dec).get("Plaintext")));
            goodCalls.incrementAndGet();
          }
        } catch (Throwable t) {
          goodFailure.set(t);
        }
      });
      worker.start();

      List<byte[]> bodies = hostileBodies(key, new Random(14));
      FrameCodec codec = new FrameCodec(Frame.DEFAULT_MAX_BODY_BYTES);
      try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
        ch.connect(UnixDomainSocketAddress.of(daemon.socket()));
        OutputStream out = ChannelStreams.out(ch);
        InputStream in = ChannelStreams.in(ch);
        for (int i = 0; i < bodies.size(); i++) {
          codec.write(out, new Frame(Frame.Kind.REQUEST, i, bodies.get(i)));
          Frame answer = codec.read(in);
          int n = i;
          assertEquals(Frame.Kind.ERROR, answer.kind(),
              () -> "accepted: " + new String(bodies.get(n), StandardCharsets.ISO_8859_1));
          assertEquals("ValidationException",
              Json.parseObject(answer.body()).path("__type").asText());
        }
      }
      stop.set(true);
      worker.join(20_000);
      assertEquals(null, goodFailure.get());
      assertTrue(goodCalls.get() > 0);
      assertEquals(1, good.call("ListKeys", Json.object()).get("Keys").size(),
          "no refused CreateKey was applied");
      assertEquals(0, good.call("ListAliases", Json.object()).get("Aliases").size());

      // The CLI sends what it is given and reports the daemon's refusal.
      CliResult cli = daemon.cli("encrypt", "--key-id", key, "--plaintext", "aGVsbG8=",
          "--encryption-context", "{\"tenant\":\"a\\ud800b\"}");
      assertNotEquals(0, cli.exitCode());
      assertTrue(cli.stderr().contains("ValidationException"), cli.stderr());
      CliResult verify = daemon.cli("audit", "verify", "--home", daemon.home().toString());
      assertEquals(0, verify.exitCode(), verify.stdout() + verify.stderr());
    }
  }
}
