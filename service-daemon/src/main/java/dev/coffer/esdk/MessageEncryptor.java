package dev.coffer.esdk;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.List;

/**
 * Writes a version-2 framed message (ESDK spec, client-apis/encrypt.md) from a stream, in
 * constant memory (three batches of plaintext and two of ciphertext, each {@link #BATCH_BYTES}
 * or one frame, whichever is larger, and a sealed batch at most twice that): header body,
 * header tag,
 * regular frames of {@code frameLength} plaintext bytes, a final frame of 0 to {@code
 * frameLength} bytes, and for the signed suite a footer with the signature over all of it.
 *
 * <p>When the plaintext is an exact multiple of the frame length the last full frame is the
 * final frame (the spec's SHOULD), as the ESDK for Java writes it.
 */
public final class MessageEncryptor {

  private static final SecureRandom RANDOM = new SecureRandom();
  /** Frames in one message: the sequence number is a UInt32 and 0xFFFFFFFF marks the final. */
  static final long MAX_FRAMES = 0xFFFFFFFFL;
  /**
   * Plaintext bytes read, sealed and written at a time (whole frames; one frame when frames are
   * larger): with the batches read ahead and the sealed copies five times this in memory,
   * whatever the message size. As
   * large as the CLI's 1 MiB buffered streams, so both pass these reads and writes straight to
   * the file instead of copying them through their buffers (the JDK's {@code
   * BufferedInputStream}/{@code BufferedOutputStream} do so for requests of their size or more).
   */
  static final int BATCH_BYTES = 1 << 20;
  /** Bytes before a final frame's ciphertext: marker, sequence number, IV, length. */
  static final int FINAL_HEAD = 4 + 4 + AlgorithmSuite.IV_BYTES + 4;

  private final AlgorithmSuite suite;
  private final int frameLength;

  /**
   * @param frameLength plaintext bytes per frame, 1 to {@link MessageHeader#MAX_FRAME_LENGTH}
   *     (the ESDK's default is 4096)
   */
  public MessageEncryptor(AlgorithmSuite suite, int frameLength) {
    if (frameLength < 1 || frameLength > MessageHeader.MAX_FRAME_LENGTH) {
      throw new IllegalArgumentException("the frame size must be 1 to "
          + MessageHeader.MAX_FRAME_LENGTH + " bytes, got " + frameLength);
    }
    this.suite = suite;
    this.frameLength = frameLength;
  }

  /**
   * Encrypts all of {@code in} to {@code out} under a new data key from {@code keys}; returns
   * the header written. Neither stream is closed.
   *
   * @throws IOException from either stream, or when the input needs more than 2^32 - 1 frames
   */
  public MessageHeader encrypt(InputStream in, OutputStream out, EncryptionContext context,
      DataKeyProvider keys, Progress progress) throws Exception {
    TrailingSignature signer = suite.signed() ? TrailingSignature.newSigner() : null;
    EncryptionContext full = signer == null ? context
        : context.withPublicKey(signer.publicKeyBase64());
    byte[] messageId = new byte[AlgorithmSuite.MESSAGE_ID_BYTES];
    RANDOM.nextBytes(messageId);
    DataKeyProvider.DataKey dataKey = keys.generate(full);
    MessageHeader header;
    try (KeySchedule schedule = derive(dataKey.plaintext(), messageId)) {
      header = MessageHeader.create(suite, messageId, full, List.of(dataKey.encrypted()),
          frameLength, schedule.commitKey());
      FrameCipher frames = new FrameCipher(schedule.encryptionKey(), messageId);
      byte[] body = header.bodyBytes();
      byte[] tag = frames.headerTag(body);
      emit(out, signer, body, 0, body.length);
      emit(out, signer, tag, 0, tag.length);
      writeFrames(in, out, frames, signer, progress);
    }
    if (signer != null) {
      byte[] signature = signer.sign();
      out.write(new byte[] {(byte) (signature.length >>> 8), (byte) signature.length});
      out.write(signature);
    }
    out.flush();
    return header;
  }

  private KeySchedule derive(byte[] dataKey, byte[] messageId) {
    try {
      return new KeySchedule(suite, dataKey, messageId);
    } finally {
      Arrays.fill(dataKey, (byte) 0);
    }
  }

  /**
   * Seals the body in batches: one read of {@link #BATCH_BYTES} plaintext bytes, every frame in
   * it sealed straight into one output buffer, one write. Per frame that leaves only the
   * AES-GCM work (an {@code init}, the AAD, one {@code doFinal} into place): no stream call, copy
   * or allocation of Coffer's own. Batches are read two ahead: whether one holds the final frame
   * is whether anything follows it. While batch k is sealed, a {@link BackgroundIo} thread writes
   * batch k - 1 and reads batch k + 2 (three plaintext and two sealed buffers in turn); a
   * message of one batch does all of it on the caller's thread.
   */
  private void writeFrames(InputStream in, OutputStream out, FrameCipher frames,
      TrailingSignature signer, Progress progress) throws IOException {
    int sealedFrame = FINAL_HEAD + frameLength + AlgorithmSuite.TAG_BYTES;
    // Tiny frames grow many times when sealed (one byte takes 41): a batch of them is cut to
    // what seals into two batches' worth, or the two sealed buffers alone would take 82 MiB.
    int perBatch = Math.max(1, Math.min(BATCH_BYTES / frameLength, 2 * BATCH_BYTES / sealedFrame));
    int capacity = perBatch * frameLength;
    int sealedCapacity = perBatch * sealedFrame;
    // Allocated on first use and zeroed only as far as filled: a small message touches one
    // plaintext and one sealed buffer, not five (each a fresh, cache-cold megabyte).
    Batches plain = new Batches(capacity);
    byte[][] sealed = new byte[2][];
    long seq = 1;
    long consumed = 0;
    try (BackgroundIo io = new BackgroundIo()) {
      int n = plain.read(in, 0); // short only at the end of the input
      int following = n == capacity ? plain.read(in, 1) : 0;
      int written = 0; // sealed bytes of the previous batch, not yet written
      for (int k = 0; ; k++) {
        boolean lastBatch = following == 0;
        byte[] previous = sealed[(k + 1) % 2];
        int previousLength = written;
        int ahead = (k + 2) % 3;
        boolean readAhead = following == capacity;
        if (previousLength > 0 || readAhead) {
          io.start(() -> {
            if (previousLength > 0) {
              emit(out, signer, previous, 0, previousLength);
            }
            return readAhead ? plain.read(in, ahead) : 0;
          });
        }
        byte[] batch = plain.get(k % 3);
        if (sealed[k % 2] == null) {
          sealed[k % 2] = new byte[sealedCapacity];
        }
        byte[] into = sealed[k % 2];
        // The final batch ends with the final frame: 0 to frameLength bytes (a full one when
        // the plaintext is an exact multiple, as the ESDK writes it; an empty one for none).
        int count = lastBatch ? Math.max(1, (n + frameLength - 1) / frameLength) : perBatch;
        int w = 0;
        for (int i = 0; i < count; i++, seq++) {
          boolean last = lastBatch && i == count - 1;
          if (!last && seq >= MAX_FRAMES) {
            // A regular frame numbered 0xFFFFFFFF would read as the final-frame marker.
            throw new IOException("the input needs more than 2^32 - 1 frames of " + frameLength
                + " bytes; give a larger --frame-size");
          }
          int off = i * frameLength;
          w = sealFrame(frames, seq, last, batch, off, last ? n - off : frameLength, into, w);
        }
        int afterNext = io.await();
        consumed += n;
        progress.consumed(consumed);
        if (lastBatch) {
          emit(out, signer, into, 0, w);
          return;
        }
        written = w;
        n = following;
        following = afterNext;
      }
    } finally {
      plain.zero(); // after the background thread is done with them (closing io waits for it)
    }
  }

  /**
   * The plaintext batches in turn: each array made when a read first has a byte for it, and
   * zeroed at the end as far as any read filled it.
   */
  private static final class Batches {
    private final int capacity;
    private final byte[][] arrays = new byte[3][];
    private final int[] filled = new int[3];

    Batches(int capacity) {
      this.capacity = capacity;
    }

    /** Array {@code i}; empty when no read had a byte for it (an empty message). */
    byte[] get(int i) {
      return arrays[i] != null ? arrays[i] : new byte[0];
    }

    /** Reads up to a batch into array {@code i}; returns the bytes read, 0 at the end. */
    int read(InputStream in, int i) throws IOException {
      int first = in.read(); // one byte first: none left needs no array
      if (first < 0) {
        return 0;
      }
      if (arrays[i] == null) {
        arrays[i] = new byte[capacity];
      }
      int before = filled[i];
      // A read that fails part-way has filled bytes nobody can count: zero all of it then.
      filled[i] = capacity;
      arrays[i][0] = (byte) first;
      int n = 1 + in.readNBytes(arrays[i], 1, capacity - 1);
      filled[i] = Math.max(before, n);
      return n;
    }

    void zero() {
      for (int i = 0; i < arrays.length; i++) {
        if (arrays[i] != null) {
          Arrays.fill(arrays[i], 0, filled[i], (byte) 0);
        }
      }
    }
  }

  /**
   * Writes frame {@code seq} at {@code at} in {@code out}; returns where it ends.
   * Regular frame: seq (4) | IV (12) | ciphertext | tag (16).
   * Final frame: 0xFFFFFFFF | seq (4) | IV (12) | length (4) | ciphertext | tag (16).
   */
  private static int sealFrame(FrameCipher frames, long seq, boolean last, byte[] plain, int off,
      int len, byte[] out, int at) {
    if (last) {
      writeInt(out, at, 0xFFFFFFFF);
      at += 4;
    }
    writeInt(out, at, (int) seq);
    FrameCipher.writeIv(seq, out, at + 4);
    at += 4 + AlgorithmSuite.IV_BYTES;
    if (last) {
      writeInt(out, at, len);
      at += 4;
    }
    frames.seal(seq, last, plain, off, len, out, at);
    return at + len + AlgorithmSuite.TAG_BYTES;
  }

  private static void emit(OutputStream out, TrailingSignature signer, byte[] b, int off,
      int len) throws IOException {
    out.write(b, off, len);
    if (signer != null) {
      signer.update(b, off, len);
    }
  }

  static void writeInt(byte[] b, int at, int v) {
    b[at] = (byte) (v >>> 24);
    b[at + 1] = (byte) (v >>> 16);
    b[at + 2] = (byte) (v >>> 8);
    b[at + 3] = (byte) v;
  }
}
