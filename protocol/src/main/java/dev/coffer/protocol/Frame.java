package dev.coffer.protocol;

import java.util.Arrays;

/**
 * One message on the Coffer socket: a fixed 16-byte header and a JSON body.
 *
 * <p>The header is {@code 'C' 'F' version kind requestId(u64) length(u32)}, big-endian. The
 * request id lets one connection carry several requests in flight; a response carries the id of
 * the request it answers. The body is UTF-8 JSON whose shape is documented in
 * {@code docs/protocol.md}.
 */
public record Frame(Kind kind, long requestId, byte[] body) {

  /** Header length in bytes. */
  public static final int HEADER_BYTES = 16;
  /** First two header bytes. */
  public static final byte MAGIC_0 = 'C';
  public static final byte MAGIC_1 = 'F';
  /** The only protocol version this build speaks. */
  public static final byte VERSION = 1;
  /** Default cap on a frame body: 64 KiB of payload plus headroom for JSON and base64. */
  public static final int DEFAULT_MAX_BODY_BYTES = 64 * 1024 + 32 * 1024;
  /**
   * Cap on a response or error frame body, 16 MiB, which clients accept whatever their request
   * cap. Responses can be larger than requests: the largest valid answer is a full page of a
   * list operation, such as 1,000 {@code ListKeys} entries (about 130 KB) or 100 grants whose
   * constraints are each as large as a default request frame carries (about 10 MB).
   */
  public static final int MAX_RESPONSE_BODY_BYTES = 16 * 1024 * 1024;

  /** What a frame carries. */
  public enum Kind {
    REQUEST((byte) 1),
    RESPONSE((byte) 2),
    ERROR((byte) 3);

    private final byte code;

    Kind(byte code) {
      this.code = code;
    }

    public byte code() {
      return code;
    }

    static Kind fromCode(byte code) {
      for (Kind k : values()) {
        if (k.code == code) {
          return k;
        }
      }
      return null;
    }
  }

  public Frame {
    if (kind == null || body == null) {
      throw new IllegalArgumentException("frame needs a kind and a body");
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Frame f
        && f.kind == kind
        && f.requestId == requestId
        && Arrays.equals(f.body, body);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * kind.hashCode() + Long.hashCode(requestId)) + Arrays.hashCode(body);
  }

  @Override
  public String toString() {
    // Bodies may hold plaintext or data keys: never print them.
    return "Frame[" + kind + ", id=" + requestId + ", " + body.length + " bytes]";
  }
}
