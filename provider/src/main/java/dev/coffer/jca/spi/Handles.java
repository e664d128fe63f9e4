package dev.coffer.jca.spi;

import dev.coffer.jca.core.KmsService;
import dev.coffer.jca.key.KmsKey;
import dev.coffer.jca.key.KmsPrivateKey;
import java.security.InvalidKeyException;
import java.nio.file.Path;
import java.security.Key;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

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

  /**
   * A handle of a symmetric encryption key. An HMAC key's handle ({@code HmacSHA*}) is refused
   * here, before any round trip, as AWS refuses it ({@code InvalidKeyUsageException}).
   */
  static KmsKey requireEncryptionKey(Key key) throws InvalidKeyException {
    KmsKey k = require(key);
    if (!"AES".equals(k.getAlgorithm())) {
      throw new InvalidKeyException(k.arn() + " is an HMAC KMS key (" + k.getAlgorithm()
          + "): it generates and verifies MACs (Mac " + k.getAlgorithm() + " under Coffer) and"
          + " cannot encrypt; use a SYMMETRIC_DEFAULT key");
    }
    return k;
  }

  private static final Map<Path, KmsService> BY_SOCKET = new ConcurrentHashMap<>();
  private static volatile DefaultService byDefault;

  private record DefaultService(String socket, String endpoint, KmsService service) {}

  /**
   * The service for a handle's socket, resolved once per socket path rather than per {@code
   * init} (resolving builds and hashes fresh paths). A handle without a socket follows {@code
   * -Dcoffer.socket} and {@code -Dcoffer.endpoint}, which tests and tools change at run time, so
   * that memo is keyed by both.
   */
  static KmsService service(KmsKey key) {
    return service(key.socket());
  }

  /** The service for a private-key handle's socket (same rules as for a {@link KmsKey}). */
  static KmsService service(KmsPrivateKey key) {
    return service(key.socket());
  }

  /**
   * The private-key handle in {@code key}, of JCA key algorithm {@code algorithm} ({@code EC} or
   * {@code RSA}). Anything else is refused with {@link InvalidKeyException}, which is what lets
   * delayed provider selection move on to the JDK's providers for ordinary keys.
   */
  static KmsPrivateKey requirePrivate(Key key, String algorithm) throws InvalidKeyException {
    if (!(key instanceof KmsPrivateKey k)) {
      throw new InvalidKeyException("Coffer signs and decrypts with KMS private-key handles"
          + " (dev.coffer.jca.key.KmsPrivateKey) only, got "
          + (key == null ? "null" : key.getClass().getName())
          + "; ordinary keys are for the JDK's own providers");
    }
    if (!k.getAlgorithm().equals(algorithm)) {
      throw new InvalidKeyException("this algorithm needs an " + algorithm + " key; "
          + k.arn() + " is " + k.keySpec());
    }
    if (k.isDestroyed()) {
      throw new InvalidKeyException("the KMS key handle has been destroyed");
    }
    return k;
  }

  static KmsService service(Path socket) {
    if (socket != null) {
      KmsService s = BY_SOCKET.get(socket);
      if (s == null) {
        s = BY_SOCKET.computeIfAbsent(socket, KmsService::forSocket);
      }
      return s;
    }
    String property = System.getProperty("coffer.socket");
    String endpoint = System.getProperty("coffer.endpoint");
    DefaultService d = byDefault;
    if (d == null || !Objects.equals(d.socket(), property)
        || !Objects.equals(d.endpoint(), endpoint)) {
      d = new DefaultService(property, endpoint, KmsService.forSocket(null));
      byDefault = d;
    }
    return d.service();
  }
}
