package dev.coffer.daemon.keystore.pkcs11;

import dev.coffer.daemon.keystore.RootKey;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;

/**
 * The root key held in a PKCS#11 token ({@code root-key-store=pkcs11}).
 *
 * <p>Security contract: two token objects, both generated in the token with {@code
 * CKA_SENSITIVE=true, CKA_EXTRACTABLE=false}: an AES-256 key that wraps and unwraps (AES-GCM in
 * the token, {@code iv || ciphertext || tag}, the same layout as the software root key) and an
 * HMAC-SHA256 generic-secret key for {@link #mac}. SunPKCS11 has no HMAC on AES keys and no
 * counter-mode KDF, so {@link #mac} does not derive a key per label as the software root key
 * does; it computes one HMAC in the token over an unambiguous, length-prefixed encoding of
 * label, context and data, which separates purposes just as well. Neither key's material ever
 * reaches the JVM. Unwrapped backing keys do (the software key store computes with them), which
 * is the trade-off documented in {@code docs/key-hierarchy.md}.
 */
public final class Pkcs11RootKey implements RootKey {

  static final String AES_LABEL = "coffer-root-aes-v1";
  static final String HMAC_LABEL = "coffer-root-hmac-v1";
  private static final int IV_BYTES = 12;

  private final Pkcs11Config config;
  private final char[] pin;
  private final SecureRandom random;
  private volatile Pkcs11Token token;

  private Pkcs11RootKey(Pkcs11Config config, char[] pin, SecureRandom random, Pkcs11Token t) {
    this.config = config;
    this.pin = pin;
    this.random = random;
    this.token = t;
  }

  /**
   * Connects to the token and finds the root key's two objects, generating them on first start.
   *
   * @throws IOException when the token cannot be used; the daemon does not start
   */
  public static Pkcs11RootKey open(Pkcs11Config config, char[] pin, SecureRandom random)
      throws IOException {
    Pkcs11Token t;
    try {
      t = Pkcs11Token.open(config, pin, Pkcs11KeyStore.DEFAULT_MAX_SESSIONS);
    } catch (Pkcs11ConnectException e) {
      throw new IOException("root-key-store=pkcs11: " + e.code() + ": " + e.getMessage(), e);
    }
    try {
      if (t.key(AES_LABEL) == null) {
        t.generate(AES_LABEL, Pkcs11Token.AES);
      }
      if (t.key(HMAC_LABEL) == null) {
        t.generate(HMAC_LABEL, Pkcs11Token.HMAC);
      }
    } catch (GeneralSecurityException | RuntimeException e) {
      throw new IOException("root-key-store=pkcs11: cannot create the root key in "
          + config.describe() + ": " + e, e);
    }
    return new Pkcs11RootKey(config, pin.clone(), random, t);
  }

  private interface Work<T> {
    T run(Pkcs11Token t) throws GeneralSecurityException;
  }

  /** Runs work on the token; if the token failed, reconnects once (fresh module) and retries. */
  private <T> T onToken(Work<T> work) throws GeneralSecurityException {
    Pkcs11Token t = token;
    try {
      return work.run(t);
    } catch (AEADBadTagException e) {
      throw e;
    } catch (GeneralSecurityException | RuntimeException e) {
      if (t.healthy()) {
        throw e;
      }
      synchronized (this) {
        if (token == t) {
          try {
            Pkcs11Token old = token;
            token = Pkcs11Token.open(config, pin, Pkcs11KeyStore.DEFAULT_MAX_SESSIONS);
            old.close();
          } catch (Pkcs11ConnectException ce) {
            throw new IllegalStateException("the root key's token is unavailable: "
                + ce.code() + ": " + ce.getMessage(), ce);
          }
        }
      }
      return work.run(token);
    }
  }

  private static SecretKey require(Pkcs11Token t, String label) throws GeneralSecurityException {
    SecretKey k = t.key(label);
    if (k == null) {
      throw new GeneralSecurityException("the root key object " + label + " is missing from"
          + " the token; restore the token from backup");
    }
    return k;
  }

  @Override
  public byte[] wrap(byte[] material, byte[] aad) {
    byte[] iv = new byte[IV_BYTES];
    random.nextBytes(iv);
    try {
      byte[] ct = onToken(t -> t.gcm(Cipher.ENCRYPT_MODE, require(t, AES_LABEL), iv, aad,
          material));
      return ByteBuffer.allocate(IV_BYTES + ct.length).put(iv).put(ct).array();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("wrapping under the token root key failed: " + e, e);
    }
  }

  @Override
  public byte[] unwrap(byte[] wrapped, byte[] aad) throws AEADBadTagException {
    if (wrapped.length < IV_BYTES + 16) {
      throw new AEADBadTagException("wrapped key too short");
    }
    byte[] iv = Arrays.copyOf(wrapped, IV_BYTES);
    byte[] body = Arrays.copyOfRange(wrapped, IV_BYTES, wrapped.length);
    try {
      return onToken(t -> t.gcm(Cipher.DECRYPT_MODE, require(t, AES_LABEL), iv, aad, body));
    } catch (AEADBadTagException e) {
      throw e;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("unwrapping under the token root key failed: " + e, e);
    }
  }

  @Override
  public byte[] mac(String label, byte[] context, byte[] data) {
    byte[] l = label.getBytes(StandardCharsets.UTF_8);
    byte[] input = ByteBuffer.allocate(12 + l.length + context.length + data.length)
        .putInt(l.length).put(l).putInt(context.length).put(context).putInt(data.length)
        .put(data).array();
    try {
      return onToken(t -> t.hmac(require(t, HMAC_LABEL), input));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HMAC under the token root key failed: " + e, e);
    }
  }
}
