package dev.coffer.daemon.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.daemon.audit.AuditSink;
import dev.coffer.daemon.ops.Caller;
import dev.coffer.daemon.ops.OperationKinds;
import dev.coffer.daemon.ops.OperationTable;
import dev.coffer.daemon.identity.UnixPeer;
import dev.coffer.daemon.ops.RequestPipeline;
import dev.coffer.protocol.ChannelStreams;
import dev.coffer.protocol.ErrorType;
import dev.coffer.protocol.Frame;
import dev.coffer.protocol.FrameCodec;
import dev.coffer.protocol.Json;
import dev.coffer.protocol.KmsException;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.newsclub.net.unix.AFUNIXServerSocketChannel;
import org.newsclub.net.unix.AFUNIXSocketAddress;
import org.newsclub.net.unix.AFUNIXSocketChannel;

/**
 * The Unix-socket listener: one reader thread per connection, which runs cryptographic requests
 * itself; management requests go to a bounded worker pool, so one connection can have several
 * in flight while each waits for its audit record's fsync.
 * Responses are written whole under the connection's write lock.
 *
 * <p>Hostile input is contained per connection: a frame with a bad header or over the size cap
 * gets one error frame and the connection is closed, without the body being read; a body that is
 * not JSON gets a {@code ValidationException} and the connection stays usable. Every other
 * client keeps being served.
 */
public final class SocketServer implements Closeable {

  private static final Logger LOG = Logger.getLogger(SocketServer.class.getName());
  /** Requests one connection may have queued or running at once. */
  static final int MAX_IN_FLIGHT_PER_CONNECTION = 64;

  private final Path socketPath;
  private final OperationTable operations;
  private final FrameCodec codec;
  private final Semaphore connectionSlots;
  private final ExecutorService workers;
  private final AFUNIXServerSocketChannel server;
  private final RequestPipeline pipeline;
  private final PeerIdentity identities = new PeerIdentity();
  private final Thread acceptor;
  private final AtomicInteger connections = new AtomicInteger();
  private final Set<SocketChannel> open = java.util.concurrent.ConcurrentHashMap.newKeySet();
  private volatile boolean running = true;

  public SocketServer(Path socketPath, OperationTable operations, int maxFrameBytes,
      int maxConnections, int workerThreads, AuditSink audit, java.time.Clock clock,
      String socketMode, String socketGroup) throws IOException {
    this.socketPath = socketPath;
    this.operations = operations;
    this.pipeline = new RequestPipeline(operations, audit, clock);
    this.codec = new FrameCodec(maxFrameBytes);
    this.connectionSlots = new Semaphore(maxConnections);
    this.workers = Executors.newFixedThreadPool(workerThreads, named("coffer-worker"));
    this.server = bind(socketPath, socketMode, socketGroup);
    this.acceptor = named("coffer-accept").newThread(this::acceptLoop);
    acceptor.start();
  }

  private static AFUNIXServerSocketChannel bind(Path socketPath, String mode, String group)
      throws IOException {
    Path dir = socketPath.toAbsolutePath().getParent();
    if (!Files.isDirectory(dir)) {
      Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(
          PosixFilePermissions.fromString("rwx------")));
    }
    Set<PosixFilePermission> dirPerms = Files.getPosixFilePermissions(dir);
    if (dirPerms.contains(PosixFilePermission.OTHERS_WRITE)) {
      throw new IOException("refusing to listen in " + dir + ": the directory is world-writable,"
          + " so anyone could replace the socket; choose a private directory with COFFER_SOCKET");
    }
    if (Files.exists(socketPath)) {
      if (isAlive(socketPath)) {
        throw new IOException("another Coffer daemon is already listening on " + socketPath);
      }
      Files.delete(socketPath);
    }
    AFUNIXServerSocketChannel ch = AFUNIXServerSocketChannel.open();
    ch.bind(AFUNIXSocketAddress.of(socketPath.toFile()), 128);
    if (group != null) {
      Files.getFileAttributeView(socketPath, java.nio.file.attribute.PosixFileAttributeView.class)
          .setGroup(socketPath.getFileSystem().getUserPrincipalLookupService()
              .lookupPrincipalByGroupName(group));
    }
    Files.setPosixFilePermissions(socketPath, PosixFilePermissions.fromString(mode));
    return ch;
  }

  private static boolean isAlive(Path socketPath) {
    try (SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      c.connect(UnixDomainSocketAddress.of(socketPath));
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  public Path socket() {
    return socketPath;
  }

  public int openConnections() {
    return connections.get();
  }

  private void acceptLoop() {
    while (running) {
      AFUNIXSocketChannel ch;
      try {
        ch = server.accept();
      } catch (IOException e) {
        if (running) {
          LOG.log(Level.WARNING, "accept failed", e);
        }
        continue;
      }
      if (!connectionSlots.tryAcquire()) {
        refuse(ch);
        continue;
      }
      connections.incrementAndGet();
      Thread t = named("coffer-conn").newThread(() -> serve(ch));
      t.start();
    }
  }

  private void refuse(SocketChannel ch) {
    try (ch) {
      OutputStream out = ChannelStreams.out(ch);
      codec.write(out, new Frame(Frame.Kind.ERROR, 0, Json.error(ErrorType.THROTTLING,
          "the daemon is at its connection limit; retry shortly")));
    } catch (IOException ignored) {
      // the client went away
    }
  }

  private void serve(AFUNIXSocketChannel ch) {
    open.add(ch);
    Connection conn = new Connection(ch);
    try {
      conn.readLoop();
    } finally {
      conn.close();
      open.remove(ch);
      connections.decrementAndGet();
      connectionSlots.release();
    }
  }

  /** One client connection. */
  private final class Connection {
    private final SocketChannel ch;
    private final InputStream in;
    private final OutputStream out;
    private final Object writeLock = new Object();
    private final Semaphore inFlight = new Semaphore(MAX_IN_FLIGHT_PER_CONNECTION);
    private final UnixPeer peer;

    Connection(AFUNIXSocketChannel ch) {
      this.ch = ch;
      this.in = ChannelStreams.in(ch);
      this.out = ChannelStreams.out(ch);
      UnixPeer p;
      try {
        p = identities.resolve(ch.getPeerCredentials());
      } catch (IOException | RuntimeException e) {
        // No credentials, no identity: such a caller matches no principal in any policy.
        LOG.log(Level.WARNING, "peer credentials unavailable", e);
        p = new UnixPeer(-1, -1, -1, "unknown", java.util.Set.of());
      }
      this.peer = p;
    }

    void readLoop() {
      try {
        while (running) {
          Frame frame;
          try {
            frame = codec.read(in);
          } catch (FrameCodec.MalformedFrameException e) {
            send(new Frame(Frame.Kind.ERROR, e.requestId(),
                Json.error(ErrorType.VALIDATION, e.getMessage() + "; closing the connection")));
            return;
          }
          if (frame == null) {
            return;
          }
          if (frame.kind() != Frame.Kind.REQUEST) {
            send(new Frame(Frame.Kind.ERROR, frame.requestId(), Json.error(ErrorType.VALIDATION,
                "clients may only send request frames; closing the connection")));
            return;
          }
          ObjectNode body = null;
          try {
            body = Json.parseObject(frame.body());
          } catch (KmsException notJson) {
            // handle() answers it
          }
          JsonNode op = body == null ? null : body.get("Operation");
          ObjectNode parsed = body;
          if (op != null && OperationKinds.isCryptographic(op.asText())) {
            // Cryptographic operations are short and never wait for the disk (their audit
            // records are batched): run them here and save two thread hand-offs per request on
            // the hot path. Management calls go to the worker pool, which waits for the fsync
            // of their audit record without stalling this connection's other requests.
            handle(frame, parsed);
            continue;
          }
          inFlight.acquireUninterruptibly();
          try {
            workers.execute(() -> {
              try {
                handle(frame, parsed);
              } finally {
                inFlight.release();
              }
            });
          } catch (java.util.concurrent.RejectedExecutionException shuttingDown) {
            inFlight.release();
            return;
          }
        }
      } catch (IOException e) {
        // client went away or sent a truncated frame: only this connection ends
      }
    }

    /**
     * Runs one request through the transport-neutral {@link RequestPipeline} and sends its
     * answer; {@code parsedBody} is its parsed body, or null when it is not JSON.
     */
    private void handle(Frame frame, ObjectNode parsedBody) {
      Caller caller = new Caller(peer);
      RequestPipeline.Answer answer =
          pipeline.handle(caller, frame.requestId(), frame.body(), parsedBody);
      Frame response = new Frame(answer.error() ? Frame.Kind.ERROR : Frame.Kind.RESPONSE,
          frame.requestId(), answer.body());
      try {
        send(response);
      } catch (IOException e) {
        close();
      } finally {
        java.util.Arrays.fill(response.body(), (byte) 0);
        caller.zeroSecrets();
      }
    }

    private void send(Frame f) throws IOException {
      byte[] bytes;
      try {
        bytes = codec.encode(f);
      } catch (IllegalArgumentException tooBig) {
        bytes = codec.encode(new Frame(Frame.Kind.ERROR, f.requestId(), Json.error(
            ErrorType.LIMIT_EXCEEDED, "the response exceeds the frame limit; ask for less"
                + " (a smaller Limit)")));
      }
      try {
        synchronized (writeLock) {
          out.write(bytes);
        }
      } finally {
        java.util.Arrays.fill(bytes, (byte) 0);
      }
    }

    void close() {
      try {
        ch.close();
      } catch (IOException ignored) {
        // closing
      }
    }
  }

  private static ThreadFactory named(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  @Override
  public void close() {
    running = false;
    try {
      server.close();
    } catch (IOException ignored) {
      // closing
    }
    for (SocketChannel ch : open) {
      try {
        ch.close();
      } catch (IOException ignored) {
        // closing
      }
    }
    workers.shutdown();
    try {
      workers.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try {
      Files.deleteIfExists(socketPath);
    } catch (IOException ignored) {
      // best effort
    }
  }
}
