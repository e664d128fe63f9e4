package dev.coffer.daemon.audit;

/**
 * A growable byte buffer whose array {@link AuditLog}'s appender hashes and writes without
 * copying (a {@link java.io.ByteArrayOutputStream} would copy on every read). Not thread-safe:
 * only the appender thread uses it.
 */
final class GrowableBuffer {
  private byte[] buf = new byte[1 << 16];
  private int size;

  void write(byte[] b, int off, int len) {
    if (size + len > buf.length) {
      buf = java.util.Arrays.copyOf(buf, Math.max(buf.length * 2, size + len));
    }
    System.arraycopy(b, off, buf, size, len);
    size += len;
  }

  byte[] array() {
    return buf;
  }

  int size() {
    return size;
  }

  void reset() {
    size = 0;
  }
}
