package dev.coffer.esdk;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The committing suites' key derivation (ESDK spec, framework/transitive-requirements.md, "HKDF
 * Encryption Key" and "HKDF Commit Key"): one HKDF-SHA512 extract (RFC 5869) with the 32-byte
 * message ID as salt and the 32-byte data key as input keying material, then two expands of 32
 * bytes each: the AES-256-GCM key with info = suite ID (2 bytes, big-endian) || "DERIVEKEY",
 * and the commitment key with info = "COMMITKEY".
 *
 * <p>Holds the derived key until {@link #close}, which zeroes every copy this class made.
 */
final class KeySchedule implements AutoCloseable {

  private static final byte[] DERIVE_KEY = "DERIVEKEY".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] COMMIT_KEY = "COMMITKEY".getBytes(StandardCharsets.US_ASCII);

  private final byte[] encryptionKey;
  private final byte[] commitKey;
  private final SecretKeySpec key;

  /** Derives both keys; the caller still owns (and zeroes) {@code dataKey}. */
  KeySchedule(AlgorithmSuite suite, byte[] dataKey, byte[] messageId) {
    if (dataKey.length != AlgorithmSuite.KEY_BYTES) {
      throw new IllegalArgumentException("the data key must be " + AlgorithmSuite.KEY_BYTES
          + " bytes, got " + dataKey.length);
    }
    byte[] prk = null;
    try {
      Mac extract = Mac.getInstance("HmacSHA512");
      extract.init(new SecretKeySpec(messageId, "HmacSHA512"));
      prk = extract.doFinal(dataKey);
      byte[] info = new byte[2 + DERIVE_KEY.length];
      info[0] = (byte) (suite.id() >>> 8);
      info[1] = (byte) suite.id();
      System.arraycopy(DERIVE_KEY, 0, info, 2, DERIVE_KEY.length);
      encryptionKey = expand(prk, info);
      commitKey = expand(prk, COMMIT_KEY);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA512 is missing from this JDK", e);
    } finally {
      if (prk != null) {
        Arrays.fill(prk, (byte) 0);
      }
    }
    key = new SecretKeySpec(encryptionKey, "AES");
  }

  /** HKDF-Expand for an output of at most one hash length: T(1) = HMAC(PRK, info || 0x01). */
  private static byte[] expand(byte[] prk, byte[] info) throws GeneralSecurityException {
    Mac mac = Mac.getInstance("HmacSHA512");
    SecretKeySpec prkKey = new SecretKeySpec(prk, "HmacSHA512");
    mac.init(prkKey);
    mac.update(info);
    mac.update((byte) 1);
    byte[] t1 = mac.doFinal();
    byte[] out = Arrays.copyOf(t1, AlgorithmSuite.KEY_BYTES);
    Arrays.fill(t1, (byte) 0);
    return out;
  }

  /** The AES-256-GCM key for the header tag and every frame. */
  SecretKeySpec encryptionKey() {
    return key;
  }

  /** A copy of the commitment key, written to the header on encryption. */
  byte[] commitKey() {
    return commitKey.clone();
  }

  /** Constant-time comparison with the commitment key a header carries. */
  boolean commitsTo(byte[] fromHeader) {
    return MessageDigest.isEqual(commitKey, fromHeader);
  }

  @Override
  public void close() {
    Arrays.fill(encryptionKey, (byte) 0);
    Arrays.fill(commitKey, (byte) 0);
    // SecretKeySpec (and SunJCE's expanded AES key) keep copies Java 17 offers no way to clear;
    // they become unreachable with this object (docs/file-encryption.md).
  }
}
