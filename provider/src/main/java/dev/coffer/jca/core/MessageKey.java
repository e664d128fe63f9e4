package dev.coffer.jca.core;

import java.util.Arrays;
import javax.crypto.SecretKey;

/**
 * A derived AES-256 key handed to the JDK's AES-GCM. Unlike {@code SecretKeySpec} it can be
 * zeroed: {@link DataKey#destroy()} destroys every key derived from it. Package-private; it never
 * leaves the envelope engine.
 */
final class MessageKey implements SecretKey {
  private static final long serialVersionUID = 1L;

  private final transient byte[] material;
  private volatile transient boolean destroyed;

  /** Takes ownership of {@code material}. */
  MessageKey(byte[] material) {
    this.material = material;
  }

  @Override
  public String getAlgorithm() {
    return "AES";
  }

  @Override
  public String getFormat() {
    return "RAW";
  }

  @Override
  public byte[] getEncoded() {
    if (destroyed) {
      throw new IllegalStateException("derived key destroyed");
    }
    return material.clone();
  }

  @Override
  public void destroy() {
    destroyed = true;
    Arrays.fill(material, (byte) 0);
  }

  @Override
  public boolean isDestroyed() {
    return destroyed;
  }

  private Object writeReplace() throws java.io.ObjectStreamException {
    throw new java.io.NotSerializableException("derived envelope keys are not serializable");
  }
}
