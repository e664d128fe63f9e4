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
 * from a stream in constant memory (a read-ahead window and a plaintext buffer of {@link
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
   * AES-GCM work. Returns the bytes read past the final frame (the footer, or trailing bytes).
   */
  private static InputStream readFrames(InputStream in, OutputStream out, int frameLength,
      FrameCipher frames, TrailingSignature verifier, Progress progress, long headerBytes)
      throws IOException, BadCiphertextException {
    int maxFrame = MessageEncryptor.FINAL_HEAD + frameLength + AlgorithmSuite.TAG_BYTES;
    // A frame's worth more than a batch: after moving a partial frame to the front, each read
    // still asks for a whole batch, which the CLI's buffered input passes straight through.
    Window input = new Window(in, Math.max(MessageEncryptor.BATCH_BYTES, frameLength) + maxFrame);
    byte[] plain = new byte[Math.max(MessageEncryptor.BATCH_BYTES, frameLength)];
    int held = 0;
    byte[] b = input.bytes;
    byte[] expectedIv = new byte[AlgorithmSuite.IV_BYTES];
    long consumed = headerBytes; // progress counts input bytes, as the bar's total is the file
    try {
      for (long seq = 1; ; seq++) {
        // need() may move the unread bytes to the front: offsets are taken after each call.
        int start = input.need(4);
        long first = Integer.toUnsignedLong(readInt(b, start));
        boolean last = first == 0xFFFFFFFFL;
        int head = last ? MessageEncryptor.FINAL_HEAD : 4 + AlgorithmSuite.IV_BYTES;
        start = input.need(head);
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
        if (held + length > plain.length) {
          out.write(plain, 0, held);
          held = 0;
          progress.consumed(consumed);
        }
        held += frames.open(seq, last, b, start + head, length, plain, held);
        if (verifier != null) {
          verifier.update(b, start, size);
        }
        input.consume(size);
        consumed += size;
        if (last) {
          out.write(plain, 0, held);
          progress.consumed(consumed);
          return input.rest();
        }
      }
    } catch (EOFException e) {
      throw new BadCiphertextException("the message is truncated: it ends before its final"
          + " frame");
    } finally {
      Arrays.fill(plain, (byte) 0);
    }
  }

  /** A read-ahead window over the input: frames are checked and opened where they lie in it. */
  private static final class Window {
    final byte[] bytes;
    private final InputStream in;
    private int pos; // the first byte not consumed
    private int limit; // the end of the bytes read

    Window(InputStream in, int capacity) {
      this.in = in;
      this.bytes = new byte[capacity];
    }

    /**
     * Makes the next {@code n} bytes (at most the capacity) available; returns their offset.
     *
     * @throws EOFException when the input ends first
     */
    int need(int n) throws IOException {
      if (limit - pos < n) {
        System.arraycopy(bytes, pos, bytes, 0, limit - pos);
        limit -= pos;
        pos = 0;
        while (limit < n) {
          int r = in.readNBytes(bytes, limit, bytes.length - limit);
          if (r == 0) {
            throw new EOFException();
          }
          limit += r;
        }
      }
      return pos;
    }

    void consume(int n) {
      pos += n;
    }

    /** The bytes read ahead and not consumed, then the rest of the input. */
    InputStream rest() {
      return new SequenceInputStream(new ByteArrayInputStream(bytes, pos, limit - pos), in);
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
