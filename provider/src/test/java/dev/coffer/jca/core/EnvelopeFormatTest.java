package dev.coffer.jca.core;

import static dev.coffer.jca.TestData.data;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coffer.jca.TestDaemon;
import dev.coffer.jca.key.KmsKey;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The envelope format as {@code docs/envelope-format.md} states it, implemented here from the
 * document alone (SunJCE and HMAC only), against the provider in both directions.
 */
class EnvelopeFormatTest {

  private static final int SEG = 65536;
  private static KmsKey key;
  private static KmsService service;

  @BeforeAll
  static void setUp() {
    TestDaemon.socket();
    key = TestDaemon.newKey();
    service = KmsService.forSocket(null);
  }

  private static byte[] hmac(byte[] k, String label, byte[] data) throws Exception {
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(k, "HmacSHA256"));
    mac.update((label + "\0").getBytes(StandardCharsets.US_ASCII));
    return mac.doFinal(data);
  }

  private static byte[] nonce(byte[] base, int i, boolean last) {
    byte[] n = base.clone();
    n[7] ^= (byte) (i >>> 24);
    n[8] ^= (byte) (i >>> 16);
    n[9] ^= (byte) (i >>> 8);
    n[10] ^= (byte) i;
    n[11] ^= (byte) (last ? 1 : 0);
    return n;
  }

  private static int headerLength(byte[] ct) {
    int n = ((ct[2] & 0xff) << 8) | (ct[3] & 0xff);
    return 4 + n + 16 + 1 + (ct[4 + n + 16] & 0xff);
  }

  /** Seals a body per the document: segments of 64 KiB, AAD on segment 0 only. */
  private static byte[] seal(byte[] k, byte[] base, byte[] aad0, byte[] pt) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int segs = Math.max(1, (pt.length + SEG - 1) / SEG);
    for (int i = 0; i < segs; i++) {
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding", "SunJCE");
      c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(k, "AES"),
          new GCMParameterSpec(128, nonce(base, i, i == segs - 1)));
      if (i == 0 && aad0.length > 0) {
        c.updateAAD(aad0);
      }
      int from = i * SEG;
      out.write(c.doFinal(pt, from, Math.min(SEG, pt.length - from)));
    }
    return out.toByteArray();
  }

  private static byte[] header(int version, byte[] edk, byte[] salt, byte[] iv) {
    ByteArrayOutputStream h = new ByteArrayOutputStream();
    h.write(version);
    h.write(16);
    h.write(edk.length >>> 8);
    h.write(edk.length);
    h.writeBytes(edk);
    h.writeBytes(salt);
    h.write(iv.length);
    h.writeBytes(iv);
    return h.toByteArray();
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] r = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, r, a.length, b.length);
    return r;
  }

  private static byte[] providerDecrypt(byte[] ct, byte[] aad) throws Exception {
    Cipher d = Cipher.getInstance("AES/GCM/NoPadding", "Coffer");
    d.init(Cipher.DECRYPT_MODE, key);
    if (aad.length > 0) {
      d.updateAAD(aad);
    }
    return d.doFinal(ct);
  }

  @Test
  void version1WrittenFromTheDocument_decryptsWithTheProvider() throws Exception {
    KmsService.Opened dk = service.generateDataKey(key.arn(), List.of());
    byte[] salt = data(16);
    byte[] aad = "context".getBytes(StandardCharsets.US_ASCII);
    for (byte[] iv : new byte[][] {data(12), data(16)}) {
      byte[] h = header(1, dk.ciphertextBlob(), salt, iv);
      byte[] k = hmac(dk.plaintext(), "coffer-envelope-v1 message key", h);
      byte[] base = iv.length == 12
          ? iv : Arrays.copyOf(MessageDigest.getInstance("SHA-256").digest(iv), 12);
      byte[] pt = data(150_000);
      byte[] ct = concat(h, seal(k, base, aad, pt));
      assertArrayEquals(pt, providerDecrypt(ct, aad));
    }
  }

  @Test
  void version2WrittenFromTheDocument_decryptsWithTheProvider() throws Exception {
    KmsService.Opened dk = service.generateDataKey(key.arn(), List.of());
    byte[] salt = data(16);
    byte[] iv = data(12);
    byte[] aad = "context".getBytes(StandardCharsets.US_ASCII);
    byte[] h = header(2, dk.ciphertextBlob(), salt, iv);
    byte[] k = hmac(dk.plaintext(), "coffer-envelope-v2 session key",
        Arrays.copyOf(h, h.length - 12));
    byte[] pt = data(150_000);
    byte[] ct = concat(h, seal(k, iv, aad, pt));
    assertArrayEquals(pt, providerDecrypt(ct, aad));
  }

  @Test
  void providerVersion2_opensPerTheDocument() throws Exception {
    byte[] pt = data(140_000);
    byte[] aad = "context".getBytes(StandardCharsets.US_ASCII);
    Cipher c = Cipher.getInstance("AES/GCM/NoPadding", "Coffer");
    c.init(Cipher.ENCRYPT_MODE, key);
    c.updateAAD(aad);
    byte[] ct = c.doFinal(pt);
    assertEquals(2, ct[0]);
    int hl = headerLength(ct);
    int n = ((ct[2] & 0xff) << 8) | (ct[3] & 0xff);
    byte[] h = Arrays.copyOf(ct, hl);
    byte[] edk = Arrays.copyOfRange(ct, 4, 4 + n);
    byte[] salt = Arrays.copyOfRange(ct, 4 + n, 4 + n + 16);
    byte[] iv = Arrays.copyOfRange(ct, hl - 12, hl);
    assertArrayEquals(c.getIV(), iv);
    byte[] kData = service.decrypt(edk, key.arn(), null, List.of()).plaintext();
    byte[] k = hmac(kData, "coffer-envelope-v2 session key", Arrays.copyOf(h, hl - 12));
    assertArrayEquals(ct, concat(h, seal(k, iv, aad, pt)));
  }

  @Test
  void version2HeaderWithOtherIvLength_rejected() {
    byte[] h = EnvelopeHeader.create(EnvelopeHeader.VERSION_2, new byte[50], new byte[16],
        new byte[12]).encoded;
    h[4 + 50 + 16] = 16;
    assertThrows(AEADBadTagException.class, () -> EnvelopeHeader.requiredLength(h, h.length));
    assertThrows(IllegalArgumentException.class, () -> EnvelopeHeader.create(
        EnvelopeHeader.VERSION_2, new byte[50], new byte[16], new byte[16]));
  }

  @Test
  void sessionMessages_shareSaltButNeverANonce() {
    DataKey dk = new DataKey(key.arn(), data(32), data(60));
    SecureRandom rnd = new SecureRandom();
    Set<String> nonces = new HashSet<>();
    byte[] firstSalt = null;
    for (int m = 0; m < 2000; m++) {
      byte[] salt = new byte[16];
      byte[] iv = new byte[12];
      dk.nextMessage(rnd, salt, iv);
      if (firstSalt == null) {
        firstSalt = salt;
      }
      assertArrayEquals(firstSalt, salt, "one session");
      for (int i = 0; i < 3; i++) {
        for (boolean last : new boolean[] {false, true}) {
          assertTrue(nonces.add(Arrays.toString(nonce(iv, i, last))), "nonce repeated");
        }
      }
    }
  }

  @Test
  void sessionBoundReached_rotatesSaltAndKey() {
    byte[] edk = data(60);
    DataKey dk = new DataKey(key.arn(), data(32), edk, 3);
    SecureRandom rnd = new SecureRandom();
    byte[][] salts = new byte[7][16];
    byte[][] keys = new byte[7][];
    for (int m = 0; m < 7; m++) {
      keys[m] = dk.nextMessage(rnd, salts[m], new byte[12]);
    }
    assertArrayEquals(salts[0], salts[2]);
    assertFalse(Arrays.equals(salts[2], salts[3]));
    assertFalse(Arrays.equals(keys[2], keys[3]));
    assertArrayEquals(salts[3], salts[5]);
    assertFalse(Arrays.equals(salts[5], salts[6]));
    byte[] h = EnvelopeHeader.create(EnvelopeHeader.VERSION_2, edk, salts[0], new byte[12]).encoded;
    assertArrayEquals(keys[0], dk.sessionKeyCopy(h, 0, h.length - 12), "decrypt side derives the same");
  }

  @Test
  void destroyedDataKey_givesNoSessionKeys() {
    DataKey dk = new DataKey(key.arn(), data(32), data(60));
    byte[] salt = new byte[16];
    dk.nextMessage(new SecureRandom(), salt, new byte[12]);
    dk.destroy();
    assertNull(dk.nextMessage(new SecureRandom(), new byte[16], new byte[12]));
    assertNull(dk.sessionKeyCopy(new byte[100], 0, 88));
    assertNull(dk.session(new byte[100], 0, 88));
    assertNull(dk.deriveMessageKey(EnvelopeHeader.KEY_LABEL, salt));
  }

  @Test
  void stillCached_falseOnceEvictedOrTooOldOrCacheOff() throws Exception {
    DataKeyCaches on = new DataKeyCaches(CacheSettings.defaults());
    DataKey dk = on.forDecryption(service, key.arn(), List.of(),
        service.generateDataKey(key.arn(), List.of()).ciphertextBlob());
    assertTrue(on.stillCached(dk, false));
    on.clear();
    assertFalse(on.stillCached(dk, false));

    DataKeyCaches young = new DataKeyCaches(new CacheSettings(true, java.time.Duration.ZERO,
        10, 1000, 10, java.time.Duration.ZERO, 10));
    DataKey d2 = new DataKey(key.arn(), data(32), data(60));
    assertFalse(young.stillCached(d2, false));
    DataKeyCaches off = new DataKeyCaches(new CacheSettings(false, java.time.Duration.ofMinutes(5),
        10, 1000, 10, java.time.Duration.ofMinutes(5), 10));
    assertFalse(off.stillCached(new DataKey(key.arn(), data(32), data(60)), false));
  }

  @Test
  void relabelledVersion_failsWithBadTag() throws Exception {
    Cipher c = Cipher.getInstance("AES/GCM/NoPadding", "Coffer");
    c.init(Cipher.ENCRYPT_MODE, key);
    byte[] v2 = c.doFinal(data(100));
    byte[] asV1 = v2.clone();
    asV1[0] = 1;
    assertThrows(AEADBadTagException.class, () -> providerDecrypt(asV1, new byte[0]));
    c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, data(12)));
    byte[] v1 = c.doFinal(data(100));
    assertEquals(1, v1[0]);
    byte[] asV2 = v1.clone();
    asV2[0] = 2;
    assertThrows(AEADBadTagException.class, () -> providerDecrypt(asV2, new byte[0]));
    assertNotEquals(0, v1.length);
  }
}
