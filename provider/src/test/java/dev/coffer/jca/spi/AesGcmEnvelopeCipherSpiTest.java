package dev.coffer.jca.spi;

import static dev.coffer.jca.TestData.data;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coffer.jca.TestDaemon;
import dev.coffer.jca.core.CofferStats;
import dev.coffer.jca.core.DataKeyCaches;
import dev.coffer.jca.core.KmsCipherException;
import dev.coffer.jca.key.KmsKey;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.security.AlgorithmParameters;
import java.security.InvalidAlgorithmParameterException;
import java.security.InvalidKeyException;
import java.util.Arrays;
import java.util.List;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.CipherInputStream;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class AesGcmEnvelopeCipherSpiTest {

  private static final String T = "AES/GCM/NoPadding";
  private static final int SEG_CT = 65536 + 16;
  private static KmsKey key;

  @BeforeAll
  static void setUp() {
    TestDaemon.socket();
    key = TestDaemon.newKey();
  }

  private static Cipher enc(KmsKey k) throws Exception {
    Cipher c = Cipher.getInstance(T, "Coffer");
    c.init(Cipher.ENCRYPT_MODE, k);
    return c;
  }

  private static byte[] decrypt(KmsKey k, byte[] ct) throws Exception {
    Cipher c = Cipher.getInstance(T, "Coffer");
    c.init(Cipher.DECRYPT_MODE, k);
    return c.doFinal(ct);
  }

  private static int headerLength(byte[] ct) {
    int n = ((ct[2] & 0xff) << 8) | (ct[3] & 0xff);
    return 4 + n + 16 + 1 + (ct[4 + n + 16] & 0xff);
  }

  @Test
  void anySize_roundTrips() throws Exception {
    for (int n : new int[] {0, 1, 4096, 65535, 65536, 65537, 3 * 65536, 200_001}) {
      byte[] pt = data(n);
      Cipher c = enc(key);
      byte[] ct = c.doFinal(pt);
      assertArrayEquals(pt, decrypt(key, ct), "size " + n);
    }
  }

  @Test
  void getOutputSize_isExactForEncryption() throws Exception {
    for (int n : new int[] {0, 1, 65536, 65537, 131072, 131073}) {
      Cipher c = enc(key);
      int predicted = c.getOutputSize(n);
      assertEquals(predicted, c.doFinal(data(n)).length, "size " + n);
    }
  }

  @Test
  void getOutputSize_isExactForDecryptionOnceHeaderRead() throws Exception {
    byte[] ct = enc(key).doFinal(data(150_000));
    Cipher d = Cipher.getInstance(T, "Coffer");
    d.init(Cipher.DECRYPT_MODE, key);
    int h = headerLength(ct);
    byte[] first = d.update(ct, 0, h);
    assertEquals(0, first.length);
    assertEquals(150_000, d.getOutputSize(ct.length - h));
  }

  @Test
  void smallUpdates_matchOneShot() throws Exception {
    byte[] pt = data(300_000);
    Cipher c = enc(key);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = 0; i < pt.length; i += 7_000) {
      out.write(c.update(pt, i, Math.min(7_000, pt.length - i)));
    }
    out.write(c.doFinal());
    byte[] ct = out.toByteArray();
    assertArrayEquals(pt, decrypt(key, ct));

    Cipher d = Cipher.getInstance(T, "Coffer");
    d.init(Cipher.DECRYPT_MODE, key);
    ByteArrayOutputStream back = new ByteArrayOutputStream();
    for (int i = 0; i < ct.length; i += 5_000) {
      back.write(d.update(ct, i, Math.min(5_000, ct.length - i)));
    }
    back.write(d.doFinal());
    assertArrayEquals(pt, back.toByteArray());
  }

  @Test
  void cipherInputStream_decryptsLargeMessage() throws Exception {
    byte[] pt = data(500_000);
    byte[] ct = enc(key).doFinal(pt);
    Cipher d = Cipher.getInstance(T, "Coffer");
    d.init(Cipher.DECRYPT_MODE, key);
    try (CipherInputStream in = new CipherInputStream(new ByteArrayInputStream(ct), d)) {
      assertArrayEquals(pt, in.readAllBytes());
    }
  }

  @Test
  void noParameters_randomIvReportedByGetIvAndGetParameters() throws Exception {
    Cipher c = enc(key);
    byte[] iv = c.getIV();
    assertEquals(12, iv.length);
    AlgorithmParameters p = c.getParameters();
    assertArrayEquals(iv, p.getParameterSpec(GCMParameterSpec.class).getIV());
    byte[] ct = c.doFinal(data(10));
    Cipher d = Cipher.getInstance(T, "Coffer");
    d.init(Cipher.DECRYPT_MODE, key, p);
    assertArrayEquals(data(10), d.doFinal(ct));
    assertTrue(!Arrays.equals(iv, enc(key).getIV()));
  }

  @Test
  void callerIvAndAad_roundTrip() throws Exception {
    byte[] iv = data(12);
    Cipher c = Cipher.getInstance(T, "Coffer");
    c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, iv));
    c.updateAAD("header".getBytes());
    byte[] ct = c.doFinal(data(70_000));
    assertArrayEquals(iv, c.getIV());
    Cipher d = Cipher.getInstance(T, "Coffer");
    d.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(128, iv));
    d.updateAAD("header".getBytes());
    assertArrayEquals(data(70_000), d.doFinal(ct));
  }

  @Test
  void sameCallerIvTwice_refused() throws Exception {
    byte[] iv = data(12);
    Cipher c = Cipher.getInstance(T, "Coffer");
    c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, iv));
    assertThrows(InvalidAlgorithmParameterException.class,
        () -> c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, iv)));
  }

  @Test
  void shortTag_refused() throws Exception {
    Cipher c = Cipher.getInstance(T, "Coffer");
    assertThrows(InvalidAlgorithmParameterException.class,
        () -> c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(96, data(12))));
  }

  @Test
  void encryptAgainWithoutInit_throwsIllegalState() throws Exception {
    Cipher c = enc(key);
    c.doFinal(data(5));
    assertThrows(IllegalStateException.class, () -> c.doFinal(data(5)));
  }

  @Test
  void aadAfterData_throwsIllegalState() throws Exception {
    Cipher c = enc(key);
    c.update(data(10));
    assertThrows(IllegalStateException.class, () -> c.updateAAD(data(3)));
  }

  @Test
  void decryptCipher_isReusableAfterDoFinal() throws Exception {
    byte[] a = enc(key).doFinal(data(100));
    byte[] b = enc(key).doFinal(data(200));
    Cipher d = Cipher.getInstance(T, "Coffer");
    d.init(Cipher.DECRYPT_MODE, key);
    assertArrayEquals(data(100), d.doFinal(a));
    assertArrayEquals(data(200), d.doFinal(b));
  }

  @Test
  void wrongAad_failsWithBadTag() throws Exception {
    Cipher c = enc(key);
    c.updateAAD("a".getBytes());
    byte[] ct = c.doFinal(data(100));
    Cipher d = Cipher.getInstance(T, "Coffer");
    d.init(Cipher.DECRYPT_MODE, key);
    d.updateAAD("b".getBytes());
    assertThrows(AEADBadTagException.class, () -> d.doFinal(ct));
  }

  @Test
  void missingAad_failsWithBadTag() throws Exception {
    Cipher c = enc(key);
    c.updateAAD("a".getBytes());
    byte[] ct = c.doFinal(data(100));
    assertThrows(AEADBadTagException.class, () -> decrypt(key, ct));
  }

  @Test
  void wrongCallerIvOnDecrypt_failsWithBadTag() throws Exception {
    byte[] ct = enc(key).doFinal(data(100));
    Cipher d = Cipher.getInstance(T, "Coffer");
    d.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(128, new byte[12]));
    assertThrows(AEADBadTagException.class, () -> d.doFinal(ct));
  }

  @Test
  void anyFlippedByte_failsWithBadTag() throws Exception {
    byte[] ct = enc(key).doFinal(data(1000));
    int h = headerLength(ct);
    // version, segment size, data key length, inside the data key, salt, IV length, IV, body, tag
    int[] positions = {0, 1, 2, 3, 10, h - 30, h - 13, h - 5, h + 10, ct.length - 1};
    for (int p : positions) {
      byte[] bad = ct.clone();
      bad[p] ^= 1;
      assertThrows(AEADBadTagException.class, () -> decrypt(key, bad), "position " + p);
    }
  }

  @Test
  void truncatedMessage_failsWithBadTag() throws Exception {
    byte[] ct = enc(key).doFinal(data(3 * 65536 + 5));
    int h = headerLength(ct);
    byte[] dropLast = Arrays.copyOf(ct, h + 3 * SEG_CT);
    assertThrows(AEADBadTagException.class, () -> decrypt(key, dropLast));
    byte[] cutTail = Arrays.copyOf(ct, ct.length - 1);
    assertThrows(AEADBadTagException.class, () -> decrypt(key, cutTail));
    byte[] headerOnly = Arrays.copyOf(ct, h);
    assertThrows(AEADBadTagException.class, () -> decrypt(key, headerOnly));
    byte[] partHeader = Arrays.copyOf(ct, 3);
    assertThrows(AEADBadTagException.class, () -> decrypt(key, partHeader));
  }

  @Test
  void reorderedSegments_failWithBadTag() throws Exception {
    byte[] ct = enc(key).doFinal(data(3 * 65536 + 5));
    int h = headerLength(ct);
    byte[] swapped = ct.clone();
    System.arraycopy(ct, h, swapped, h + SEG_CT, SEG_CT);
    System.arraycopy(ct, h + SEG_CT, swapped, h, SEG_CT);
    assertThrows(AEADBadTagException.class, () -> decrypt(key, swapped));
  }

  @Test
  void appendedBytes_failWithBadTag() throws Exception {
    byte[] ct = enc(key).doFinal(data(100));
    byte[] longer = Arrays.copyOf(ct, ct.length + 16);
    assertThrows(AEADBadTagException.class, () -> decrypt(key, longer));
  }

  @Test
  void streamingTamperInLaterSegment_releasesOnlyVerifiedSegments() throws Exception {
    byte[] pt = data(3 * 65536);
    byte[] ct = enc(key).doFinal(pt);
    int h = headerLength(ct);
    ct[h + 2 * SEG_CT - 3] ^= 1; // tag of segment 1
    Cipher d = Cipher.getInstance(T, "Coffer");
    d.init(Cipher.DECRYPT_MODE, key);
    byte[] released = d.update(ct, 0, h + SEG_CT + 1);
    assertEquals(65536, released.length);
    assertArrayEquals(Arrays.copyOf(pt, 65536), released);
    // The failing call releases nothing; the failure surfaces at doFinal.
    assertEquals(0, d.update(ct, h + SEG_CT + 1, ct.length - h - SEG_CT - 1).length);
    assertThrows(AEADBadTagException.class, () -> d.doFinal());
  }

  @Test
  void otherKmsKey_failsWithBadTag() throws Exception {
    byte[] ct = enc(key).doFinal(data(100));
    KmsKey other = TestDaemon.newKey();
    assertThrows(AEADBadTagException.class, () -> decrypt(other, ct));
  }

  @Test
  void cachedDataKeys_makeZeroRoundTrips() throws Exception {
    byte[] ct = enc(key).doFinal(data(100));
    decrypt(key, ct);
    long before = CofferStats.daemonRoundTrips();
    assertArrayEquals(data(100), decrypt(key, ct));
    byte[] again = enc(key).doFinal(data(100));
    assertArrayEquals(data(100), decrypt(key, again));
    assertEquals(before, CofferStats.daemonRoundTrips());
  }

  @Test
  void coldCaches_makeOneRoundTripPerDirection() throws Exception {
    KmsKey k = TestDaemon.newKey();
    DataKeyCaches.clearShared();
    long before = CofferStats.daemonRoundTrips();
    byte[] ct = enc(k).doFinal(data(100));
    assertEquals(before + 1, CofferStats.daemonRoundTrips());
    DataKeyCaches.clearShared();
    decrypt(k, ct);
    assertEquals(before + 2, CofferStats.daemonRoundTrips());
  }

  @Test
  void disabledKey_initFailsNamingDisabledException() throws Exception {
    KmsKey k = TestDaemon.newKey();
    byte[] ct = enc(k).doFinal(data(10));
    TestDaemon.disable(k);
    DataKeyCaches.clearShared();
    InvalidKeyException e = assertThrows(InvalidKeyException.class, () -> enc(k));
    assertTrue(e.getMessage().startsWith("DisabledException"), e.getMessage());
    KmsCipherException d = assertThrows(KmsCipherException.class, () -> decrypt(k, ct));
    assertEquals("DisabledException", d.errorType());
  }

  @Test
  void unknownKey_initFailsNamingNotFoundException() throws Exception {
    KmsKey bogus = KmsKey.of("arn:coffer:local:000000000000:key/00000000-0000-4000-8000-000000000000",
        "00000000-0000-4000-8000-000000000000", null, "", List.of(), null);
    InvalidKeyException e = assertThrows(InvalidKeyException.class, () -> enc(bogus));
    assertTrue(e.getMessage().contains("Exception"), e.getMessage());
  }

  @Test
  void daemonDown_initFailsNamingUnavailable() throws Exception {
    KmsKey unreachable = KmsKey.of(key.arn(), key.keyId(), null, "", List.of(),
        Path.of("/tmp/no-such-coffer.sock"));
    InvalidKeyException e = assertThrows(InvalidKeyException.class, () -> enc(unreachable));
    assertTrue(e.getMessage().startsWith("CofferDaemonUnavailableException"), e.getMessage());
  }

  @Test
  void ordinaryKey_refusedByCoffer() throws Exception {
    Cipher c = Cipher.getInstance(T, "Coffer");
    assertThrows(InvalidKeyException.class,
        () -> c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(new byte[32], "AES")));
  }

  @Test
  void destroyedHandle_refused() throws Exception {
    KmsKey k = TestDaemon.newKey();
    k.destroy();
    assertThrows(InvalidKeyException.class, () -> enc(k));
  }

  @Test
  void delayedSelection_handleGoesToCofferOrdinaryKeyToSunJce() throws Exception {
    Cipher forHandle = Cipher.getInstance(T);
    forHandle.init(Cipher.ENCRYPT_MODE, key);
    assertEquals("Coffer", forHandle.getProvider().getName());
    byte[] ct = forHandle.doFinal(data(50));

    Cipher forPlain = Cipher.getInstance(T);
    forPlain.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(new byte[16], "AES"));
    assertEquals("SunJCE", forPlain.getProvider().getName());

    Cipher back = Cipher.getInstance(T);
    back.init(Cipher.DECRYPT_MODE, key);
    assertArrayEquals(data(50), back.doFinal(ct));
    assertEquals("Coffer", back.getProvider().getName());
  }

  @Test
  void wrapMode_refusedWithPointerToKmsCipher() throws Exception {
    Cipher c = Cipher.getInstance(T, "Coffer");
    InvalidKeyException e =
        assertThrows(InvalidKeyException.class, () -> c.init(Cipher.WRAP_MODE, key));
    assertNotNull(e.getMessage());
  }

  @Test
  void outputBufferTooShort_throwsShortBuffer() throws Exception {
    Cipher c = enc(key);
    assertThrows(javax.crypto.ShortBufferException.class,
        () -> c.doFinal(data(100), 0, 100, new byte[50], 0));
  }

  @Test
  void inPlaceEncryption_works() throws Exception {
    byte[] pt = data(70_000);
    Cipher c = enc(key);
    byte[] buf = Arrays.copyOf(pt, c.getOutputSize(pt.length));
    int n = c.doFinal(buf, 0, pt.length, buf, 0);
    assertArrayEquals(pt, decrypt(key, Arrays.copyOf(buf, n)));
  }

  @Test
  void providerChosenIv_writesVersion2_callerIvWritesVersion1() throws Exception {
    assertEquals(2, enc(key).doFinal(data(10))[0]);
    Cipher c = Cipher.getInstance(T, "Coffer");
    c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, data(12)));
    assertEquals(1, c.doFinal(data(10))[0]);
  }

  @Test
  void sameCallerIvOnTwoCiphers_stillGivesDistinctKeystreams() throws Exception {
    byte[] iv = data(12);
    byte[] pt = new byte[64];
    byte[][] body = new byte[2][];
    for (int i = 0; i < 2; i++) {
      Cipher c = Cipher.getInstance(T, "Coffer");
      c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, iv));
      byte[] ct = c.doFinal(pt);
      body[i] = Arrays.copyOfRange(ct, headerLength(ct), ct.length);
      assertArrayEquals(pt, decrypt(key, ct));
    }
    // Same cached data key, same IV: a per-message key still makes the keystreams differ.
    assertTrue(!Arrays.equals(body[0], body[1]));
  }

  @Test
  void concurrentEncryptions_neverRepeatAnIv() throws Exception {
    java.util.Set<String> ivs = java.util.concurrent.ConcurrentHashMap.newKeySet();
    java.util.concurrent.atomic.AtomicInteger dup = new java.util.concurrent.atomic.AtomicInteger();
    Thread[] ts = new Thread[4];
    for (int t = 0; t < ts.length; t++) {
      ts[t] = new Thread(() -> {
        try {
          Cipher c = Cipher.getInstance(T, "Coffer");
          for (int i = 0; i < 2000; i++) {
            c.init(Cipher.ENCRYPT_MODE, key);
            byte[] ct = c.doFinal(new byte[1]);
            int h = headerLength(ct);
            // salt and IV together name the (session key, nonce base) pair
            if (!ivs.add(Arrays.toString(Arrays.copyOfRange(ct, h - 29, h)))) {
              dup.incrementAndGet();
            }
          }
        } catch (Exception e) {
          dup.addAndGet(1_000_000);
        }
      });
      ts[t].start();
    }
    for (Thread t : ts) {
      t.join();
    }
    assertEquals(0, dup.get());
    assertEquals(8000, ivs.size());
  }

  @Test
  void segmentFromAnotherMessageOfTheSameSession_failsWithBadTag() throws Exception {
    byte[] a = enc(key).doFinal(data(2 * 65536));
    byte[] b = enc(key).doFinal(data(2 * 65536));
    int h = headerLength(a);
    assertArrayEquals(Arrays.copyOfRange(a, h - 29, h - 13), Arrays.copyOfRange(b, h - 29, h - 13),
        "both messages are under one session salt");
    byte[] spliced = b.clone();
    System.arraycopy(a, h + SEG_CT, spliced, h + SEG_CT, SEG_CT);
    assertThrows(AEADBadTagException.class, () -> decrypt(key, spliced));
    byte[] otherIv = b.clone();
    System.arraycopy(a, h - 12, otherIv, h - 12, 12);
    assertThrows(AEADBadTagException.class, () -> decrypt(key, otherIv));
  }

  @Test
  void decryptCipherReinitWithOtherKey_refusesFirstKeysEnvelope() throws Exception {
    byte[] ct = enc(key).doFinal(data(100));
    KmsKey other = TestDaemon.newKey();
    Cipher d = Cipher.getInstance(T, "Coffer");
    d.init(Cipher.DECRYPT_MODE, key);
    assertArrayEquals(data(100), d.doFinal(ct));
    d.init(Cipher.DECRYPT_MODE, other);
    assertThrows(AEADBadTagException.class, () -> d.doFinal(ct));
    d.init(Cipher.DECRYPT_MODE, key);
    assertArrayEquals(data(100), d.doFinal(ct));
  }

  @Test
  void evictedDataKey_reusedDecryptCipherAsksDaemonAgain() throws Exception {
    byte[] ct = enc(key).doFinal(data(100));
    Cipher d = Cipher.getInstance(T, "Coffer");
    d.init(Cipher.DECRYPT_MODE, key);
    d.doFinal(ct);
    long before = CofferStats.daemonRoundTrips();
    assertArrayEquals(data(100), d.doFinal(ct));
    assertEquals(before, CofferStats.daemonRoundTrips());
    DataKeyCaches.clearShared();
    assertArrayEquals(data(100), d.doFinal(ct));
    assertEquals(before + 1, CofferStats.daemonRoundTrips());
  }

  @Test
  void oneShotDecryptIntoExactBuffer_succeeds() throws Exception {
    for (int n : new int[] {0, 1, 65536, 65537, 200_000}) {
      byte[] ct = enc(key).doFinal(data(n));
      Cipher d = Cipher.getInstance(T, "Coffer");
      d.init(Cipher.DECRYPT_MODE, key);
      byte[] out = new byte[n + 3];
      assertEquals(n, d.doFinal(ct, 0, ct.length, out, 3), "size " + n);
      assertArrayEquals(data(n), Arrays.copyOfRange(out, 3, n + 3));
    }
  }

  @Test
  void failedDecrypt_leavesCipherReadyForNextMessage() throws Exception {
    byte[] ct = enc(key).doFinal(data(1000));
    byte[] bad = ct.clone();
    bad[bad.length - 1] ^= 1;
    Cipher d = Cipher.getInstance(T, "Coffer");
    d.init(Cipher.DECRYPT_MODE, key);
    byte[] out = new byte[1000];
    assertThrows(AEADBadTagException.class, () -> d.doFinal(bad, 0, bad.length, out, 0));
    assertArrayEquals(new byte[1000], out, "failed output zeroed");
    assertArrayEquals(data(1000), d.doFinal(ct));
  }

  @SuppressWarnings("unused")
  private static void rethrow(IOException e) {}
}
