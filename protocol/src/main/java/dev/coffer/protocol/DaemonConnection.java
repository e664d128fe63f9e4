package dev.coffer.protocol;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One pipelined connection to the daemon: any number of requests may be in flight; a reader
 * thread matches responses to requests by id.
 *
 * <p>When the connection breaks, every pending request fails with {@link
 * ErrorType#DAEMON_UNAVAILABLE}; the connection is then closed for good and the owner opens a new
 * one.
 *
 * <p>An error frame that answers no pending request (request id 0) is about the connection: the
 * daemon refused it (at its connection limit, or the user's share) or is closing it (idle, or its
 * place was needed), and has processed none of the requests still unanswered on it. Those fail
 * with a {@link NotProcessedException} carrying the daemon's own exception name (such as {@code
 * ThrottlingException}) and message, which the owner may safely retry.
 */
public final class DaemonConnection implements Closeable {

  private final SocketChannel channel;
  private final InputStream in;
  private final OutputStream out;
  private final FrameCodec codec;
  private final FrameCodec responseCodec;
  private final Thread reader;
  private volatile NotProcessedException endedByDaemon;
  private final Map<Long, CompletableFuture<ObjectNode>> pending = new ConcurrentHashMap<>();
  private final AtomicLong nextId = new AtomicLong(1);
  private final Object writeLock = new Object();
  private volatile boolean open = true;

  private DaemonConnection(SocketChannel channel, FrameCodec codec) {
    this.channel = channel;
    this.in = ChannelStreams.in(channel);
    this.out = ChannelStreams.out(channel);
    this.codec = codec;
    // Responses may be larger than requests (a full page of a list): accept what the daemon
    // may send, whatever this client's own request cap.
    this.responseCodec = new FrameCodec(
        Math.max(codec.maxBodyBytes(), Frame.MAX_RESPONSE_BODY_BYTES));
    this.reader = new Thread(this::readLoop, "coffer-client-reader");
    reader.setDaemon(true);
    reader.start();
  }

  /** Connects to the daemon at {@code socket}. */
  public static DaemonConnection open(Path socket, int maxBodyBytes) throws IOException {
    SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
    try {
      ch.connect(UnixDomainSocketAddress.of(socket));
    } catch (IOException e) {
      ch.close();
      throw e;
    }
    return new DaemonConnection(ch, new FrameCodec(maxBodyBytes));
  }

  public boolean isOpen() {
    return open;
  }

  /** Number of requests sent and not yet answered. */
  public int inFlight() {
    return pending.size();
  }

  /**
   * Sends one request. The future completes with the operation's output or fails with a {@link
   * KmsException}.
   *
   * @throws IOException when the request could not be written (nothing reached the daemon)
   */
  public CompletableFuture<ObjectNode> send(String operation, ObjectNode input) throws IOException {
    if (!open) {
      NotProcessedException why = endedByDaemon;
      if (why != null) {
        return CompletableFuture.failedFuture(why);
      }
      throw new IOException("connection to the daemon is closed");
    }
    long id = nextId.getAndIncrement();
    CompletableFuture<ObjectNode> f = new CompletableFuture<>();
    pending.put(id, f);
    byte[] encoded;
    try {
      encoded = codec.encode(new Frame(Frame.Kind.REQUEST, id, Json.request(operation, input)));
    } catch (IllegalArgumentException tooBig) {
      pending.remove(id);
      throw new KmsException(ErrorType.VALIDATION, tooBig.getMessage());
    }
    try {
      synchronized (writeLock) {
        out.write(encoded);
      }
    } catch (IOException e) {
      pending.remove(id);
      // The daemon may have refused the connection and closed it before this write: its
      // reason is then in the error frame the reader is about to take.
      awaitReader();
      NotProcessedException why = endedByDaemon;
      if (why != null) {
        return CompletableFuture.failedFuture(why);
      }
      fail(e);
      throw e;
    }
    return f;
  }

  private void readLoop() {
    try {
      while (open) {
        Frame frame = responseCodec.read(in);
        if (frame == null) {
          throw new IOException("daemon closed the connection");
        }
        CompletableFuture<ObjectNode> f = pending.remove(frame.requestId());
        if (frame.kind() == Frame.Kind.ERROR) {
          ObjectNode err = Json.parseObject(frame.body());
          KmsException ex =
              new KmsException(err.path("__type").asText(ErrorType.INTERNAL),
                  err.path("message").asText(""));
          if (f == null) {
            // An error about the connection: the daemon ends it after this frame, and processed
            // none of the requests still unanswered on it.
            endedByDaemon = new NotProcessedException(ex.errorType(), ex.getMessage());
            throw new IOException(ex.toString());
          }
          f.completeExceptionally(ex);
        } else if (f != null) {
          f.complete(Json.parseObject(frame.body()));
        }
      }
    } catch (IOException | RuntimeException e) {
      fail(e);
    }
  }

  /** Waits briefly for the reader to take what the daemon sent before it closed. */
  private void awaitReader() {
    if (Thread.currentThread() == reader) {
      return;
    }
    try {
      reader.join(1000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void fail(Exception cause) {
    open = false;
    try {
      channel.close();
    } catch (IOException ignored) {
      // already broken
    }
    NotProcessedException notProcessed = endedByDaemon;
    if (notProcessed != null) {
      pending.values().forEach(f -> f.completeExceptionally(notProcessed));
      pending.clear();
      return;
    }
    KmsException ex =
        new KmsException(
            ErrorType.DAEMON_UNAVAILABLE,
            "lost the connection to the Coffer daemon (" + cause.getMessage()
                + "); the request may not have been applied; check that `coffer serve` is running",
            cause);
    pending.values().forEach(f -> f.completeExceptionally(ex));
    pending.clear();
  }

  @Override
  public void close() {
    fail(new IOException("connection closed by the client"));
  }

  /**
   * A request the daemon did not process because it refused or ended the connection first (see
   * the class comment): carries the daemon's exception name and message; safe to retry.
   */
  public static final class NotProcessedException extends KmsException {
    NotProcessedException(String errorType, String message) {
      super(errorType, message);
    }
  }
}
