package dev.coffer.daemon.keystore;

import dev.coffer.daemon.crypto.Bytes;
import dev.coffer.daemon.files.SecureFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The software root (domain) key, the embedded default: 32 random bytes in {@code root.key}
 * (mode 0600) in the data directory, generated on first start. It only wraps backing keys
 * (AES-256-GCM, AAD naming the key version), so a wrapped backing key cannot be moved to another
 * key or version.
 */
public final class SoftwareRootKey implements RootKey {

  static final String FILE_NAME = "root.key";
  private static final int IV_BYTES = 12;

  private final SecretKeySpec key;
  private final SecureRandom random;

  private SoftwareRootKey(byte[] material, SecureRandom random) {
    this.key = new SecretKeySpec(material, "AES");
    this.random = random;
  }

  /**
   * Loads the root key from {@code home}, creating it on first start.
   *
   * <p>The file is created atomically ({@link SecureFiles#createNew}): a first start that fails
   * (a full disk, say) leaves no {@code root.key} at all, so the next start creates it afresh.
   *
   * @throws IOException if {@code root.key} is accessible by other users, cannot be written, or
   *     is not 32 bytes
   */
  public static SoftwareRootKey loadOrCreate(Path home, SecureRandom random) throws IOException {
    Path file = home.resolve(FILE_NAME);
    if (!Files.exists(file)) {
      byte[] fresh = new byte[32];
      random.nextBytes(fresh);
      try {
        // false: another process created it first; use theirs, read below.
        SecureFiles.createNew(file, fresh, SecureFiles.OWNER_ONLY);
      } finally {
        Bytes.zero(fresh);
      }
    }
    byte[] material = readMaterial(home);
    try {
      return new SoftwareRootKey(material, random);
    } finally {
      Bytes.zero(material);
    }
  }

  /** {@code root.key} in {@code home}. */
  public static Path file(Path home) {
    return home.resolve(FILE_NAME);
  }

  /**
   * The 32 bytes of {@code home}'s {@code root.key}, for handing them to a joining node
   * ({@link RootKeyTransfer}); the caller zeroes them.
   *
   * @throws java.nio.file.NoSuchFileException if there is none
   * @throws IOException if it is accessible by other users, or not 32 bytes
   */
  public static byte[] readMaterial(Path home) throws IOException {
    Path file = file(home);
    SecureFiles.requireOwnerOnly(file, "the root key");
    byte[] material = Files.readAllBytes(file);
    if (material.length == 0) {
      throw new IOException(file + " is empty: a first start on a full disk (before Coffer"
          + " wrote it atomically) can leave it so. If this data directory has never held"
          + " keys, delete it and start again; otherwise restore it from backup");
    }
    if (material.length != 32) {
      Bytes.zero(material);
      throw new IOException(file + " is not a 32-byte root key; restore it from backup");
    }
    return material;
  }

  @Override
  public byte[] mac(String label, byte[] context, byte[] data) {
    byte[] rootBytes = key.getEncoded();
    byte[] derived = dev.coffer.daemon.crypto.CounterModeKdf.derive256(rootBytes, label, context);
    Bytes.zero(rootBytes);
    try {
      javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(derived, "HmacSHA256"));
      return mac.doFinal(data);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 unavailable", e);
    } finally {
      Bytes.zero(derived);
    }
  }

  @Override
  public byte[] wrap(byte[] material, byte[] aad) {
    byte[] iv = new byte[IV_BYTES];
    random.nextBytes(iv);
    try {
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, iv));
      c.updateAAD(aad);
      byte[] ct = c.doFinal(material);
      byte[] out = new byte[IV_BYTES + ct.length];
      System.arraycopy(iv, 0, out, 0, IV_BYTES);
      System.arraycopy(ct, 0, out, IV_BYTES, ct.length);
      return out;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM unavailable", e);
    }
  }

  @Override
  public byte[] unwrap(byte[] wrapped, byte[] aad) throws AEADBadTagException {
    if (wrapped.length < IV_BYTES + 16) {
      throw new AEADBadTagException("wrapped key too short");
    }
    try {
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(
          Cipher.DECRYPT_MODE, key, new GCMParameterSpec(128, Arrays.copyOf(wrapped, IV_BYTES)));
      c.updateAAD(aad);
      return c.doFinal(wrapped, IV_BYTES, wrapped.length - IV_BYTES);
    } catch (AEADBadTagException e) {
      throw e;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM unavailable", e);
    }
  }
}
