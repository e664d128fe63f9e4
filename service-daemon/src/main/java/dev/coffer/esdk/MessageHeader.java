package dev.coffer.esdk;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The header body of a version-2 framed message (ESDK spec, data-format/message-header.md,
 * "Header Body Version 2.0"), big-endian, in this order: Version 0x02 (1 byte), Algorithm Suite
 * ID (2), Message ID (32), AAD length (UInt16) and the serialized encryption context, encrypted
 * data key count (UInt16, at least 1) and entries, Content Type 0x02 framed (1), Frame Length
 * (UInt32) and the suite data: the 32-byte commitment key. The header authentication that
 * follows it (a 16-byte AES-GCM tag) is handled by {@link MessageEncryptor} and {@link
 * MessageDecryptor}.
 *
 * <p>{@link #bodyBytes} are the exact bytes read or written; they are the AAD of the header tag
 * and the start of the signed bytes.
 */
public final class MessageHeader {

  static final int VERSION_2 = 0x02;
  static final int CONTENT_TYPE_FRAMED = 0x02;
  /**
   * Largest frame length this reader accepts: a frame is held in memory whole (AES-GCM releases
   * no plaintext before its tag verifies), so this bounds the reader's memory. The ESDK writes
   * 4096 by default.
   */
  public static final int MAX_FRAME_LENGTH = 1 << 22;
  /** Most encrypted data keys this reader accepts (the ESDK's max-encrypted-data-keys limit). */
  public static final int MAX_ENCRYPTED_DATA_KEYS = 16;

  private final AlgorithmSuite suite;
  private final byte[] messageId;
  private final EncryptionContext context;
  private final List<EncryptedDataKey> dataKeys;
  private final int frameLength;
  private final byte[] commitKey;
  private final byte[] bodyBytes;

  private MessageHeader(AlgorithmSuite suite, byte[] messageId, EncryptionContext context,
      List<EncryptedDataKey> dataKeys, int frameLength, byte[] commitKey, byte[] bodyBytes) {
    this.suite = suite;
    this.messageId = messageId;
    this.context = context;
    this.dataKeys = List.copyOf(dataKeys);
    this.frameLength = frameLength;
    this.commitKey = commitKey;
    this.bodyBytes = bodyBytes;
  }

  /** A new header with these fields, serialized. */
  static MessageHeader create(AlgorithmSuite suite, byte[] messageId, EncryptionContext context,
      List<EncryptedDataKey> dataKeys, int frameLength, byte[] commitKey) {
    if (frameLength < 1 || frameLength > MAX_FRAME_LENGTH) {
      throw new IllegalArgumentException("frame length must be 1 to " + MAX_FRAME_LENGTH
          + " bytes, got " + frameLength);
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeByte(VERSION_2);
      out.writeShort(suite.id());
      out.write(messageId);
      byte[] aad = context.serialize();
      out.writeShort(aad.length);
      out.write(aad);
      out.writeShort(dataKeys.size());
      for (EncryptedDataKey k : dataKeys) {
        byte[] id = k.providerId().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        out.writeShort(id.length);
        out.write(id);
        byte[] info = k.providerInfo();
        out.writeShort(info.length);
        out.write(info);
        byte[] ct = k.ciphertext();
        out.writeShort(ct.length);
        out.write(ct);
      }
      out.writeByte(CONTENT_TYPE_FRAMED);
      out.writeInt(frameLength);
      out.write(commitKey);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return new MessageHeader(suite, messageId.clone(), context, dataKeys, frameLength,
        commitKey.clone(), bytes.toByteArray());
  }

  /**
   * Reads a header body from {@code in}, keeping its exact bytes.
   *
   * @throws BadCiphertextException when the input ends inside the header or a field has a value
   *     the format (or this reader's limits above) does not allow
   */
  static MessageHeader read(DataInputStream in) throws BadCiphertextException, IOException {
    Recorder r = new Recorder(in);
    try {
      int version = r.u8();
      if (version != VERSION_2) {
        throw new BadCiphertextException(version == 0x01
            ? "this is a version 1 message (no key commitment); Coffer reads only version 2"
                + " messages with a committing algorithm suite"
            : String.format("not an AWS Encryption SDK message: the first byte is 0x%02X, not the"
                + " version 0x02", version));
      }
      AlgorithmSuite suite = AlgorithmSuite.byId(r.u16());
      byte[] messageId = r.bytes(AlgorithmSuite.MESSAGE_ID_BYTES);
      EncryptionContext context = EncryptionContext.parse(r.bytes(r.u16()));
      int count = r.u16();
      if (count == 0 || count > MAX_ENCRYPTED_DATA_KEYS) {
        throw new BadCiphertextException("the header lists " + count + " encrypted data keys;"
            + " a message has 1 to " + MAX_ENCRYPTED_DATA_KEYS + " here");
      }
      List<EncryptedDataKey> keys = new ArrayList<>(count);
      for (int i = 0; i < count; i++) {
        String providerId = new String(r.bytes(r.u16()), java.nio.charset.StandardCharsets.UTF_8);
        byte[] info = r.bytes(r.u16());
        keys.add(new EncryptedDataKey(providerId, info, r.bytes(r.u16())));
      }
      int contentType = r.u8();
      if (contentType != CONTENT_TYPE_FRAMED) {
        throw new BadCiphertextException(String.format("content type 0x%02X: Coffer reads only"
            + " framed messages (0x02), which every version 2 writer produces", contentType));
      }
      long frameLength = r.u32();
      if (frameLength < 1 || frameLength > MAX_FRAME_LENGTH) {
        throw new BadCiphertextException("frame length " + frameLength + " is outside 1 to "
            + MAX_FRAME_LENGTH + " bytes, the frames Coffer decrypts in bounded memory");
      }
      byte[] commitKey = r.bytes(AlgorithmSuite.COMMIT_KEY_BYTES);
      return new MessageHeader(suite, messageId, context, keys, (int) frameLength, commitKey,
          r.recorded());
    } catch (EOFException e) {
      throw new BadCiphertextException("the message is truncated: it ends inside the header");
    }
  }

  public AlgorithmSuite suite() {
    return suite;
  }

  byte[] messageId() {
    return messageId.clone();
  }

  public EncryptionContext context() {
    return context;
  }

  public List<EncryptedDataKey> dataKeys() {
    return dataKeys;
  }

  public int frameLength() {
    return frameLength;
  }

  byte[] commitKey() {
    return commitKey.clone();
  }

  byte[] bodyBytes() {
    return bodyBytes.clone();
  }

  /** Reads fields and keeps every byte read. */
  private static final class Recorder {
    private final DataInputStream in;
    private final ByteArrayOutputStream seen = new ByteArrayOutputStream();

    Recorder(DataInputStream in) {
      this.in = in;
    }

    int u8() throws IOException {
      return Byte.toUnsignedInt(bytes(1)[0]);
    }

    int u16() throws IOException {
      byte[] b = bytes(2);
      return (Byte.toUnsignedInt(b[0]) << 8) | Byte.toUnsignedInt(b[1]);
    }

    long u32() throws IOException {
      byte[] b = bytes(4);
      return ((long) u16of(b, 0) << 16) | u16of(b, 2);
    }

    private static int u16of(byte[] b, int at) {
      return (Byte.toUnsignedInt(b[at]) << 8) | Byte.toUnsignedInt(b[at + 1]);
    }

    byte[] bytes(int n) throws IOException {
      byte[] b = new byte[n];
      in.readFully(b);
      seen.write(b);
      return b;
    }

    byte[] recorded() {
      return seen.toByteArray();
    }
  }
}
