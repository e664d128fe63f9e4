package dev.coffer.daemon.keystore;

import dev.coffer.daemon.crypto.Bytes;
import dev.coffer.daemon.crypto.CounterModeKdf;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.UUID;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The embedded default key store: backing keys are 256-bit random values kept only wrapped
 * under the {@link RootKey}; each request derives its own AES-256-GCM key from the backing key
 * and a random nonce (NIST SP 800-108 counter mode, HMAC-SHA256).
 */
public final class SoftwareKeyStore implements KeyStoreBackend {

  public static final String ID = "software";
  static final String KDF_LABEL = "coffer-v1-request-key";

  private final RootKey root;
  private final SecureRandom random;

  private static final ThreadLocal<Cipher> GCM =
      ThreadLocal.withInitial(
          () -> {
            try {
              return Cipher.getInstance("AES/GCM/NoPadding");
            } catch (GeneralSecurityException e) {
              throw new IllegalStateException("AES-GCM is missing from this JDK", e);
            }
          });

  public SoftwareKeyStore(RootKey root, SecureRandom random) {
    this.root = root;
    this.random = random;
  }

  @Override
  public String id() {
    return ID;
  }

  @Override
  public byte[] generate(UUID keyId, int version) {
    byte[] material = new byte[32];
    random.nextBytes(material);
    try {
      return root.wrap(material, wrapAad(keyId, version));
    } finally {
      Bytes.zero(material);
    }
  }

  @Override
  public byte[] importMaterial(UUID keyId, int version, byte[] material) {
    if (material.length != 32) {
      throw new IllegalArgumentException("backing keys are 32 bytes");
    }
    return root.wrap(material, wrapAad(keyId, version));
  }

  @Override
  public byte[] fingerprint(UUID keyId, byte[] material) {
    byte[] id = ByteBuffer.allocate(16).putLong(keyId.getMostSignificantBits())
        .putLong(keyId.getLeastSignificantBits()).array();
    return root.mac("coffer-v1-material-fingerprint", id, material);
  }

  @Override
  public BackingKey open(UUID keyId, int version, byte[] stored) {
    try {
      return new SoftwareBackingKey(keyId, version, root.unwrap(stored, wrapAad(keyId, version)));
    } catch (AEADBadTagException e) {
      throw new IllegalStateException(
          "backing key " + keyId + " v" + version + " does not unwrap under this root key;"
              + " the database and root.key do not belong together", e);
    }
  }

  @Override
  public void destroy(UUID keyId, int version, byte[] stored) {
    // The stored form is the only copy; deleting its row destroys it.
  }

  static byte[] wrapAad(UUID keyId, int version) {
    return ByteBuffer.allocate(32 + 16 + 4)
        .put(pad("coffer-backing-key-v1", 32))
        .putLong(keyId.getMostSignificantBits())
        .putLong(keyId.getLeastSignificantBits())
        .putInt(version)
        .array();
  }

  private static byte[] pad(String s, int n) {
    byte[] out = new byte[n];
    byte[] b = s.getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(b, 0, out, 0, b.length);
    return out;
  }

  private static final class SoftwareBackingKey implements BackingKey {
    private final byte[] material;
    private final byte[] idAndVersion;
    private volatile boolean destroyed;

    SoftwareBackingKey(UUID keyId, int version, byte[] material) {
      this.material = material;
      this.idAndVersion =
          ByteBuffer.allocate(20)
              .putLong(keyId.getMostSignificantBits())
              .putLong(keyId.getLeastSignificantBits())
              .putInt(version)
              .array();
    }

    private SecretKeySpec requestKey(byte[] nonce) {
      if (destroyed) {
        throw new IllegalStateException("backing key destroyed");
      }
      byte[] context = ByteBuffer.allocate(nonce.length + 20).put(nonce).put(idAndVersion).array();
      byte[] derived = CounterModeKdf.derive256(material, KDF_LABEL, context);
      try {
        return new SecretKeySpec(derived, "AES");
      } finally {
        Bytes.zero(derived);
      }
    }

    @Override
    public byte[] seal(byte[] nonce, byte[] iv, byte[] plaintext, byte[] aad) {
      try {
        Cipher c = GCM.get();
        c.init(Cipher.ENCRYPT_MODE, requestKey(nonce), new GCMParameterSpec(128, iv));
        c.updateAAD(aad);
        return c.doFinal(plaintext);
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("AES-GCM failed", e);
      }
    }

    @Override
    public byte[] open(byte[] nonce, byte[] iv, byte[] sealed, byte[] aad)
        throws AEADBadTagException {
      try {
        Cipher c = GCM.get();
        c.init(Cipher.DECRYPT_MODE, requestKey(nonce), new GCMParameterSpec(128, iv));
        c.updateAAD(aad);
        return c.doFinal(sealed);
      } catch (AEADBadTagException e) {
        throw e;
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("AES-GCM failed", e);
      }
    }

    @Override
    public void destroy() {
      destroyed = true;
      Bytes.zero(material);
    }
  }
}
