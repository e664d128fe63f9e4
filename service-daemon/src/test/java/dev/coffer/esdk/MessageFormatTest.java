package dev.coffer.esdk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The message format on its own, with a local key-wrapping provider in place of the daemon
 * (the interoperability with the Encryption SDK for Java and the daemon is in the conformance
 * tests): round trips at every frame boundary, and every single-bit change, every truncation
 * and trailing bytes refused.
 */
class MessageFormatTest {

  static final String ARN = "arn:aws:kms:eu-west-2:111122223333:key/test";

  /** Wraps data keys with AES-GCM under a fixed key, the context as AAD (as KMS binds it). */
  static final class LocalKeys implements DataKeyProvider {
    private final SecretKeySpec kek;
    private final SecureRandom random = new SecureRandom();

    LocalKeys() {
      byte[] k = new byte[32];
      new SecureRandom().nextBytes(k);
      kek = new SecretKeySpec(k, "AES");
    }

    @Override
    public DataKey generate(EncryptionContext context) throws GeneralSecurityException {
      byte[] key = new byte[32];
      random.nextBytes(key);
      byte[] iv = new byte[12];
      random.nextBytes(iv);
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.ENCRYPT_MODE, kek, new GCMParameterSpec(128, iv));
      c.updateAAD(context.serialize());
      byte[] ct = c.doFinal(key);
      return new DataKey(key, EncryptedDataKey.awsKms(ARN,
          ByteBuffer.allocate(12 + ct.length).put(iv).put(ct).array()));
    }

    @Override
    public byte[] decrypt(List<EncryptedDataKey> keys, EncryptionContext context)
        throws GeneralSecurityException {
      byte[] blob = keys.get(0).ciphertext();
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.DECRYPT_MODE, kek, new GCMParameterSpec(128, blob, 0, 12));
      c.updateAAD(context.serialize());
      return c.doFinal(blob, 12, blob.length - 12);
    }
  }

  final LocalKeys keys = new LocalKeys();

  byte[] encrypt(AlgorithmSuite suite, int frame, byte[] plaintext, Map<String, String> ctx)
      throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    new MessageEncryptor(suite, frame).encrypt(new ByteArrayInputStream(plaintext), out,
        EncryptionContext.of(ctx), keys, Progress.NONE);
    return out.toByteArray();
  }

  byte[] decrypt(byte[] message, Map<String, String> expected) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    MessageDecryptor.decrypt(new ByteArrayInputStream(message), out, expected, keys,
        Progress.NONE);
    return out.toByteArray();
  }

  static byte[] random(int n) {
    byte[] b = new byte[n];
    new SecureRandom().nextBytes(b);
    return b;
  }

  @ParameterizedTest
  @EnumSource(AlgorithmSuite.class)
  void roundTrips_atEveryFrameBoundary(AlgorithmSuite suite) throws Exception {
    for (int n : new int[] {0, 1, 63, 64, 65, 127, 128, 129, 1000}) {
      byte[] p = random(n);
      byte[] m = encrypt(suite, 64, p, Map.of("tenant", "acme"));
      assertArrayEquals(p, decrypt(m, Map.of("tenant", "acme")), "size " + n);
      assertEquals(2, m[0], "format version 2");
      assertEquals(suite.id(), ((m[1] & 0xFF) << 8) | (m[2] & 0xFF));
    }
  }

  /** An input that hands out at most {@code chunk} bytes per read, as a pipe may. */
  static InputStream trickling(byte[] b, int chunk) {
    return new java.io.FilterInputStream(new ByteArrayInputStream(b)) {
      @Override
      public int read(byte[] buf, int off, int len) throws java.io.IOException {
        return super.read(buf, off, Math.min(len, chunk));
      }
    };
  }

  @ParameterizedTest
  @EnumSource(AlgorithmSuite.class)
  void roundTrips_acrossBatchBoundaries_withShortReads(AlgorithmSuite suite) throws Exception {
    int batch = MessageEncryptor.BATCH_BYTES;
    for (int frame : new int[] {4096, 1000, batch + 3}) {
      for (int n : new int[] {batch - 1, batch, batch + 1, 2 * batch + 4097, 3 * frame,
          5 * batch, 6 * batch + 1}) {
        byte[] p = random(n);
        ByteArrayOutputStream sealed = new ByteArrayOutputStream();
        new MessageEncryptor(suite, frame).encrypt(trickling(p, 7919), sealed,
            EncryptionContext.of(Map.of()), keys, Progress.NONE);
        byte[] m = sealed.toByteArray();
        long frames = Math.max(1, (n + frame - 1) / frame);
        if (!suite.signed()) {
          // Every frame but the final is full; the final frame adds its marker and length.
          assertEquals(n + frames * (4 + 12 + 16) + 8, m.length - headerLength(m),
              "frame " + frame + ", size " + n);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        MessageDecryptor.decrypt(trickling(m, 4099), out, Map.of(), keys, Progress.NONE);
        assertArrayEquals(p, out.toByteArray(), "frame " + frame + ", size " + n);
      }
    }
  }

  /** Frames so small that sealing multiplies them (1 byte seals to 41): batches hold fewer. */
  @Test
  void tinyFrames_roundTripAcrossSeveralBatches() throws Exception {
    AlgorithmSuite s = AlgorithmSuite.AES_256_GCM_HKDF_SHA512_COMMIT_KEY;
    for (int frame : new int[] {1, 2, 43, 44, 45}) {
      for (int n : new int[] {0, 1, 51149, 51150, 51151, 2 * MessageEncryptor.BATCH_BYTES + 7}) {
        byte[] p = random(n);
        byte[] m = encrypt(s, frame, p, Map.of());
        long frames = Math.max(1, (n + frame - 1) / frame);
        assertEquals(n + frames * (4 + 12 + 16) + 8, m.length - headerLength(m),
            "frame " + frame + ", size " + n);
        assertArrayEquals(p, decrypt(m, Map.of()), "frame " + frame + ", size " + n);
      }
    }
  }

  private int headerLength(byte[] m) throws Exception {
    return MessageHeader.read(new java.io.DataInputStream(new ByteArrayInputStream(m)))
        .bodyBytes().length + AlgorithmSuite.TAG_BYTES;
  }

  @Test
  void exactMultiple_endsWithAFullFinalFrame_asTheEsdkWritesIt() throws Exception {
    AlgorithmSuite s = AlgorithmSuite.AES_256_GCM_HKDF_SHA512_COMMIT_KEY;
    byte[] m = encrypt(s, 64, random(128), Map.of());
    // The final frame (marker, seq, IV, length 64, 64 + 16 bytes) closes the message.
    int finalFrame = m.length - (4 + 4 + 12 + 4 + 64 + 16);
    assertEquals(-1, ByteBuffer.wrap(m, finalFrame, 4).getInt());
    assertEquals(2, ByteBuffer.wrap(m, finalFrame + 4, 4).getInt());
    assertEquals(64, ByteBuffer.wrap(m, finalFrame + 20, 4).getInt());
  }

  @Test
  void signedSuite_carriesItsPublicKeyInTheContext_andAFooter() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    MessageHeader h = new MessageEncryptor(
        AlgorithmSuite.AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384, 4096).encrypt(
        new ByteArrayInputStream(random(10)), out, EncryptionContext.of(Map.of("a", "b")), keys,
        Progress.NONE);
    String pub = h.context().asMap().get(EncryptionContext.PUBLIC_KEY);
    assertEquals(49, java.util.Base64.getDecoder().decode(pub).length, "compressed P-384 point");
    assertEquals(List.of(EncryptedDataKey.awsKms(ARN, h.dataKeys().get(0).ciphertext())),
        h.dataKeys());
  }

  @Test
  void reservedContextPrefix_isRefusedOnEncryption() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> EncryptionContext.of(Map.of("aws-crypto-public-key", "x")));
    assertTrue(e.getMessage().contains("reserves"), e.getMessage());
  }

  @ParameterizedTest
  @EnumSource(AlgorithmSuite.class)
  void everySingleBitChange_isRefused(AlgorithmSuite suite) throws Exception {
    byte[] m = encrypt(suite, 64, random(150), Map.of("k", "v"));
    for (int i = 0; i < m.length; i++) {
      for (int bit : new int[] {0, 7}) {
        byte[] altered = m.clone();
        altered[i] ^= (byte) (1 << bit);
        try {
          decrypt(altered, Map.of());
          fail("a change to byte " + i + " of " + m.length + " was accepted");
        } catch (BadCiphertextException | GeneralSecurityException expected) {
          // Refused by the format checks, or by the key provider (context or blob altered).
        }
      }
    }
  }

  /**
   * Frames are opened in 1 MiB batches: wherever in a batch a damaged, misnumbered or swapped
   * frame lies, the error names it, and with several faults the first in frame order is named.
   */
  @Test
  void damageAnywhereInABatch_isNamedInFrameOrder() throws Exception {
    int frame = 4096;
    int frames = 3 * 256; // three 1 MiB batches of 256 frames
    byte[] p = random(frames * frame);
    byte[] m = encrypt(AlgorithmSuite.AES_256_GCM_HKDF_SHA512_COMMIT_KEY, frame, p, Map.of());
    int regular = 4 + 12 + frame + 16;
    int header = m.length - ((frames - 1) * regular + (4 + 4 + 12 + 4 + frame + 16));
    java.util.function.IntUnaryOperator ciphertextOf = k -> header + (k - 1) * regular + 16;
    assertArrayEquals(p, decrypt(m, Map.of()));
    for (int k : new int[] {3, 200, 256, 257, 500}) {
      byte[] altered = m.clone();
      altered[ciphertextOf.applyAsInt(k) + 100] ^= 1;
      BadCiphertextException e = assertThrows(BadCiphertextException.class,
          () -> decrypt(altered, Map.of()), "frame " + k);
      assertTrue(e.getMessage().contains("frame " + k + " does not authenticate"),
          k + ": " + e.getMessage());
    }
    byte[] both = m.clone();
    both[ciphertextOf.applyAsInt(150)] ^= 1;
    both[ciphertextOf.applyAsInt(20)] ^= 1;
    assertTrue(assertThrows(BadCiphertextException.class, () -> decrypt(both, Map.of()))
        .getMessage().contains("frame 20 does not authenticate"));
    // Frames 150 and 151 swapped: frame 150's place holds a frame numbered 151.
    byte[] swapped = m.clone();
    int at150 = header + 149 * regular;
    System.arraycopy(m, at150 + regular, swapped, at150, regular);
    System.arraycopy(m, at150, swapped, at150 + regular, regular);
    assertTrue(assertThrows(BadCiphertextException.class, () -> decrypt(swapped, Map.of()))
        .getMessage().contains("frame 150 is numbered 151"));
    // A damaged frame ahead of a misnumbered one in the same batch is named first.
    byte[] ahead = swapped.clone();
    ahead[ciphertextOf.applyAsInt(10)] ^= 1;
    assertTrue(assertThrows(BadCiphertextException.class, () -> decrypt(ahead, Map.of()))
        .getMessage().contains("frame 10 does not authenticate"));
  }

  @ParameterizedTest
  @EnumSource(AlgorithmSuite.class)
  void everyTruncation_andTrailingBytes_areRefused(AlgorithmSuite suite) throws Exception {
    byte[] m = encrypt(suite, 64, random(150), Map.of());
    for (int len = 0; len < m.length; len++) {
      byte[] cut = java.util.Arrays.copyOf(m, len);
      BadCiphertextException e = assertThrows(BadCiphertextException.class,
          () -> decrypt(cut, Map.of()), "cut to " + len);
      assertTrue(e.getMessage().contains("truncated") || e.getMessage().contains("signature"),
          len + ": " + e.getMessage());
    }
    byte[] longer = java.util.Arrays.copyOf(m, m.length + 1);
    assertTrue(assertThrows(BadCiphertextException.class, () -> decrypt(longer, Map.of()))
        .getMessage().contains("after the end"));
  }

  @Test
  void wrongCommitmentKey_isRefusedBeforeAnyFrameIsDecrypted() throws Exception {
    byte[] m = encrypt(AlgorithmSuite.AES_256_GCM_HKDF_SHA512_COMMIT_KEY, 64, random(150),
        Map.of());
    MessageHeader h = MessageHeader.read(new java.io.DataInputStream(
        new ByteArrayInputStream(m)));
    int commitAt = h.bodyBytes().length - AlgorithmSuite.COMMIT_KEY_BYTES;
    m[commitAt] ^= 1;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    BadCiphertextException e = assertThrows(BadCiphertextException.class,
        () -> MessageDecryptor.decrypt(new ByteArrayInputStream(m), out, Map.of(), keys,
            Progress.NONE));
    assertTrue(e.getMessage().contains("commitment"), e.getMessage());
    assertEquals(0, out.size(), "no plaintext released");
  }

  @Test
  void expectedContext_mustBeInTheMessage() throws Exception {
    byte[] m = encrypt(AlgorithmSuite.AES_256_GCM_HKDF_SHA512_COMMIT_KEY, 64, random(10),
        Map.of("tenant", "acme"));
    assertTrue(assertThrows(BadCiphertextException.class,
        () -> decrypt(m, Map.of("tenant", "globex"))).getMessage().contains("tenant"));
    assertThrows(BadCiphertextException.class, () -> decrypt(m, Map.of("other", "x")));
  }

  @Test
  void oversizedFrameLength_isRefusedBeforeAllocating() throws Exception {
    byte[] m = encrypt(AlgorithmSuite.AES_256_GCM_HKDF_SHA512_COMMIT_KEY, 64, random(10),
        Map.of());
    MessageHeader h = MessageHeader.read(new java.io.DataInputStream(
        new ByteArrayInputStream(m)));
    int frameAt = h.bodyBytes().length - AlgorithmSuite.COMMIT_KEY_BYTES - 4;
    ByteBuffer.wrap(m, frameAt, 4).putInt(-1);
    assertTrue(assertThrows(BadCiphertextException.class, () -> decrypt(m, Map.of()))
        .getMessage().contains("frame length"));
  }
  /**
   * An input that hands out {@code good} non-zero bytes, then fails, as a disk or pipe may;
   * it keeps every array it was asked to fill (the encryptor's plaintext buffers).
   */
  static final class FailingInput extends InputStream {
    final List<byte[]> filled = new java.util.ArrayList<>();
    private int left;

    FailingInput(int good) {
      left = good;
    }

    @Override
    public int read() throws java.io.IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
    }

    @Override
    public synchronized int read(byte[] b, int off, int len) throws java.io.IOException {
      if (left == 0) {
        throw new java.io.IOException("disk error");
      }
      filled.add(b);
      int n = Math.min(len, left);
      Arrays.fill(b, off, off + n, (byte) 0x5A);
      left -= n;
      return n;
    }
  }

  @Test
  void inputFailingMidBatch_leavesNoPlaintextInTheBuffers() throws Exception {
    int batch = MessageEncryptor.BATCH_BYTES;
    for (int good : new int[] {1000, batch + 1000, 3 * batch + 5}) {
      FailingInput in = new FailingInput(good);
      assertThrows(java.io.IOException.class, () -> new MessageEncryptor(
          AlgorithmSuite.AES_256_GCM_HKDF_SHA512_COMMIT_KEY, 4096).encrypt(in,
          new ByteArrayOutputStream(), EncryptionContext.of(Map.of()), keys, Progress.NONE));
      for (byte[] b : in.filled) {
        if (b.length > 1) {
          for (int i = 0; i < b.length; i++) {
            assertEquals(0, b[i], "byte " + i + " after " + good + " good bytes");
          }
        }
      }
    }
  }
  /** An output that keeps every array it is given (the decryptor's plaintext buffers). */
  static final class KeepingOutput extends java.io.OutputStream {
    final List<byte[]> given = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
    private final int failOnWrite;
    private int writes;

    KeepingOutput(int failOnWrite) {
      this.failOnWrite = failOnWrite;
    }

    @Override
    public void write(int b) {}

    @Override
    public void write(byte[] b, int off, int len) throws java.io.IOException {
      given.add(b);
      if (++writes == failOnWrite) {
        throw new java.io.IOException("disk full");
      }
    }
  }

  @Test
  void failedDecryption_leavesNoPlaintextInTheBuffers() throws Exception {
    int batch = MessageEncryptor.BATCH_BYTES;
    byte[] p = new byte[3 * batch + 5];
    Arrays.fill(p, (byte) 0x5A);
    byte[] m = encrypt(AlgorithmSuite.AES_256_GCM_HKDF_SHA512_COMMIT_KEY, 4096, p, Map.of());
    List<byte[]> cases = new java.util.ArrayList<>();
    byte[] flipped = m.clone();
    flipped[m.length - batch - 100] ^= 1; // in the last full batch: earlier ones were written
    cases.add(flipped);
    cases.add(Arrays.copyOf(m, m.length - 100));
    for (byte[] bad : cases) {
      KeepingOutput out = new KeepingOutput(0);
      assertThrows(BadCiphertextException.class, () -> MessageDecryptor.decrypt(
          new ByteArrayInputStream(bad), out, Map.of(), keys, Progress.NONE));
      assertZeroed(out.given);
    }
    for (int failOn : new int[] {1, 2, 3}) {
      KeepingOutput out = new KeepingOutput(failOn);
      assertThrows(java.io.IOException.class, () -> MessageDecryptor.decrypt(
          new ByteArrayInputStream(m), out, Map.of(), keys, Progress.NONE));
      assertZeroed(out.given);
    }
  }

  private static void assertZeroed(List<byte[]> arrays) {
    assertTrue(!arrays.isEmpty());
    for (byte[] b : arrays) {
      for (int i = 0; i < b.length; i++) {
        assertEquals(0, b[i], "byte " + i);
      }
    }
  }
}
