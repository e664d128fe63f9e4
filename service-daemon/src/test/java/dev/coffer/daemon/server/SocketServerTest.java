package dev.coffer.daemon.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.daemon.Daemon;
import dev.coffer.daemon.TestDaemon;
import dev.coffer.daemon.config.DaemonConfig;
import dev.coffer.protocol.ChannelStreams;
import dev.coffer.protocol.DaemonConnection;
import dev.coffer.protocol.Frame;
import dev.coffer.protocol.FrameCodec;
import dev.coffer.protocol.Json;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The socket listener under well-formed, pipelined and hostile traffic. */
class SocketServerTest {

  private final FrameCodec codec = new FrameCodec(Frame.DEFAULT_MAX_BODY_BYTES);
  private TestDaemon d;

  @BeforeEach
  void start() throws Exception {
    d = new TestDaemon();
  }

  @AfterEach
  void stop() throws Exception {
    d.close();
  }

  private SocketChannel raw() throws IOException {
    SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
    ch.connect(UnixDomainSocketAddress.of(d.daemon.socket()));
    return ch;
  }

  /** Reads frames until the daemon closes the connection; returns them. */
  private List<Frame> readUntilClosed(SocketChannel ch) throws IOException {
    InputStream in = ChannelStreams.in(ch);
    List<Frame> frames = new ArrayList<>();
    try {
      Frame f;
      while ((f = codec.read(in)) != null) {
        frames.add(f);
      }
    } catch (IOException closed) {
      // connection reset is also a close
    }
    return frames;
  }

  private void assertStillServes() {
    assertNotNull(d.createKey());
  }

  @Test
  void socketFile_isOwnerOnly() throws Exception {
    assertEquals("rw-------", PosixFilePermissions.toString(
        Files.getPosixFilePermissions(d.daemon.socket())));
  }

  @Test
  void secondDaemonOnSameSocket_refusesToStart() {
    IOException e = assertThrows(IOException.class,
        () -> Daemon.start(DaemonConfig.forDirectory(d.home)));
    assertTrue(e.getMessage().contains("already listening"), e.getMessage());
    assertStillServes();
  }

  @Test
  void oversizedFrame_refusedUnreadAndClosed_otherClientUnaffected() throws Exception {
    try (SocketChannel ch = raw()) {
      ByteBuffer header = ByteBuffer.allocate(16);
      header.put((byte) 'C').put((byte) 'F').put((byte) 1).put((byte) 1).putLong(7)
          .putInt(512 * 1024 * 1024).flip();
      ch.write(header);
      List<Frame> frames = readUntilClosed(ch);
      assertEquals(1, frames.size());
      assertEquals(Frame.Kind.ERROR, frames.get(0).kind());
      assertEquals(7, frames.get(0).requestId());
      String body = new String(frames.get(0).body(), StandardCharsets.UTF_8);
      assertTrue(body.contains("ValidationException") && body.contains("exceeds"), body);
    }
    assertStillServes();
  }

  @Test
  void badMagic_closed_otherClientUnaffected() throws Exception {
    try (SocketChannel ch = raw()) {
      ch.write(ByteBuffer.wrap("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII)));
      List<Frame> frames = readUntilClosed(ch);
      assertEquals(1, frames.size());
      assertEquals(Frame.Kind.ERROR, frames.get(0).kind());
    }
    assertStillServes();
  }

  @Test
  void randomGarbage_manyConnections_daemonKeepsServing() throws Exception {
    Random r = new Random(42);
    for (int i = 0; i < 50; i++) {
      try (SocketChannel ch = raw()) {
        byte[] junk = new byte[1 + r.nextInt(200)];
        r.nextBytes(junk);
        if (i % 2 == 0 && junk.length > 2) {
          junk[0] = 'C';
          junk[1] = 'F';
        }
        ch.write(ByteBuffer.wrap(junk));
        ch.shutdownOutput();
        readUntilClosed(ch);
      }
    }
    assertStillServes();
  }

  @Test
  void truncatedFrame_thenHangUp_daemonKeepsServing() throws Exception {
    byte[] whole = codec.encode(new Frame(Frame.Kind.REQUEST, 1,
        Json.request("CreateKey", Json.object())));
    try (SocketChannel ch = raw()) {
      ch.write(ByteBuffer.wrap(whole, 0, whole.length - 5));
    }
    assertStillServes();
  }

  @Test
  void bodyNotJson_validationError_connectionStaysUsable() throws Exception {
    try (SocketChannel ch = raw()) {
      OutputStream out = ChannelStreams.out(ch);
      InputStream in = ChannelStreams.in(ch);
      codec.write(out, new Frame(Frame.Kind.REQUEST, 1, "{not json".getBytes(StandardCharsets.UTF_8)));
      Frame err = codec.read(in);
      assertEquals(Frame.Kind.ERROR, err.kind());
      assertTrue(new String(err.body(), StandardCharsets.UTF_8).contains("ValidationException"));
      codec.write(out, new Frame(Frame.Kind.REQUEST, 2, Json.request("ListKeys", Json.object())));
      Frame ok = codec.read(in);
      assertEquals(Frame.Kind.RESPONSE, ok.kind());
      assertEquals(2, ok.requestId());
    }
  }

  @Test
  void responseFrameFromClient_closed() throws Exception {
    try (SocketChannel ch = raw()) {
      codec.write(ChannelStreams.out(ch), new Frame(Frame.Kind.RESPONSE, 3, "{}".getBytes(StandardCharsets.UTF_8)));
      List<Frame> frames = readUntilClosed(ch);
      assertEquals(Frame.Kind.ERROR, frames.get(0).kind());
    }
    assertStillServes();
  }

  @Test
  void pipelinedRequests_oneConnection_allAnsweredById() throws Exception {
    String key = d.createKey();
    try (DaemonConnection c = DaemonConnection.open(d.daemon.socket(), Frame.DEFAULT_MAX_BODY_BYTES)) {
      List<CompletableFuture<ObjectNode>> futures = new ArrayList<>();
      for (int i = 0; i < 200; i++) {
        ObjectNode in = Json.object();
        in.put("KeyId", key);
        in.put("Plaintext", ("message " + i).getBytes(StandardCharsets.UTF_8));
        futures.add(c.send("Encrypt", in));
      }
      for (int i = 0; i < futures.size(); i++) {
        ObjectNode enc = futures.get(i).get(20, TimeUnit.SECONDS);
        ObjectNode in = Json.object();
        in.set("CiphertextBlob", enc.get("CiphertextBlob"));
        byte[] plain = d.call("Decrypt", in).get("Plaintext").binaryValue();
        assertEquals("message " + i, new String(plain, StandardCharsets.UTF_8));
      }
    }
  }

  @Test
  void daemonRestart_clientReconnectsTransparently() throws Exception {
    String key = d.createKey();
    d.daemon.close();
    d.daemon = Daemon.start(DaemonConfig.forDirectory(d.home).withClock(d.clock));
    ObjectNode in = Json.object();
    in.put("KeyId", key);
    assertEquals(key, d.call("DescribeKey", in).get("KeyMetadata").get("KeyId").asText());
  }
}
