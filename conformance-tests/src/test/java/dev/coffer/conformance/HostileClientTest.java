package dev.coffer.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coffer.protocol.DaemonClient;
import dev.coffer.protocol.Json;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Random and truncated frames on one connection while a well-behaved client keeps working. */
class HostileClientTest {

  @Test
  void garbageFrames_whileSecondClientEncrypts_secondClientNeverFails() throws Exception {
    try (DaemonProcess daemon = DaemonProcess.start();
        DaemonClient good = new DaemonClient(daemon.socket(), 1, Duration.ofSeconds(10))) {
      String key = good.call("CreateKey", Json.object()).get("KeyMetadata").get("KeyId").asText();
      AtomicBoolean stop = new AtomicBoolean();
      AtomicInteger goodCalls = new AtomicInteger();
      Thread worker = new Thread(() -> {
        while (!stop.get()) {
          good.call("Encrypt", Json.object().put("KeyId", key).put("Plaintext", new byte[100]));
          goodCalls.incrementAndGet();
        }
      });
      worker.start();
      Random r = new Random(7);
      for (int i = 0; i < 300; i++) {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
          ch.connect(UnixDomainSocketAddress.of(daemon.socket()));
          ByteBuffer b = ByteBuffer.allocate(16 + r.nextInt(64));
          byte[] junk = new byte[b.capacity()];
          r.nextBytes(junk);
          b.put(junk).flip();
          if (i % 3 == 0) { // valid header, lying length, truncated body
            b.put(0, (byte) 'C').put(1, (byte) 'F').put(2, (byte) 1).put(3, (byte) 1);
            b.putInt(12, 4000);
          }
          ch.write(b);
        } catch (java.io.IOException ignored) {
          // the daemon may close first: that is the point
        }
      }
      stop.set(true);
      worker.join(10_000);
      assertTrue(goodCalls.get() > 0);
      assertEquals("Enabled", good.call("DescribeKey", Json.object().put("KeyId", key))
          .get("KeyMetadata").get("KeyState").asText());
    }
  }
}
