package dev.coffer.daemon.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.daemon.audit.AuditEvent;
import dev.coffer.daemon.audit.AuditSink;
import dev.coffer.daemon.audit.RefusedRequestAudit;
import dev.coffer.daemon.config.DaemonConfig.ConnectionLimits;
import dev.coffer.daemon.ops.Caller;
import dev.coffer.daemon.ops.OperationKinds;
import dev.coffer.daemon.ops.OperationTable;
import dev.coffer.daemon.identity.UnixPeer;
import dev.coffer.daemon.ops.RequestPipeline;
import dev.coffer.daemon.storage.StorageException;
import dev.coffer.protocol.ChannelStreams;
import dev.coffer.protocol.ErrorType;
import dev.coffer.protocol.Frame;
import dev.coffer.protocol.FrameCodec;
import dev.coffer.protocol.Json;
import dev.coffer.protocol.KmsException;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
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
 *
 * <p>No client can starve the others ({@code docs/protocol.md}, "Limits and timeouts"):
 * <ul>
 *   <li>Each connection has its own writer thread and outbound queue ({@link ResponseWriter}):
 *       workers and readers only queue responses, so a peer that stops reading stalls nothing
 *       but its own connection, whose reader stops reading once {@value
 *       ResponseWriter#MAX_UNANSWERED} requests are unanswered.
 *   <li>A {@link ConnectionBudget} caps connections in all and per peer uid, displacing the
 *       longest-idle connection before it refuses one with {@code ThrottlingException}.
 *   <li>A watchdog closes connections whose frame does not arrive whole in time, which do not
 *       take their responses in time, or which stay idle too long.
 *   <li>One peer uid may have at most four times {@code worker-threads} management requests
 *       queued or running on the shared workers; its connections wait for the rest.
 * </ul>
 *
 * <p>Hostile input is contained per connection: a frame with a bad header or over the size cap
 * gets one error frame and the connection is closed, without the body being read; a body that is
 * not JSON gets a {@code ValidationException} and the connection stays usable. Refused frames
 * are audited, at a bounded rate ({@link MalformedFrameAudit}).
 */
public final class SocketServer implements Closeable {

  private static final Logger LOG = Logger.getLogger(SocketServer.class.getName());
  /** Requests one connection may have unanswered (read, response not yet written). */
  static final int MAX_IN_FLIGHT_PER_CONNECTION = ResponseWriter.MAX_UNANSWERED;
  /** How often the watchdog looks at deadlines. */
  private static final long WATCHDOG_TICK_MILLIS = 100;

  private final Path socketPath;
  private final OperationTable operations;
  private final FrameCodec codec;
  private final FrameCodec responseCodec = new FrameCodec(Frame.MAX_RESPONSE_BODY_BYTES);
  private final ConnectionBudget budget;
  private final ConnectionLimits limits;
  private final ExecutorService workers;
  /** Management requests one peer uid may have queued or running on the workers at once. */
  private final int workerShare;
  private final java.util.Map<Long, Semaphore> workerShares =
      new java.util.concurrent.ConcurrentHashMap<>();
  private final ScheduledExecutorService watchdog;
  private final AFUNIXServerSocketChannel server;
  private final AuditSink audit;
  private final java.time.Clock clock;
  private final RequestPipeline pipeline;
  private final MalformedFrameAudit refusedFrames;
  private final RefusedRequestAudit refusedRequests;
  private final PeerIdentity identities = new PeerIdentity();
  private final Thread acceptor;
  private final AtomicInteger connections = new AtomicInteger();
  private volatile boolean running = true;

  public SocketServer(Path socketPath, OperationTable operations, int maxFrameBytes,
      int maxConnections, int workerThreads, AuditSink audit, java.time.Clock clock,
      String socketMode, String socketGroup, ConnectionLimits limits, RequestPipeline pipeline,
      RefusedRequestAudit refusedRequests) throws IOException {
    this.socketPath = socketPath;
    this.audit = audit;
    this.clock = clock;
    this.operations = operations;
    // The daemon's one pipeline and refusal budget, shared with its other doors.
    this.refusedRequests = refusedRequests;
    this.pipeline = pipeline;
    this.codec = new FrameCodec(maxFrameBytes);
    this.limits = limits;
    this.budget = new ConnectionBudget(maxConnections,
        Math.min(maxConnections, limits.maxConnectionsPerUser()));
    this.refusedFrames = new MalformedFrameAudit(audit, clock,
        limits.malformedFrameRecordsPerWindow(), limits.malformedFrameWindow());
    this.workers = Executors.newFixedThreadPool(workerThreads, named("coffer-worker"));
    this.workerShare = 4 * workerThreads;
    this.server = bind(socketPath, socketMode, socketGroup);
    this.watchdog = Executors.newSingleThreadScheduledExecutor(named("coffer-watchdog"));
    watchdog.scheduleWithFixedDelay(this::checkDeadlines, WATCHDOG_TICK_MILLIS,
        WATCHDOG_TICK_MILLIS, TimeUnit.MILLISECONDS);
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
      Connection conn = new Connection(ch, uidOf(ch));
      String refusal = budget.admit(conn);
      if (refusal != null) {
        // Never blocks the accept thread: one non-blocking write, then close.
        ResponseWriter.writeOnceAndClose(ch, codec.encode(
            connectionError(ErrorType.THROTTLING, refusal)));
        continue;
      }
      connections.incrementAndGet();
      Thread t = named("coffer-conn").newThread(() -> serve(conn));
      t.start();
    }
  }

  private static long uidOf(AFUNIXSocketChannel ch) {
    try {
      return ch.getPeerCredentials().getUid();
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  /**
   * An error frame about the connection itself (request id 0). The daemon ends the connection
   * after it and has processed none of the requests still unanswered on it.
   */
  private static Frame connectionError(String type, String message) {
    return new Frame(Frame.Kind.ERROR, 0, Json.error(type, message));
  }

  private void serve(Connection conn) {
    try {
      conn.start();
      conn.readLoop();
      // No more requests: let the writer deliver what is owed, then close (the watchdog
      // closes it sooner if the peer does not take it in time).
      conn.writer.finish(null);
      conn.writer.awaitClosed();
    } finally {
      conn.close();
      budget.release(conn);
      connections.decrementAndGet();
    }
  }

  /** The watchdog: read, write and idle deadlines of every connection; audit summaries. */
  private void checkDeadlines() {
    try {
      long now = System.nanoTime();
      for (ConnectionBudget.Slot s : budget.snapshot()) {
        ((Connection) s).checkDeadlines(now);
      }
      refusedFrames.tick();
      refusedRequests.tick();
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "connection watchdog failed", e);
    }
  }

  /** One client connection. */
  private final class Connection implements ConnectionBudget.Slot {
    private final AFUNIXSocketChannel ch;
    private final long uid;
    private final FrameWatch in;
    private final ResponseWriter writer;
    private volatile UnixPeer peer;
    private volatile Thread readerThread;
    private volatile boolean refused; // a frame was refused: audit and answer it once

    Connection(AFUNIXSocketChannel ch, long uid) {
      this.ch = ch;
      this.uid = uid;
      this.in = new FrameWatch(ChannelStreams.in(ch));
      this.writer = new ResponseWriter(ch, ChannelStreams.out(ch), named("coffer-conn-writer"));
    }

    /** On the connection's own thread: resolves the peer's names (may run {@code id}). */
    void start() {
      readerThread = Thread.currentThread();
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

    @Override
    public long uid() {
      return uid;
    }

    @Override
    public long idleSinceNanos() {
      return in.frameStartedNanos() != 0 ? ConnectionBudget.BUSY : writer.idleSinceNanos();
    }

    @Override
    public boolean closeIfIdle(String why) {
      return writer.finishIfIdle(in.frameStartedNanos() == 0, codec.encode(connectionError(
          ErrorType.THROTTLING, why + "; no request still unanswered on it was processed;"
              + " reconnect")));
    }

    void checkDeadlines(long now) {
      long started = in.frameStartedNanos();
      if (started != 0 && now - started > limits.frameReadTimeout().toNanos()) {
        refuseFrame(0, "the frame did not arrive whole within " + seconds(
            limits.frameReadTimeout()) + " of its first byte (frame-read-timeout-seconds)");
      }
      long stalled = writer.stalledSince();
      if (stalled != 0 && now - stalled > limits.writeTimeout().toNanos()) {
        // The peer has not taken a response (or the final frame) for the write timeout.
        writer.abort();
      }
      long idle = writer.idleSinceNanos();
      if (idle != ConnectionBudget.BUSY && started == 0
          && now - idle > limits.idleTimeout().toNanos()) {
        closeIfIdle("closing this connection after " + seconds(limits.idleTimeout())
            + " idle (idle-timeout-seconds)");
      }
    }

    /** Audits a frame that cannot be taken as a request, answers it, and ends the connection. */
    private void refuseFrame(long requestId, String reason) {
      if (refused) {
        return;
      }
      refused = true;
      refusedFrames.record(peerOrUnknown(), requestId, reason, in.head());
      writer.finish(codec.encode(new Frame(Frame.Kind.ERROR, requestId,
          Json.error(ErrorType.VALIDATION, reason + "; closing the connection"))));
    }

    private UnixPeer peerOrUnknown() {
      UnixPeer p = peer;
      return p != null ? p : new UnixPeer(uid, -1, -1, "uid:" + uid, java.util.Set.of());
    }

    void readLoop() {
      try {
        while (running && writer.awaitRoom()) {
          Frame frame;
          try {
            frame = codec.read(in);
          } catch (FrameCodec.MalformedFrameException e) {
            refuseFrame(e.requestId(), e.getMessage());
            return;
          } catch (EOFException e) {
            refusedFrames.record(peerOrUnknown(), 0, "the stream ended inside a frame",
                in.head());
            return;
          }
          in.frameDone();
          writer.touch();
          if (frame == null) {
            return;
          }
          if (frame.kind() != Frame.Kind.REQUEST) {
            java.util.Arrays.fill(frame.body(), (byte) 0);
            refuseFrame(frame.requestId(), "clients may only send request frames");
            return;
          }
          if (!writer.admit()) {
            // The connection is ending; the client is told nothing unanswered was processed.
            java.util.Arrays.fill(frame.body(), (byte) 0);
            return;
          }
          ObjectNode body = null;
          try {
            body = Json.parseRequest(frame.body());
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
          // One user's requests may hold only a share of the worker queue: beyond it this
          // connection waits here (reading nothing), and other users' calls are not queued
          // behind thousands of one user's.
          Semaphore share = workerShares.computeIfAbsent(uid, u -> new Semaphore(workerShare));
          share.acquireUninterruptibly();
          try {
            workers.execute(() -> {
              try {
                handle(frame, parsed);
              } finally {
                share.release();
              }
            });
          } catch (java.util.concurrent.RejectedExecutionException shuttingDown) {
            share.release();
            return;
          }
        }
      } catch (ClosedChannelException e) {
        // closed by the watchdog, an eviction or shutdown: only this connection ends
      } catch (IOException e) {
        // client went away: only this connection ends
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

    /**
     * Queues the response to an admitted request for this connection's writer; never blocks.
     * Responses may be larger than requests (a full page of {@code ListKeys}): they are capped
     * at {@link Frame#MAX_RESPONSE_BODY_BYTES}, which every valid request's answer fits.
     */
    private void send(Frame f) throws IOException {
      byte[] bytes;
      try {
        bytes = responseCodec.encode(f);
      } catch (IllegalArgumentException tooBig) {
        LOG.log(Level.SEVERE, "a response exceeded " + Frame.MAX_RESPONSE_BODY_BYTES + " bytes");
        bytes = responseCodec.encode(new Frame(Frame.Kind.ERROR, f.requestId(), Json.error(
            ErrorType.LIMIT_EXCEEDED, "the response exceeds the frame limit; ask for less"
                + " (a smaller Limit)")));
      }
      writer.answer(bytes, Thread.currentThread() == readerThread);
    }

    void close() {
      writer.abort();
    }
  }

  private static String seconds(Duration d) {
    return d.toSeconds() + " s";
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
    watchdog.shutdownNow();
    for (ConnectionBudget.Slot s : budget.snapshot()) {
      ((Connection) s).close();
    }
    workers.shutdown();
    try {
      workers.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    refusedFrames.close();
    try {
      Files.deleteIfExists(socketPath);
    } catch (IOException ignored) {
      // best effort
    }
  }
}
