package dev.coffer.esdk;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.SequenceInputStream;
import java.util.Arrays;
import java.util.Map;

/**
 * Reads a version-2 framed message with a committing suite (ESDK spec, client-apis/decrypt.md)
 * from a stream in constant memory (two read-ahead windows and two plaintext buffers of {@link
 * MessageEncryptor#BATCH_BYTES} or one frame, whichever is larger), in this order: the header,
 * the data key (from the first entry the {@link DataKeyProvider} can decrypt), the commitment
 * check (constant time, before any frame is decrypted), the header tag, each frame in sequence,
 * the footer signature (signed suite) and the end of the input.
 *
 * <p>Plaintext goes to {@code out} in batches of frames, each frame once it authenticates, but
 * the message as a whole is authentic only when {@link #decrypt} returns: callers must hold the
 * output back (a temporary file renamed on success) until then. Every failure is a {@link
 * BadCiphertextException} naming its cause: truncated, altered, wrong context, wrong key,
 * trailing bytes.
 */
public final class MessageDecryptor {

  private MessageDecryptor() {}

  /**
   * Decrypts {@code in} to {@code out}; returns the header (its context includes the signed
   * suite's public-key entry).
   *
   * @param expected pairs the message's encryption context must contain (as the ESDK for Java
   *     3.x checks the context given to {@code decryptData}); empty to accept any
   * @throws BadCiphertextException when the message is malformed, truncated, altered or does
   *     not carry the expected context
   * @throws Exception from {@code keys} when no data key entry can be decrypted
   */
  public static MessageHeader decrypt(InputStream in, OutputStream out,
      Map<String, String> expected, DataKeyProvider keys, Progress progress) throws Exception {
    DataInputStream data = new DataInputStream(in);
    MessageHeader header = MessageHeader.read(data);
    checkContext(header, expected);
    TrailingSignature verifier = null;
    String publicKey = header.context().asMap().get(EncryptionContext.PUBLIC_KEY);
    if (header.suite().signed()) {
      if (publicKey == null) {
        throw new BadCiphertextException("the signed suite's message has no "
            + EncryptionContext.PUBLIC_KEY + " in its encryption context");
      }
      verifier = TrailingSignature.verifier(publicKey);
    } else if (publicKey != null) {
      throw new BadCiphertextException("an unsigned message carries a "
          + EncryptionContext.PUBLIC_KEY + " context entry, which only signed suites have");
    }
    byte[] body = header.bodyBytes();
    byte[] tag = readFully(data, AlgorithmSuite.TAG_BYTES, "the header");
    byte[] dataKey = keys.decrypt(header.dataKeys(), header.context());
    try (KeySchedule schedule = derive(header.suite(), dataKey, header.messageId())) {
      if (!schedule.commitsTo(header.commitKey())) {
        throw new BadCiphertextException("the data key does not match the header's commitment"
            + " key: the message was altered or built to open under two keys");
      }
      FrameCipher frames = new FrameCipher(schedule.encryptionKey(), header.messageId());
      frames.verifyHeaderTag(body, tag);
      if (verifier != null) {
        verifier.update(body);
        verifier.update(tag);
      }
      data = new DataInputStream(readFrames(data, out, header.frameLength(), frames, verifier,
          progress, body.length + tag.length));
    }
    if (verifier != null) {
      int length = Short.toUnsignedInt(readShort(data, "the footer"));
      byte[] signature = readFully(data, length, "the footer");
      if (!verifier.verify(signature)) {
        throw new BadCiphertextException("the message's signature does not verify: the"
            + " message was altered");
      }
    }
    if (data.read() >= 0) {
      throw new BadCiphertextException("the input has bytes after the end of the message");
    }
    out.flush();
    return header;
  }

  private static KeySchedule derive(AlgorithmSuite suite, byte[] dataKey, byte[] messageId)
      throws BadCiphertextException {
    try {
      if (dataKey.length != AlgorithmSuite.KEY_BYTES) {
        throw new BadCiphertextException("the data key is " + dataKey.length + " bytes, not "
            + AlgorithmSuite.KEY_BYTES);
      }
      return new KeySchedule(suite, dataKey, messageId);
    } finally {
      Arrays.fill(dataKey, (byte) 0);
    }
  }

  private static void checkContext(MessageHeader header, Map<String, String> expected)
      throws BadCiphertextException {
    Map<String, String> actual = header.context().asMap();
    for (Map.Entry<String, String> e : expected.entrySet()) {
      if (!e.getValue().equals(actual.get(e.getKey()))) {
        throw new BadCiphertextException("the message's encryption context "
            + (actual.containsKey(e.getKey()) ? "has another value for" : "has no")
            + " key '" + e.getKey() + "' given with --encryption-context");
      }
    }
  }

  /**
   * Opens the frames in batches: the input is read {@link MessageEncryptor#BATCH_BYTES} at a
   * time and each frame opened where it lies, its plaintext gathered into one buffer that is
   * written when the next frame would not fit. Per frame that leaves only the checks and the
   * AES-GCM work. The next batch is read, and the last plaintext batch written, on {@link
   * BackgroundIo} threads while this one opens frames. Returns the bytes read past the final
   * frame (the footer, or trailing bytes).
   */
  private static InputStream readFrames(InputStream in, OutputStream out, int frameLength,
      FrameCipher frames, TrailingSignature verifier, Progress progress, long headerBytes)
      throws IOException, BadCiphertextException {
    int maxFrame = MessageEncryptor.FINAL_HEAD + frameLength + AlgorithmSuite.TAG_BYTES;
    int batch = Math.max(MessageEncryptor.BATCH_BYTES, frameLength);
    // The second buffer is made when the first is full, and each zeroed as far as it was used.
    byte[][] plain = {new byte[batch], null};
    int[] used = new int[2];
    int p = 0; // plain[p] gathers; plain[1 - p] may still be being written
    int held = 0;
    byte[] expectedIv = new byte[AlgorithmSuite.IV_BYTES];
    long consumed = headerBytes; // progress counts input bytes, as the bar's total is the file
    try (Window input = new Window(in, batch, maxFrame); BackgroundIo writes = new BackgroundIo()) {
      for (long seq = 1; ; seq++) {
        // need() may move to the other buffer: the array and offsets are taken after each call.
        int start = input.need(4);
        long first = Integer.toUnsignedLong(readInt(input.bytes(), start));
        boolean last = first == 0xFFFFFFFFL;
        int head = last ? MessageEncryptor.FINAL_HEAD : 4 + AlgorithmSuite.IV_BYTES;
        start = input.need(head);
        byte[] b = input.bytes();
        int ivAt = start + (last ? 8 : 4);
        if (last) {
          first = Integer.toUnsignedLong(readInt(b, start + 4));
        }
        int length = last ? readInt(b, start + 8 + AlgorithmSuite.IV_BYTES) : frameLength;
        if (length < 0 || length > frameLength) {
          throw new BadCiphertextException("the final frame claims " + Integer
              .toUnsignedLong(length) + " bytes, more than the frame length " + frameLength);
        }
        if (first != seq) {
          throw new BadCiphertextException("frame " + seq + " is numbered " + first
              + ": frames were removed, repeated or reordered");
        }
        FrameCipher.writeIv(seq, expectedIv, 0);
        if (!Arrays.equals(b, ivAt, ivAt + expectedIv.length, expectedIv, 0,
            expectedIv.length)) {
          throw new BadCiphertextException("frame " + seq + " has an IV other than its sequence"
              + " number, which every version 2 writer uses");
        }
        int size = head + length + AlgorithmSuite.TAG_BYTES;
        start = input.need(size);
        b = input.bytes();
        if (held + length > batch) {
          writes.await(); // the other buffer is written: it gathers next
          byte[] full = plain[p];
          int fullLength = held;
          used[p] = Math.max(used[p], held);
          writes.start(() -> {
            out.write(full, 0, fullLength);
            return 0;
          });
          p = 1 - p;
          held = 0;
          if (plain[p] == null) {
            plain[p] = new byte[batch];
          }
          progress.consumed(consumed);
        }
        held += frames.open(seq, last, b, start + head, length, plain[p], held);
        used[p] = Math.max(used[p], held);
        if (verifier != null) {
          verifier.update(b, start, size);
        }
        input.consume(size);
        consumed += size;
        if (last) {
          writes.await();
          out.write(plain[p], 0, held);
          progress.consumed(consumed);
          return input.rest();
        }
      }
    } catch (EOFException e) {
      throw new BadCiphertextException("the message is truncated: it ends before its final"
          + " frame");
    } finally {
      for (int i = 0; i < plain.length; i++) {
        if (plain[i] != null) {
          Arrays.fill(plain[i], 0, used[i], (byte) 0);
        }
      }
    }
  }

  /**
   * A read-ahead window over the input, frames checked and opened where they lie in it: two
   * buffers, one being read into on a {@link BackgroundIo} thread while the other is consumed.
   * Each read lands {@code reserve} bytes into its buffer, so the unconsumed tail of the other
   * (less than a frame) can be put in front of it with one short copy.
   */
  private static final class Window implements AutoCloseable {
    private final InputStream in;
    private final int chunk; // bytes asked for per read
    private final int reserve; // room before them for the tail carried over
    private final BackgroundIo reads = new BackgroundIo();
    private byte[] bytes;
    private byte[] spare;
    private int pos; // the first byte not consumed
    private int limit; // the end of the bytes read
    private boolean ended; // a read came back short: the input has ended

    Window(InputStream in, int chunk, int reserve) {
      this.in = in;
      this.chunk = chunk;
      this.reserve = reserve;
      this.bytes = new byte[0]; // both buffers are made by the reads that first fill them
      this.spare = bytes;
    }

    byte[] bytes() {
      return bytes;
    }

    /**
     * Makes the next {@code n} bytes (at most {@code reserve}) available; returns their offset
     * in {@link #bytes()}.
     *
     * @throws EOFException when the input ends first
     */
    int need(int n) throws IOException {
      while (limit - pos < n) {
        int r = reads.running() ? reads.await() : ended ? 0 : readIntoSpare();
        ended = r < chunk;
        if (r == 0) {
          throw new EOFException();
        }
        int tail = limit - pos;
        System.arraycopy(bytes, pos, spare, reserve - tail, tail);
        byte[] t = bytes;
        bytes = spare;
        spare = t;
        pos = reserve - tail;
        limit = reserve + r;
        if (!ended) {
          reads.start(this::readIntoSpare);
        }
      }
      return pos;
    }

    /**
     * Reads up to {@code chunk} bytes {@code reserve} bytes into the spare buffer, making it on
     * the first byte (a message that ends here needs none); runs on the background thread
     * while {@code bytes} is consumed, which is why it touches only {@code spare}.
     */
    private int readIntoSpare() throws IOException {
      int first = in.read();
      if (first < 0) {
        return 0;
      }
      if (spare.length == 0) {
        spare = new byte[reserve + chunk];
      }
      spare[reserve] = (byte) first;
      return 1 + in.readNBytes(spare, reserve + 1, chunk - 1);
    }

    void consume(int n) {
      pos += n;
    }

    /** The bytes read ahead and not consumed, then the rest of the input. */
    InputStream rest() throws IOException {
      InputStream unread = new ByteArrayInputStream(bytes, pos, limit - pos);
      if (!reads.running()) {
        return new SequenceInputStream(unread, in);
      }
      int r = reads.await();
      return new SequenceInputStream(unread,
          new SequenceInputStream(new ByteArrayInputStream(spare, reserve, r), in));
    }

    @Override
    public void close() {
      reads.close();
    }
  }

  private static int readInt(byte[] b, int at) {
    return ((b[at] & 0xFF) << 24) | ((b[at + 1] & 0xFF) << 16) | ((b[at + 2] & 0xFF) << 8)
        | (b[at + 3] & 0xFF);
  }

  private static short readShort(DataInputStream in, String where)
      throws IOException, BadCiphertextException {
    try {
      return in.readShort();
    } catch (EOFException e) {
      throw new BadCiphertextException("the message is truncated: it ends inside " + where);
    }
  }

  private static byte[] readFully(DataInputStream in, int n, String where)
      throws IOException, BadCiphertextException {
    byte[] b = new byte[n];
    try {
      in.readFully(b);
      return b;
    } catch (EOFException e) {
      throw new BadCiphertextException("the message is truncated: it ends inside " + where);
    }
  }
}
