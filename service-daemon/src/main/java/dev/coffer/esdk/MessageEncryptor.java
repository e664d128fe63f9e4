package dev.coffer.esdk;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.List;

/**
 * Writes a version-2 framed message (ESDK spec, client-apis/encrypt.md) from a stream, in
 * constant memory (one frame of plaintext and one of ciphertext): header body, header tag,
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

  private void writeFrames(InputStream in, OutputStream out, FrameCipher frames,
      TrailingSignature signer, Progress progress) throws IOException {
    // Regular frame: seq (4) | IV (12) | ciphertext | tag (16).
    // Final frame:   0xFFFFFFFF | seq (4) | IV (12) | length (4) | ciphertext | tag (16).
    int head = 4 + 4 + AlgorithmSuite.IV_BYTES + 4;
    byte[] plain = new byte[frameLength];
    byte[] frame = new byte[head + frameLength + AlgorithmSuite.TAG_BYTES];
    long consumed = 0;
    try {
      int n = in.readNBytes(plain, 0, frameLength);
      for (long seq = 1; ; seq++) {
        boolean last = n < frameLength;
        int next = -1;
        if (!last) {
          next = in.read();
          last = next < 0;
        }
        if (!last && seq >= MAX_FRAMES) {
          // A regular frame numbered 0xFFFFFFFF would read as the final-frame marker.
          throw new IOException("the input needs more than 2^32 - 1 frames of " + frameLength
              + " bytes; give a larger --frame-size");
        }
        int at;
        if (last) {
          writeInt(frame, 0, 0xFFFFFFFF);
          writeInt(frame, 4, (int) seq);
          FrameCipher.writeIv(seq, frame, 8);
          writeInt(frame, 8 + AlgorithmSuite.IV_BYTES, n);
          at = head;
        } else {
          writeInt(frame, 0, (int) seq);
          FrameCipher.writeIv(seq, frame, 4);
          at = 4 + AlgorithmSuite.IV_BYTES;
        }
        frames.seal(seq, last, plain, 0, n, frame, at);
        emit(out, signer, frame, 0, at + n + AlgorithmSuite.TAG_BYTES);
        consumed += n;
        progress.consumed(consumed);
        if (last) {
          return;
        }
        plain[0] = (byte) next;
        n = 1 + in.readNBytes(plain, 1, frameLength - 1);
      }
    } finally {
      Arrays.fill(plain, (byte) 0);
    }
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
