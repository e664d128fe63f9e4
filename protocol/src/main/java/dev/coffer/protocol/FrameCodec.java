package dev.coffer.protocol;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;

/**
 * Reads and writes {@link Frame}s with a hard cap on the body length.
 *
 * <p>The length is checked against the cap before any body byte is read or any buffer is
 * allocated, so an oversized or hostile frame costs the reader 16 bytes of memory.
 */
public final class FrameCodec {

  private final int maxBodyBytes;

  public FrameCodec(int maxBodyBytes) {
    if (maxBodyBytes < 1024) {
      throw new IllegalArgumentException("max frame body must be at least 1024 bytes");
    }
    this.maxBodyBytes = maxBodyBytes;
  }

  public int maxBodyBytes() {
    return maxBodyBytes;
  }

  /**
   * Reads one frame.
   *
   * @return the frame, or {@code null} on a clean end of stream before the first header byte
   * @throws MalformedFrameException when the header is wrong or the body exceeds the cap; the
   *     stream is then out of step and must be closed
   * @throws EOFException when the stream ends inside a frame
   */
  public Frame read(InputStream in) throws IOException {
    byte[] header = new byte[Frame.HEADER_BYTES];
    int first = in.read();
    if (first < 0) {
      return null;
    }
    header[0] = (byte) first;
    readFully(in, header, 1, header.length - 1);
    ByteBuffer h = ByteBuffer.wrap(header);
    Header parsed = parseHeader(h);
    byte[] body = new byte[parsed.length];
    readFully(in, body, 0, body.length);
    return new Frame(parsed.kind, parsed.requestId, body);
  }

  /** Parsed header fields; {@code length} has been checked against the cap. */
  public record Header(Frame.Kind kind, long requestId, int length) {}

  /** Validates and parses a 16-byte header. */
  public Header parseHeader(ByteBuffer h) throws MalformedFrameException {
    byte m0 = h.get();
    byte m1 = h.get();
    byte version = h.get();
    byte kindCode = h.get();
    long requestId = h.getLong();
    long length = Integer.toUnsignedLong(h.getInt());
    if (m0 != Frame.MAGIC_0 || m1 != Frame.MAGIC_1) {
      throw new MalformedFrameException("not a Coffer frame (bad magic)", 0);
    }
    if (version != Frame.VERSION) {
      throw new MalformedFrameException(
          "unsupported protocol version " + version + "; this side speaks " + Frame.VERSION,
          requestId);
    }
    Frame.Kind kind = Frame.Kind.fromCode(kindCode);
    if (kind == null) {
      throw new MalformedFrameException("unknown frame kind " + kindCode, requestId);
    }
    if (length > maxBodyBytes) {
      throw new MalformedFrameException(
          "frame body of " + length + " bytes exceeds the limit of " + maxBodyBytes + " bytes",
          requestId);
    }
    return new Header(kind, requestId, (int) length);
  }

  /** Writes one frame as a single buffer so concurrent writers can serialise on the stream. */
  public void write(OutputStream out, Frame frame) throws IOException {
    out.write(encode(frame));
    out.flush();
  }

  /** Encodes a frame, header and body, into one array. */
  public byte[] encode(Frame frame) {
    if (frame.body().length > maxBodyBytes) {
      throw new IllegalArgumentException(
          "frame body of " + frame.body().length + " bytes exceeds the limit of " + maxBodyBytes);
    }
    ByteBuffer b = ByteBuffer.allocate(Frame.HEADER_BYTES + frame.body().length);
    b.put(Frame.MAGIC_0).put(Frame.MAGIC_1).put(Frame.VERSION).put(frame.kind().code());
    b.putLong(frame.requestId()).putInt(frame.body().length).put(frame.body());
    return b.array();
  }

  private static void readFully(InputStream in, byte[] b, int off, int len) throws IOException {
    while (len > 0) {
      int n = in.read(b, off, len);
      if (n < 0) {
        throw new EOFException("stream ended inside a frame");
      }
      off += n;
      len -= n;
    }
  }

  /** A frame that cannot be read; the connection it came on is out of step. */
  public static final class MalformedFrameException extends IOException {
    private final long requestId;

    public MalformedFrameException(String message, long requestId) {
      super(message);
      this.requestId = requestId;
    }

    /** The request id from the header when it could be read, else 0. */
    public long requestId() {
      return requestId;
    }
  }
}
