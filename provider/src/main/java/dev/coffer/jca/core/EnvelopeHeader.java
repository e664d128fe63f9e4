package dev.coffer.jca.core;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import javax.crypto.AEADBadTagException;

/**
 * The envelope header (format versions 1 and 2, same layout), see {@code
 * docs/envelope-format.md}:
 *
 * <pre>
 * u8  version = 0x01 (per-message key, any IV) or 0x02 (session key, provider-chosen IV)
 * u8  log2 of the segment plaintext size = 16 (64 KiB)
 * u16 length n of the encrypted data key (1..6144), big-endian
 * n   encrypted data key (the daemon's ciphertext blob)
 * 16  salt: random per message (v1) or per session of one data key (v2)
 * u8  IV length m (1..64; exactly 12 in v2)
 * m   IV (v1: the caller's GCMParameterSpec IV; v2: the provider's unique nonce base)
 * </pre>
 *
 * Every length is checked before anything is allocated. Encryption builds a header ({@link
 * #create}); decryption reads one in place in the caller's input (the static accessors).
 */
final class EnvelopeHeader {

  static final int VERSION_1 = 1;
  static final int VERSION_2 = 2;
  static final int SEGMENT_SHIFT = 16;
  static final int SEGMENT_SIZE = 1 << SEGMENT_SHIFT;
  static final int TAG_SIZE = 16;
  static final int SALT_SIZE = 16;
  static final int MAX_ENCRYPTED_KEY = 6144;
  static final int MAX_IV = 64;
  static final int FIXED_PREFIX = 4;
  static final byte[] KEY_LABEL = "coffer-envelope-v1 message key\0".getBytes(StandardCharsets.US_ASCII);
  static final byte[] SESSION_LABEL =
      "coffer-envelope-v2 session key\0".getBytes(StandardCharsets.US_ASCII);

  final int version;
  final byte[] encoded;
  final byte[] iv;

  private EnvelopeHeader(int version, byte[] encoded, byte[] iv) {
    this.version = version;
    this.encoded = encoded;
    this.iv = iv;
  }

  /** A version-1 header. */
  static EnvelopeHeader create(byte[] encryptedKey, byte[] salt, byte[] iv) {
    return create(VERSION_1, encryptedKey, salt, iv);
  }

  /** Takes the arrays as they are (no copies): callers must not change them afterwards. */
  static EnvelopeHeader create(int version, byte[] encryptedKey, byte[] salt, byte[] iv) {
    if (encryptedKey.length < 1 || encryptedKey.length > MAX_ENCRYPTED_KEY) {
      throw new IllegalArgumentException("encrypted data key of " + encryptedKey.length + " bytes");
    }
    if (iv.length < 1 || iv.length > MAX_IV || salt.length != SALT_SIZE) {
      throw new IllegalArgumentException("IV must be 1.." + MAX_IV + " bytes");
    }
    if ((version != VERSION_1 && version != VERSION_2) || (version == VERSION_2 && iv.length != 12)) {
      throw new IllegalArgumentException("version " + version + " with a " + iv.length + "-byte IV");
    }
    int n = encryptedKey.length;
    byte[] h = new byte[FIXED_PREFIX + n + SALT_SIZE + 1 + iv.length];
    h[0] = (byte) version;
    h[1] = SEGMENT_SHIFT;
    h[2] = (byte) (n >>> 8);
    h[3] = (byte) n;
    System.arraycopy(encryptedKey, 0, h, FIXED_PREFIX, n);
    System.arraycopy(salt, 0, h, FIXED_PREFIX + n, SALT_SIZE);
    h[FIXED_PREFIX + n + SALT_SIZE] = (byte) iv.length;
    System.arraycopy(iv, 0, h, FIXED_PREFIX + n + SALT_SIZE + 1, iv.length);
    return new EnvelopeHeader(version, h, iv);
  }

  /**
   * The version-2 header without its trailing 12-byte IV: constant for every message of one
   * session, and the HMAC input of the session key, which so binds all of it.
   */
  static byte[] sessionPrefix(byte[] encryptedKey, byte[] salt) {
    byte[] full = create(VERSION_2, encryptedKey, salt, new byte[12]).encoded;
    return Arrays.copyOf(full, full.length - 12);
  }

  static int length(int encryptedKeyLength, int ivLength) {
    return FIXED_PREFIX + encryptedKeyLength + SALT_SIZE + 1 + ivLength;
  }

  /**
   * How many header bytes {@code prefix} (the first {@code have} bytes of a message) needs in
   * total, or -1 if that is not known yet. Rejects malformed prefixes at once.
   */
  static int requiredLength(byte[] prefix, int have) throws AEADBadTagException {
    return requiredLength(prefix, 0, have);
  }

  /** As {@link #requiredLength(byte[], int)} for a prefix starting at {@code off}. */
  static int requiredLength(byte[] prefix, int off, int have) throws AEADBadTagException {
    int version = have >= 1 ? prefix[off] & 0xff : 0;
    if (have >= 1 && version != VERSION_1 && version != VERSION_2) {
      throw JcaErrors.badTag();
    }
    if (have >= 2 && (prefix[off + 1] & 0xff) != SEGMENT_SHIFT) {
      throw JcaErrors.badTag();
    }
    if (have < FIXED_PREFIX) {
      return -1;
    }
    int n = encryptedKeyLength(prefix, off);
    if (n < 1 || n > MAX_ENCRYPTED_KEY) {
      throw JcaErrors.badTag();
    }
    int ivAt = FIXED_PREFIX + n + SALT_SIZE;
    if (have <= ivAt) {
      return -1;
    }
    int m = prefix[off + ivAt] & 0xff;
    if (m < 1 || m > MAX_IV || (version == VERSION_2 && m != 12)) {
      throw JcaErrors.badTag();
    }
    return ivAt + 1 + m;
  }

  // The accessors below read a complete header in place, at h[off..] (requiredLength checked it):
  // decryption never copies a header out of the caller's input.

  /** The format version of the header at {@code h[off..]}. */
  static int version(byte[] h, int off) {
    return h[off] & 0xff;
  }

  /** Where the IV of the header at {@code h[off..]} starts, relative to {@code off}. */
  static int ivOffset(byte[] h, int off) {
    return FIXED_PREFIX + encryptedKeyLength(h, off) + SALT_SIZE + 1;
  }

  private static int encryptedKeyLength(byte[] h, int off) {
    return ((h[off + 2] & 0xff) << 8) | (h[off + 3] & 0xff);
  }

  /** Whether the header at {@code h[off..]} carries {@code edk} as its encrypted data key. */
  static boolean encryptedKeyEquals(byte[] h, int off, byte[] edk) {
    int at = off + FIXED_PREFIX;
    return Arrays.equals(edk, 0, edk.length, h, at, at + encryptedKeyLength(h, off));
  }

  /** A copy of the encrypted data key of the header at {@code h[off..]}. */
  static byte[] encryptedKey(byte[] h, int off) {
    int at = off + FIXED_PREFIX;
    return Arrays.copyOfRange(h, at, at + encryptedKeyLength(h, off));
  }

  /** This header's base nonce, in an array of the caller's own. */
  byte[] baseNonce() {
    return baseNonce(iv.clone(), iv.length);
  }

  /**
   * The 12-byte base nonce of the IV {@code iv[0..len)}: the IV itself when 12 bytes (this very
   * array, not a copy), else the first 12 bytes of SHA-256(IV).
   */
  static byte[] baseNonce(byte[] iv, int len) {
    return len == 12 ? iv : hashedNonce(iv, len);
  }

  private static byte[] hashedNonce(byte[] iv, int len) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update(iv, 0, len);
      return Arrays.copyOf(sha.digest(), 12);
    } catch (GeneralSecurityException e) {
      throw new java.security.ProviderException("SHA-256 is not available", e);
    }
  }

  /** Writes the nonce of segment {@code index} into {@code out}: base XOR (0^7 || u32 index || last). */
  static void segmentNonce(byte[] base, long index, boolean last, byte[] out) {
    System.arraycopy(base, 0, out, 0, 12);
    out[7] ^= (byte) (index >>> 24);
    out[8] ^= (byte) (index >>> 16);
    out[9] ^= (byte) (index >>> 8);
    out[10] ^= (byte) index;
    out[11] ^= (byte) (last ? 1 : 0);
  }

  /** Segments (each with a tag) a plaintext of {@code length} bytes is split into. */
  static long segments(long length) {
    return length == 0 ? 1 : (length + SEGMENT_SIZE - 1) >>> SEGMENT_SHIFT;
  }
}
