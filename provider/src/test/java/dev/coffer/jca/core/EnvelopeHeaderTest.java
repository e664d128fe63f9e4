package dev.coffer.jca.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import javax.crypto.AEADBadTagException;
import org.junit.jupiter.api.Test;

class EnvelopeHeaderTest {

  private static final byte[] EDK = new byte[100];
  private static final byte[] SALT = new byte[16];
  private static final byte[] IV = new byte[12];

  @Test
  void createThenParse_roundTrips() throws Exception {
    EnvelopeHeader h = EnvelopeHeader.create(EDK, SALT, IV);
    assertEquals(EnvelopeHeader.length(100, 12), h.encoded.length);
    EnvelopeHeader p = EnvelopeHeader.parse(h.encoded);
    assertArrayEquals(EDK, p.encryptedKey());
    assertArrayEquals(IV, p.iv);
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
    assertThrows(AEADBadTagException.class, () -> EnvelopeHeader.parse(h));
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
  void segmentCount_countsEmptyMessageAsOne() {
    assertEquals(1, EnvelopeHeader.segments(0));
    assertEquals(1, EnvelopeHeader.segments(65536));
    assertEquals(2, EnvelopeHeader.segments(65537));
  }
}
