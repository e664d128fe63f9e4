package dev.coffer.jca.core;

import static dev.coffer.jca.TestData.data;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.coffer.jca.TestDaemon;
import dev.coffer.jca.key.KmsKey;
import dev.coffer.protocol.ErrorType;
import dev.coffer.protocol.KmsException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.List;
import javax.crypto.AEADBadTagException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The decryptor's shared version-2 session keys: reused across messages of one session, zeroed by
 * their data key's eviction at any moment, and never the reason a genuine message fails.
 */
class EnvelopeDecryptorTest {

  private static final int SEG = 65536;
  private static KmsKey key;
  private static KmsService service;

  @BeforeAll
  static void setUp() {
    TestDaemon.socket();
    key = TestDaemon.newKey();
    service = KmsService.forSocket(null);
  }

  // A version-2 envelope (provider-chosen IV) under the caches' current data key.
  private static byte[] seal(DataKeyCaches caches, byte[] pt) {
    EnvelopeEncryptor e = EnvelopeEncryptor.start(
        service, caches, key.arn(), List.of(), null, new SecureRandom());
    assertEquals(2, e.version());
    byte[] out = new byte[e.finishOutputSize(pt.length)];
    int n = e.finish(pt, 0, pt.length, out, 0);
    assertEquals(out.length, n);
    return out;
  }

  private static byte[] open(EnvelopeDecryptor d, byte[] ct) throws AEADBadTagException {
    byte[] out = new byte[d.finishOutputSize(ct, 0, ct.length)];
    int n = d.finish(ct, 0, ct.length, out, 0);
    d.reset();
    return Arrays.copyOf(out, n);
  }

  private static int headerLength(byte[] ct) throws AEADBadTagException {
    return EnvelopeHeader.requiredLength(ct, 0, ct.length);
  }

  @Test
  void dataKeyEvictedMidMessage_messageStillOpens() throws Exception {
    DataKeyCaches caches = new DataKeyCaches(CacheSettings.defaults());
    byte[] pt = data(2 * SEG + 100);
    byte[] ct = seal(caches, pt);
    EnvelopeDecryptor d = new EnvelopeDecryptor(service, caches, key.arn(), List.of(), null);
    byte[] out = new byte[pt.length];
    int head = headerLength(ct) + 100; // the header: the session key is taken, no segment opened
    assertEquals(0, d.update(ct, 0, head, out, 0));

    caches.clear(); // zeroes the data key and the session key the decryptor holds
    long trips = CofferStats.daemonRoundTrips();
    int n = d.finish(ct, head, ct.length - head, out, 0);

    assertEquals(pt.length, n);
    assertArrayEquals(pt, out);
    assertEquals(1, CofferStats.daemonRoundTrips() - trips, "the data key was fetched again");
  }

  @Test
  void forgedMessage_stillFailsWhenItsDataKeyIsEvictedMidMessage() throws Exception {
    DataKeyCaches caches = new DataKeyCaches(CacheSettings.defaults());
    byte[] ct = seal(caches, data(5000));
    ct[ct.length - 1] ^= 1;
    EnvelopeDecryptor d = new EnvelopeDecryptor(service, caches, key.arn(), List.of(), null);
    int head = headerLength(ct);
    d.update(ct, 0, head, new byte[0], 0);
    caches.clear();

    byte[] out = new byte[5000];
    assertThrows(AEADBadTagException.class,
        () -> d.finish(ct, head, ct.length - head, out, 0));
    assertArrayEquals(new byte[5000], out, "nothing released");
  }

  @Test
  void interleavedSessions_eachOpensUnderItsOwnKey() throws Exception {
    DataKeyCaches caches = new DataKeyCaches(CacheSettings.defaults());
    byte[] a = data(1000);
    byte[] b = data(1001);
    byte[] ctA = seal(caches, a);
    caches.clear(); // the next message gets another data key, so another session
    byte[] ctB = seal(caches, b);
    byte[] ctA2 = seal(caches, a);

    EnvelopeDecryptor d = new EnvelopeDecryptor(service, caches, key.arn(), List.of(), null);
    for (int i = 0; i < 3; i++) {
      assertArrayEquals(a, open(d, ctA));
      assertArrayEquals(b, open(d, ctB));
      assertArrayEquals(a, open(d, ctA2));
    }
    // Another session's IV on a memoised session's header: every tag fails.
    byte[] spliced = ctB.clone();
    int ivAt = headerLength(ctB) - 12;
    System.arraycopy(ctA2, ivAt, spliced, ivAt, 12);
    assertThrows(AEADBadTagException.class, () -> open(d, spliced));
  }

  @Test
  void keyHandleChanged_sessionOfTheOldKeyNotReused() throws Exception {
    DataKeyCaches caches = new DataKeyCaches(CacheSettings.defaults());
    byte[] ct = seal(caches, data(64));
    EnvelopeDecryptor d = new EnvelopeDecryptor(service, caches, key.arn(), List.of(), null);
    open(d, ct);

    KmsKey other = TestDaemon.newKey();
    d.reinit(service, other.arn(), List.of(), null);
    KmsException e = assertThrows(KmsException.class, () -> open(d, ct),
        "an envelope of another KMS key fails, memo or not");
    assertEquals(ErrorType.INCORRECT_KEY, e.errorType());
  }

  @Test
  void wholeMessageOfOneSegment_openedIntoItsOwnArray() throws Exception {
    DataKeyCaches caches = new DataKeyCaches(CacheSettings.defaults());
    EnvelopeDecryptor d = new EnvelopeDecryptor(service, caches, key.arn(), List.of(), null);
    for (int size : new int[] {0, 1, 1024, SEG}) {
      byte[] pt = data(size);
      byte[] ct = seal(caches, pt);
      byte[] framed = new byte[ct.length + 7];
      System.arraycopy(ct, 0, framed, 3, ct.length);

      assertArrayEquals(pt, d.finishWhole(framed, 3, ct.length), size + " bytes");
      d.reset();
    }
  }

  @Test
  void wholeMessage_notOneSegmentOrAlreadyStarted_leftToFinish() throws Exception {
    DataKeyCaches caches = new DataKeyCaches(CacheSettings.defaults());
    EnvelopeDecryptor d = new EnvelopeDecryptor(service, caches, key.arn(), List.of(), null);
    byte[] twoSegments = data(SEG + 1);
    byte[] ct = seal(caches, twoSegments);

    assertNull(d.finishWhole(ct, 0, ct.length), "two segments");
    assertNull(d.finishWhole(ct, 0, 5), "not even a whole header");
    assertArrayEquals(twoSegments, open(d, ct), "nothing was consumed");

    byte[] small = data(100);
    byte[] ct2 = seal(caches, small);
    int head = headerLength(ct2);
    d.update(ct2, 0, head, new byte[0], 0);
    assertNull(d.finishWhole(ct2, head, ct2.length - head), "header already read");
    byte[] out = new byte[small.length];
    assertEquals(small.length, d.finish(ct2, head, ct2.length - head, out, 0));
    assertArrayEquals(small, out);
  }

  @Test
  void forgedWholeMessage_failsAndTheDecryptorStaysFailedUntilReset() throws Exception {
    DataKeyCaches caches = new DataKeyCaches(CacheSettings.defaults());
    byte[] pt = data(1024);
    byte[] ct = seal(caches, pt);
    byte[] forged = ct.clone();
    forged[forged.length - 1] ^= 1;
    EnvelopeDecryptor d = new EnvelopeDecryptor(service, caches, key.arn(), List.of(), null);

    assertThrows(AEADBadTagException.class, () -> d.finishWhole(forged, 0, forged.length));
    assertThrows(AEADBadTagException.class, () -> d.finishWhole(ct, 0, ct.length));
    d.reset();
    assertArrayEquals(pt, d.finishWhole(ct, 0, ct.length));
  }
}
