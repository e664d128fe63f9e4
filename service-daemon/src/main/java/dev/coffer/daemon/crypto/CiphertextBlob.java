package dev.coffer.daemon.crypto;

import dev.coffer.protocol.ErrorType;
import dev.coffer.protocol.KmsException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.UUID;

/**
 * The self-describing ciphertext blob that {@code Encrypt} returns and {@code Decrypt} reads.
 *
 * <pre>
 * offset size field
 *  0      1   format version (1)
 *  1     16   key id (UUID, big-endian)
 * 17      4   backing key version (u32)
 * 21     16   KDF nonce (random per request)
 * 37     12   AES-GCM IV (random per request)
 * 49      n   ciphertext
 * 49+n   16   GCM tag
 * </pre>
 *
 * The first 49 bytes (the header) and the canonical encryption context are the GCM additional
 * data, so no header field can be changed without the tag failing. See {@code
 * docs/ciphertext-format.md}.
 */
public record CiphertextBlob(UUID keyId, int version, byte[] nonce, byte[] iv, byte[] sealed) {

  public static final byte FORMAT_VERSION = 1;
  public static final int NONCE_BYTES = 16;
  public static final int IV_BYTES = 12;
  public static final int TAG_BYTES = 16;
  public static final int HEADER_BYTES = 1 + 16 + 4 + NONCE_BYTES + IV_BYTES;
  /** AWS's limit on a ciphertext blob. */
  public static final int MAX_BYTES = 6144;

  public CiphertextBlob {
    if (nonce.length != NONCE_BYTES || iv.length != IV_BYTES || sealed.length < TAG_BYTES) {
      throw new IllegalArgumentException("malformed blob fields");
    }
    nonce = nonce.clone();
    iv = iv.clone();
    sealed = sealed.clone();
  }

  /** The header bytes, which are authenticated as AAD. */
  public byte[] header() {
    ByteBuffer b = ByteBuffer.allocate(HEADER_BYTES);
    b.put(FORMAT_VERSION)
        .putLong(keyId.getMostSignificantBits())
        .putLong(keyId.getLeastSignificantBits())
        .putInt(version)
        .put(nonce)
        .put(iv);
    return b.array();
  }

  @Override
  public byte[] nonce() {
    return nonce.clone();
  }

  @Override
  public byte[] iv() {
    return iv.clone();
  }

  @Override
  public byte[] sealed() {
    return sealed.clone();
  }

  public byte[] toBytes() {
    return ByteBuffer.allocate(HEADER_BYTES + sealed.length).put(header()).put(sealed).array();
  }

  /** Parses a blob; anything that is not one is an {@code InvalidCiphertextException}. */
  public static CiphertextBlob parse(byte[] blob) {
    if (blob == null || blob.length < HEADER_BYTES + TAG_BYTES || blob.length > MAX_BYTES) {
      throw invalid();
    }
    ByteBuffer b = ByteBuffer.wrap(blob);
    if (b.get() != FORMAT_VERSION) {
      throw invalid();
    }
    UUID keyId = new UUID(b.getLong(), b.getLong());
    int version = b.getInt();
    if (version < 1) {
      throw invalid();
    }
    byte[] nonce = new byte[NONCE_BYTES];
    byte[] iv = new byte[IV_BYTES];
    b.get(nonce).get(iv);
    byte[] sealed = Arrays.copyOfRange(blob, HEADER_BYTES, blob.length);
    return new CiphertextBlob(keyId, version, nonce, iv, sealed);
  }

  public static KmsException invalid() {
    return new KmsException(
        ErrorType.INVALID_CIPHERTEXT,
        "the ciphertext blob is not valid for this key and encryption context; check that the"
            + " blob is complete and unmodified and that the encryption context matches exactly");
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof CiphertextBlob c && Arrays.equals(c.toBytes(), toBytes());
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(toBytes());
  }

  @Override
  public String toString() {
    return "CiphertextBlob[key=" + keyId + ", version=" + version + ", "
        + (sealed.length - TAG_BYTES) + " bytes]";
  }
}
