package dev.coffer.jca.spi;

import dev.coffer.jca.core.KmsService;
import dev.coffer.jca.key.KmsKey;
import java.security.InvalidKeyException;
import java.security.Key;

/** Argument checks shared by the SPI classes. */
final class Handles {
  private Handles() {}

  static KmsKey require(Key key) throws InvalidKeyException {
    if (!(key instanceof KmsKey k)) {
      throw new InvalidKeyException(
          "Coffer needs a KMS key handle (dev.coffer.jca.key.KmsKey), got "
              + (key == null ? "null" : key.getClass().getName()));
    }
    if (k.isDestroyed()) {
      throw new InvalidKeyException("the KMS key handle has been destroyed");
    }
    return k;
  }

  static KmsService service(KmsKey key) {
    return KmsService.forSocket(key.socket());
  }
}
