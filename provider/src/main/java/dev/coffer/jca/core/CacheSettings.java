package dev.coffer.jca.core;

import java.time.Duration;
import java.util.Properties;

/**
 * Bounds of the data-key caches, from system properties (read once, when the provider first
 * encrypts or decrypts). A data key is reused for new messages until any bound is reached.
 *
 * <table>
 * <caption>Properties and defaults</caption>
 * <tr><td>coffer.cache.enabled</td><td>true</td></tr>
 * <tr><td>coffer.cache.encrypt.maxAgeSeconds</td><td>300</td></tr>
 * <tr><td>coffer.cache.encrypt.maxMessages</td><td>1000000</td></tr>
 * <tr><td>coffer.cache.encrypt.maxBytes</td><td>68719476736 (64 GiB)</td></tr>
 * <tr><td>coffer.cache.encrypt.maxEntries</td><td>1000</td></tr>
 * <tr><td>coffer.cache.decrypt.maxAgeSeconds</td><td>300</td></tr>
 * <tr><td>coffer.cache.decrypt.maxEntries</td><td>10000</td></tr>
 * </table>
 */
public record CacheSettings(
    boolean enabled,
    Duration encryptMaxAge,
    long encryptMaxMessages,
    long encryptMaxBytes,
    long encryptMaxEntries,
    Duration decryptMaxAge,
    long decryptMaxEntries) {

  public CacheSettings {
    if (encryptMaxMessages < 1 || encryptMaxBytes < 1 || encryptMaxEntries < 0
        || decryptMaxEntries < 0 || encryptMaxAge.isNegative() || decryptMaxAge.isNegative()) {
      throw new IllegalArgumentException("cache bounds must be positive");
    }
  }

  public static CacheSettings defaults() {
    return from(new Properties());
  }

  public static CacheSettings fromSystemProperties() {
    return from(System.getProperties());
  }

  static CacheSettings from(Properties p) {
    return new CacheSettings(
        Boolean.parseBoolean(p.getProperty("coffer.cache.enabled", "true")),
        Duration.ofSeconds(num(p, "coffer.cache.encrypt.maxAgeSeconds", 300)),
        num(p, "coffer.cache.encrypt.maxMessages", 1_000_000),
        num(p, "coffer.cache.encrypt.maxBytes", 1L << 36),
        num(p, "coffer.cache.encrypt.maxEntries", 1000),
        Duration.ofSeconds(num(p, "coffer.cache.decrypt.maxAgeSeconds", 300)),
        num(p, "coffer.cache.decrypt.maxEntries", 10_000));
  }

  private static long num(Properties p, String name, long dflt) {
    String v = p.getProperty(name);
    if (v == null || v.isBlank()) {
      return dflt;
    }
    try {
      return Long.parseLong(v.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + " must be a whole number, got " + v);
    }
  }
}
