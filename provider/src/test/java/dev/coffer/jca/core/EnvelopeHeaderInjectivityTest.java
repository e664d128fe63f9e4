package dev.coffer.jca.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * What the envelope authenticates is injective (docs/envelope-format.md): the header, which is
 * the HMAC input of a version-1 message key, and the version-2 session prefix, the HMAC input of
 * a session key, each parse back to exactly one (version, encrypted data key, salt, IV); so no
 * two different headers derive the same key. The caller's GCM AAD is authenticated as given.
 */
class EnvelopeHeaderInjectivityTest {

  private record Fields(int version, List<Byte> edk, List<Byte> salt, List<Byte> iv) {}

  private static List<Byte> list(byte[] b) {
    Byte[] boxed = new Byte[b.length];
    for (int i = 0; i < b.length; i++) {
      boxed[i] = b[i];
    }
    return List.of(boxed);
  }

  /** Parses a header with the decryptor's own accessors. */
  private static Fields parse(byte[] h) throws Exception {
    assertEquals(h.length, EnvelopeHeader.requiredLength(h, h.length), "the header's own length");
    byte[] edk = EnvelopeHeader.encryptedKey(h, 0);
    int saltAt = EnvelopeHeader.FIXED_PREFIX + edk.length;
    int ivAt = EnvelopeHeader.ivOffset(h, 0);
    return new Fields(EnvelopeHeader.version(h, 0), list(edk),
        list(Arrays.copyOfRange(h, saltAt, saltAt + EnvelopeHeader.SALT_SIZE)),
        list(Arrays.copyOfRange(h, ivAt, h.length)));
  }

  private static byte[] draw(SplittableRandom r, int length) {
    byte[] b = new byte[length];
    for (int i = 0; i < length; i++) {
      b[i] = (byte) r.nextInt(3); // few symbols: shifted fields would collide if they could
    }
    return b;
  }

  @Test
  void randomHeaders_parseBackToTheirFieldsAndNeverCollide() throws Exception {
    SplittableRandom r = new SplittableRandom(14);
    Map<String, Fields> seen = new HashMap<>();
    for (int i = 0; i < 20_000; i++) {
      int version = r.nextBoolean() ? EnvelopeHeader.VERSION_1 : EnvelopeHeader.VERSION_2;
      byte[] edk = draw(r, 1 + r.nextInt(6));
      byte[] salt = draw(r, EnvelopeHeader.SALT_SIZE);
      byte[] iv = draw(r, version == EnvelopeHeader.VERSION_2 ? 12 : 1 + r.nextInt(14));
      Fields f = new Fields(version, list(edk), list(salt), list(iv));
      byte[] h = EnvelopeHeader.create(version, edk, salt, iv).encoded;
      assertEquals(f, parse(h));
      Fields other = seen.putIfAbsent(HexFormat.of().formatHex(h), f);
      assertTrue(other == null || other.equals(f), () -> f + " encodes like " + other);
    }
  }

  @Test
  void sessionPrefixes_determineDataKeyAndSalt() throws Exception {
    SplittableRandom r = new SplittableRandom(15);
    Map<String, Fields> seen = new HashMap<>();
    for (int i = 0; i < 20_000; i++) {
      byte[] edk = draw(r, 1 + r.nextInt(6));
      byte[] salt = draw(r, EnvelopeHeader.SALT_SIZE);
      byte[] prefix = EnvelopeHeader.sessionPrefix(edk, salt);
      // The prefix is a whole version-2 header minus its 12-byte IV: complete it and parse.
      Fields f = parse(Arrays.copyOf(prefix, prefix.length + 12));
      assertArrayEquals(edk, EnvelopeHeader.encryptedKey(Arrays.copyOf(prefix, prefix.length + 12),
          0));
      assertEquals(list(salt), f.salt());
      Fields mine = new Fields(2, list(edk), list(salt), f.iv());
      Fields other = seen.putIfAbsent(HexFormat.of().formatHex(prefix), mine);
      assertTrue(other == null || other.equals(mine),
          () -> mine + " shares a prefix with " + other);
    }
  }
}
