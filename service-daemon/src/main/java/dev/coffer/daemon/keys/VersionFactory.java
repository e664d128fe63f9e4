package dev.coffer.daemon.keys;

/**
 * Makes the stored form of a new backing key version for a key ({@link KeyRegistry#addVersion}).
 */
@FunctionalInterface
public interface VersionFactory {
  byte[] create(KeyRecord key, int version);
}
