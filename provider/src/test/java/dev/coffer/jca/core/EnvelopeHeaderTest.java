package dev.coffer.jca.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import javax.crypto.AEADBadTagException;
import org.junit.jupiter.api.Test;

class EnvelopeHeaderTest {

  private static final byte[] EDK = new byte[100];
  private static final byte[] SALT = new byte[16];
  private static final byte[] IV = new byte[12];

  @Test
  void createdHeader_readsBackInPlace() throws Exception {
    EnvelopeHeader h = EnvelopeHeader.create(EDK, SALT, IV);
    assertEquals(EnvelopeHeader.length(100, 12), h.encoded.length);
    byte[] framed = new byte[7 + h.encoded.length + 5];
    System.arraycopy(h.encoded, 0, framed, 7, h.encoded.length);
    assertEquals(h.encoded.length, EnvelopeHeader.requiredLength(framed, 7, framed.length - 7));
    assertEquals(EnvelopeHeader.VERSION_1, EnvelopeHeader.version(framed, 7));
    assertArrayEquals(EDK, EnvelopeHeader.encryptedKey(framed, 7));
    assertTrue(EnvelopeHeader.encryptedKeyEquals(framed, 7, EDK));
    assertFalse(EnvelopeHeader.encryptedKeyEquals(framed, 7, new byte[99]));
    int ivAt = 7 + EnvelopeHeader.ivOffset(framed, 7);
    assertArrayEquals(IV, Arrays.copyOfRange(framed, ivAt, ivAt + 12));
  }

  @Test
  void unknownVersion_rejected() {
    byte[] h = EnvelopeHeader.create(EDK, SALT, IV).encoded;
    h[0] = 3;
    assertThrows(AEADBadTagException.class, () -> EnvelopeHeader.requiredLength(h, 1));
  }

  @Test
  void otherSegmentSize_rejected() {
    byte[] h = EnvelopeHeader.create(EDK, SALT, IV).encoded;
    h[1] = 20;
    assertThrows(AEADBadTagException.class, () -> EnvelopeHeader.requiredLength(h, h.length));
  }

  @Test
  void dataKeyLengthZeroOrTooLarge_rejectedBeforeAllocation() {
    byte[] h = {1, 16, 0, 0};
    assertThrows(AEADBadTagException.class, () -> EnvelopeHeader.requiredLength(h, 4));
    byte[] big = {1, 16, (byte) 0x18, 1}; // 6145
    assertThrows(AEADBadTagException.class, () -> EnvelopeHeader.requiredLength(big, 4));
  }

  @Test
  void ivLengthZero_rejected() {
    byte[] h = EnvelopeHeader.create(EDK, SALT, IV).encoded;
    h[4 + 100 + 16] = 0;
    assertThrows(AEADBadTagException.class, () -> EnvelopeHeader.requiredLength(h, h.length));
  }

  @Test
  void partialHeader_needsMoreInput() throws Exception {
    byte[] h = EnvelopeHeader.create(EDK, SALT, IV).encoded;
    assertEquals(-1, EnvelopeHeader.requiredLength(h, 3));
    assertEquals(-1, EnvelopeHeader.requiredLength(h, 50));
    assertEquals(h.length, EnvelopeHeader.requiredLength(h, 4 + 100 + 16 + 1));
  }

  @Test
  void segmentNonces_differByIndexAndFinalFlag() {
    byte[] a = new byte[12];
    byte[] b = new byte[12];
    byte[] c = new byte[12];
    EnvelopeHeader.segmentNonce(IV, 0, false, a);
    EnvelopeHeader.segmentNonce(IV, 1, false, b);
    EnvelopeHeader.segmentNonce(IV, 0, true, c);
    assertNotEquals(Arrays.toString(a), Arrays.toString(b));
    assertNotEquals(Arrays.toString(a), Arrays.toString(c));
  }

  @Test
  void segmentNonce_isBaseXorBigEndianIndexAndFinalFlag() {
    // The layout docs/envelope-format.md gives, byte by byte: a change here breaks every
    // envelope already written.
    byte[] base = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    long index = 0xA1B2C3D4L;
    byte[] expected = base.clone();
    expected[7] ^= (byte) 0xA1;
    expected[8] ^= (byte) 0xB2;
    expected[9] ^= (byte) 0xC3;
    expected[10] ^= (byte) 0xD4;
    expected[11] ^= 1;
    byte[] out = new byte[12];
    EnvelopeHeader.segmentNonce(base, index, true, out);
    assertArrayEquals(expected, out);
    expected[11] ^= 1;
    EnvelopeHeader.segmentNonce(base, index, false, out);
    assertArrayEquals(expected, out);
    assertArrayEquals(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, base);
  }

  @Test
  void segmentCount_countsEmptyMessageAsOne() {
    assertEquals(1, EnvelopeHeader.segments(0));
    assertEquals(1, EnvelopeHeader.segments(65536));
    assertEquals(2, EnvelopeHeader.segments(65537));
  }
}
