package dev.coffer.jca.core;

import java.security.GeneralSecurityException;
import java.security.ProviderException;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * One plaintext data key with its encrypted form, as cached. The material is only ever used to
 * derive per-message keys, under this object's lock, and is zeroed by {@link #destroy()} (called
 * when the cache evicts the entry), after which {@link #deriveMessageKey} returns null and the
 * caller fetches a fresh key.
 */
final class DataKey {

  private static final ThreadLocal<Mac> HMAC =
      ThreadLocal.withInitial(
          () -> {
            try {
              return Mac.getInstance("HmacSHA256");
            } catch (GeneralSecurityException e) {
              throw new ProviderException("HmacSHA256 is not available", e);
            }
          });

  final String keyArn;
  final byte[] encryptedKey;
  final AtomicLong messages = new AtomicLong();
  final AtomicLong bytes = new AtomicLong();
  private byte[] material;

  DataKey(String keyArn, byte[] material, byte[] encryptedKey) {
    this.keyArn = keyArn;
    this.material = material;
    this.encryptedKey = encryptedKey;
  }

  /** HMAC-SHA256(material, label || data) into a fresh array, or null once destroyed. */
  synchronized byte[] deriveMessageKey(byte[] label, byte[] data) {
    if (material == null) {
      return null;
    }
    Mac mac = HMAC.get();
    try {
      mac.init(new SecretKeySpec(material, "HmacSHA256"));
    } catch (GeneralSecurityException e) {
      throw new ProviderException("cannot key HmacSHA256", e);
    }
    mac.update(label);
    mac.update(data);
    return mac.doFinal();
  }

  synchronized boolean isDestroyed() {
    return material == null;
  }

  synchronized void destroy() {
    if (material != null) {
      Arrays.fill(material, (byte) 0);
      material = null;
    }
  }
}
