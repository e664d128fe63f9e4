package dev.coffer.bench.support;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The floor under any daemon call: a bare Java Unix-socket echo server in the benchmark's JVM
 * (one thread per connection, length-prefixed frames, no parsing, no crypto, no audit).
 */
@State(Scope.Benchmark)
public class UnixEcho {

  private Path dir;
  private Path socket;
  private ServerSocketChannel server;

  @Setup(Level.Trial)
  public void start() throws IOException {
    dir = Files.createTempDirectory(Path.of("/tmp"), "cofecho");
    socket = dir.resolve("echo.sock");
    server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    server.bind(UnixDomainSocketAddress.of(socket));
    Thread acceptor = new Thread(this::accept, "echo-acceptor");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  private void accept() {
    while (server.isOpen()) {
      try {
        SocketChannel c = server.accept();
        Thread t = new Thread(() -> serve(c), "echo-connection");
        t.setDaemon(true);
        t.start();
      } catch (IOException e) {
        return; // closed
      }
    }
  }

  private static void serve(SocketChannel c) {
    try (c) {
      ByteBuffer len = ByteBuffer.allocate(4);
      ByteBuffer body = ByteBuffer.allocate(64 * 1024);
      while (true) {
        len.clear();
        if (!readFully(c, len)) {
          return;
        }
        body.clear().limit(len.flip().getInt(0));
        readFully(c, body);
        len.rewind();
        body.flip();
        c.write(new ByteBuffer[] {len, body});
      }
    } catch (IOException e) {
      // client went away
    }
  }

  static boolean readFully(SocketChannel c, ByteBuffer b) throws IOException {
    while (b.hasRemaining()) {
      if (c.read(b) < 0) {
        return false;
      }
    }
    return true;
  }

  /** A new blocking client connection; one per benchmark thread. */
  public Client connect() throws IOException {
    return new Client(SocketChannel.open(UnixDomainSocketAddress.of(socket)));
  }

  @TearDown(Level.Trial)
  public void stop() throws IOException {
    server.close();
    Files.deleteIfExists(socket);
    Files.deleteIfExists(dir);
  }

  /** Sends a frame and waits for it to come back. */
  public static final class Client implements AutoCloseable {
    private final SocketChannel channel;
    private final ByteBuffer len = ByteBuffer.allocate(4);
    private ByteBuffer reply = ByteBuffer.allocate(0);

    Client(SocketChannel channel) {
      this.channel = channel;
    }

    public ByteBuffer roundTrip(byte[] message) throws IOException {
      len.clear().putInt(0, message.length);
      ByteBuffer out = ByteBuffer.wrap(message);
      while (len.hasRemaining() || out.hasRemaining()) {
        channel.write(new ByteBuffer[] {len, out});
      }
      len.clear();
      if (!readFully(channel, len)) {
        throw new IOException("echo server closed the connection");
      }
      int n = len.getInt(0);
      if (reply.capacity() < n) {
        reply = ByteBuffer.allocate(n);
      }
      reply.clear().limit(n);
      readFully(channel, reply);
      return reply;
    }

    @Override
    public void close() throws IOException {
      channel.close();
    }
  }
}
