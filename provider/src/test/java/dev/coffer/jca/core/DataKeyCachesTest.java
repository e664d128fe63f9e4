package dev.coffer.jca.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coffer.jca.TestDaemon;
import dev.coffer.jca.key.KmsKey;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.Test;

class DataKeyCachesTest {

  private static CacheSettings settings(long maxMessages, long maxBytes, boolean enabled) {
    return new CacheSettings(enabled, Duration.ofMinutes(5), maxMessages, maxBytes, 100,
        Duration.ofMinutes(5), 100);
  }

  @Test
  void defaults_matchDocumentation() {
    CacheSettings d = CacheSettings.defaults();
    assertTrue(d.enabled());
    assertEquals(Duration.ofSeconds(300), d.encryptMaxAge());
    assertEquals(1_000_000, d.encryptMaxMessages());
    assertEquals(1L << 36, d.encryptMaxBytes());
  }

  @Test
  void badProperty_refusedWithItsName() {
    Properties p = new Properties();
    p.setProperty("coffer.cache.encrypt.maxMessages", "many");
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> CacheSettings.from(p));
    assertTrue(e.getMessage().contains("coffer.cache.encrypt.maxMessages"));
  }

  @Test
  void messageBound_retiresDataKey() {
    KmsKey key = TestDaemon.newKey();
    KmsService svc = KmsService.forSocket(null);
    DataKeyCaches c = new DataKeyCaches(settings(2, 1L << 40, true));
    DataKey a = c.forEncryption(svc, key.arn(), List.of());
    assertSame(a, c.forEncryption(svc, key.arn(), List.of()));
    DataKey third = c.forEncryption(svc, key.arn(), List.of());
    assertNotSame(a, third);
    assertTrue(a.isDestroyed(), "evicted data key is zeroed");
  }

  @Test
  void byteBound_retiresDataKey() {
    KmsKey key = TestDaemon.newKey();
    KmsService svc = KmsService.forSocket(null);
    DataKeyCaches c = new DataKeyCaches(settings(100, 1000, true));
    DataKey a = c.forEncryption(svc, key.arn(), List.of());
    c.recordBytes(a, 1000);
    assertTrue(a.isDestroyed());
    assertNotSame(a, c.forEncryption(svc, key.arn(), List.of()));
  }

  @Test
  void disabledCache_givesFreshKeysAndReleaseZeroes() {
    KmsKey key = TestDaemon.newKey();
    KmsService svc = KmsService.forSocket(null);
    DataKeyCaches c = new DataKeyCaches(settings(100, 1000, false));
    DataKey a = c.forEncryption(svc, key.arn(), List.of());
    DataKey b = c.forEncryption(svc, key.arn(), List.of());
    assertNotSame(a, b);
    c.release(a, true);
    assertTrue(a.isDestroyed());
    assertNull(a.deriveMessageKey(new byte[0], new byte[0]));
  }

  @Test
  void clear_zeroesEverything() {
    KmsKey key = TestDaemon.newKey();
    KmsService svc = KmsService.forSocket(null);
    DataKeyCaches c = new DataKeyCaches(settings(100, 1L << 40, true));
    DataKey a = c.forEncryption(svc, key.arn(), List.of());
    assertFalse(a.isDestroyed());
    c.clear();
    assertTrue(a.isDestroyed());
  }

  @Test
  void expiredDataKeys_zeroedWithoutAnyFurtherCacheUse() throws Exception {
    KmsKey key = TestDaemon.newKey();
    KmsService svc = KmsService.forSocket(null);
    DataKeyCaches c = new DataKeyCaches(new CacheSettings(true, Duration.ofSeconds(1), 100,
        1L << 40, 100, Duration.ofSeconds(1), 100));
    DataKey enc = c.forEncryption(svc, key.arn(), List.of());
    DataKey dec = c.forDecryption(svc, key.arn(), List.of(), enc.encryptedKey);
    assertFalse(dec.isDestroyed());

    // No cache call from here on: only the caches' scheduled expiry can zero them.
    long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
    while (!(enc.isDestroyed() && dec.isDestroyed()) && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    assertTrue(enc.isDestroyed(), "encryption data key zeroed after its maximum age");
    assertTrue(dec.isDestroyed(), "decryption data key zeroed after its maximum age");
  }
}
