package dev.coffer.daemon.keystore.pkcs11;

import dev.coffer.daemon.keystore.BackingKey;
import dev.coffer.daemon.keystore.KeyStoreBackend;
import dev.coffer.protocol.ErrorType;
import dev.coffer.protocol.KmsException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;

/**
 * A custom key store: the backing keys of its KMS keys are AES-256 token objects in one PKCS#11
 * token, reached through SunPKCS11.
 *
 * <p>Security contract: key material is generated in the token, sensitive and non-extractable,
 * and never leaves it; the stored form the daemon persists is only the object's label (UTF-8).
 * Encrypt and decrypt run AES-GCM in the token with the caller's IV and AAD. There is no
 * per-request key derivation (SunPKCS11 offers no HMAC on AES keys), so the blob's nonce is
 * authenticated as part of the header but not used as key input; the ciphertext format is
 * unchanged. No import: {@link #importMaterial} refuses.
 *
 * <p>Connection: {@link #connect} logs in (synchronously); while not {@code CONNECTED} every
 * operation fails, and the operation layer presents the store's keys as {@code Unavailable}. A
 * token that stops answering moves the store to {@code FAILED} ({@link
 * ConnectionErrorCode#TOKEN_ERRORS}); the next {@link #connect} loads a fresh instance of the
 * module (each connection has its own, see {@code Pkcs11Modules}). Token objects this store created whose key version row no longer exists (the key was
 * deleted while disconnected, or the daemon crashed before the row committed) are found at
 * connect and deleted {@link #DEFAULT_ORPHAN_GRACE} later if still unreferenced then: another
 * node sharing the token may have generated one a moment ago for a key whose row it has not
 * committed yet (docs/cluster.md, "Custom key stores").
 */
public final class Pkcs11KeyStore implements KeyStoreBackend {

  private static final Logger LOG = Logger.getLogger(Pkcs11KeyStore.class.getName());

  /** AWS connection states. {@code CONNECTING} is visible only while a connect runs. */
  public enum ConnectionState { CONNECTED, CONNECTING, DISCONNECTED, FAILED }

  public static final int DEFAULT_MAX_SESSIONS = 8;

  /**
   * How long an unreferenced token object found at connect is left alone before it is deleted:
   * far longer than any node takes between generating a key's object and committing its row.
   */
  public static final Duration DEFAULT_ORPHAN_GRACE = Duration.ofMinutes(5);

  private final String id;
  private final Supplier<Set<String>> referencedLabels;
  private final SecureRandom random;
  private final int maxSessions;
  private final Duration orphanGrace;
  private final Set<String> generatedHere = ConcurrentHashMap.newKeySet();
  private volatile Pkcs11Token token;
  private volatile ConnectionState state = ConnectionState.DISCONNECTED;
  private volatile ConnectionErrorCode errorCode;
  private volatile String errorMessage;

  /**
   * @param id the custom key store id, persisted with every key version created here
   * @param referencedLabels labels of this store's key versions the daemon still knows
   */
  public Pkcs11KeyStore(String id, Supplier<Set<String>> referencedLabels, SecureRandom random,
      int maxSessions) {
    this(id, referencedLabels, random, maxSessions, DEFAULT_ORPHAN_GRACE);
  }

  /** As above, deleting orphaned token objects {@code orphanGrace} after a connect finds them. */
  public Pkcs11KeyStore(String id, Supplier<Set<String>> referencedLabels, SecureRandom random,
      int maxSessions, Duration orphanGrace) {
    this.id = id;
    this.referencedLabels = referencedLabels;
    this.random = random;
    this.maxSessions = maxSessions;
    this.orphanGrace = orphanGrace;
  }

  @Override
  public String id() {
    return id;
  }

  public ConnectionState state() {
    return state;
  }

  /** Why the store is {@code FAILED}; null otherwise. */
  public ConnectionErrorCode errorCode() {
    return state == ConnectionState.FAILED ? errorCode : null;
  }

  public String errorMessage() {
    return state == ConnectionState.FAILED ? errorMessage : null;
  }

  /** Token operations in progress now; 0 when idle (no session permit is leaked). */
  public int inFlight() {
    Pkcs11Token t = token;
    return t == null ? 0 : t.inFlight();
  }

  /** The label prefix of every token object this store creates. */
  public String labelPrefix() {
    return "coffer-" + id + "-";
  }

  /**
   * Connects to the token and logs in; on failure the store is {@code FAILED} with an error
   * code. Connecting a healthy connected store does nothing.
   */
  public synchronized void connect(Pkcs11Config config, char[] pin) {
    Pkcs11Token current = token;
    if (state == ConnectionState.CONNECTED && current != null && current.healthy()) {
      return;
    }
    closeToken();
    state = ConnectionState.CONNECTING;
    try {
      Pkcs11Token t = Pkcs11Token.open(config, pin, maxSessions);
      reconcile(t);
      token = t;
      errorCode = null;
      errorMessage = null;
      state = ConnectionState.CONNECTED;
      LOG.info(() -> "custom key store " + id + " connected to " + config.describe());
    } catch (Pkcs11ConnectException e) {
      errorCode = e.code();
      errorMessage = e.getMessage();
      state = ConnectionState.FAILED;
      LOG.log(Level.WARNING, "custom key store " + id + " failed to connect: " + e.getMessage());
    } catch (RuntimeException e) {
      errorCode = ConnectionErrorCode.INTERNAL_ERROR;
      errorMessage = String.valueOf(e);
      state = ConnectionState.FAILED;
      LOG.log(Level.WARNING, "custom key store " + id + " failed to connect", e);
    }
  }

  /** Disconnects; the store's keys become Unavailable. */
  public synchronized void disconnect() {
    closeToken();
    errorCode = null;
    errorMessage = null;
    state = ConnectionState.DISCONNECTED;
  }

  private void closeToken() {
    Pkcs11Token t = token;
    token = null;
    if (t != null) {
      t.close();
    }
  }

  /**
   * Finds token objects of this store that no key version references, and deletes those still
   * unreferenced after the grace period (while this connection is still the store's).
   */
  private void reconcile(Pkcs11Token t) {
    Set<String> candidates = new HashSet<>();
    try {
      candidates.addAll(unreferenced(t));
    } catch (GeneralSecurityException | RuntimeException e) {
      LOG.log(Level.WARNING, "custom key store " + id + ": orphan check failed", e);
    }
    if (!candidates.isEmpty()) {
      CompletableFuture.delayedExecutor(orphanGrace.toMillis(), TimeUnit.MILLISECONDS)
          .execute(() -> deleteOrphans(t, candidates));
    }
  }

  private Set<String> unreferenced(Pkcs11Token t) throws GeneralSecurityException {
    Set<String> known = referencedLabels.get();
    Set<String> out = new HashSet<>();
    for (String label : t.labels(labelPrefix())) {
      if (!known.contains(label) && !generatedHere.contains(label)) {
        out.add(label);
      }
    }
    return out;
  }

  private synchronized void deleteOrphans(Pkcs11Token t, Set<String> candidates) {
    if (token != t || state != ConnectionState.CONNECTED) {
      return; // disconnected or reconnected since: the next connect looks again
    }
    try {
      Set<String> still = unreferenced(t);
      for (String label : candidates) {
        if (still.contains(label)) {
          t.delete(label);
          LOG.info(() -> "custom key store " + id + ": deleted orphaned token object " + label);
        }
      }
    } catch (GeneralSecurityException | RuntimeException e) {
      LOG.log(Level.WARNING, "custom key store " + id + ": orphan check failed", e);
    }
  }

  private synchronized void markFailed(Pkcs11Token t, String why) {
    if (token != t) {
      return; // already replaced by a newer connection
    }
    closeToken();
    errorCode = ConnectionErrorCode.TOKEN_ERRORS;
    errorMessage = why;
    state = ConnectionState.FAILED;
    LOG.warning(() -> "custom key store " + id + " failed: " + why);
  }

  private Pkcs11Token connected() {
    Pkcs11Token t = token;
    if (state != ConnectionState.CONNECTED || t == null) {
      throw new KmsException("CustomKeyStoreInvalidStateException",
          "custom key store " + id + " is " + state + "; connect it with"
              + " connect-custom-key-store");
    }
    return t;
  }

  /** Runs token work; turns token failures into AWS errors and marks the store FAILED. */
  private <T> T onToken(TokenWork<T> work) throws AEADBadTagException {
    Pkcs11Token t = connected();
    for (int attempt = 0; ; attempt++) {
      try {
        return work.run(t);
      } catch (AEADBadTagException e) {
        throw e;
      } catch (GeneralSecurityException | Pkcs11Token.TokenFailure | MissingObject e) {
        if (!t.healthy()) {
          markFailed(t, "the token stopped answering: " + Pkcs11Token.causes(e));
          throw new KmsException(ErrorType.KEY_UNAVAILABLE,
              "the token of custom key store " + id + " stopped answering; its keys are"
                  + " Unavailable until connect-custom-key-store succeeds");
        }
        if (e instanceof MissingObject m) {
          throw new KmsException(ErrorType.KEY_UNAVAILABLE,
              "the token of custom key store " + id + " no longer holds " + m.getMessage()
                  + " (was the token re-initialised?); this key cannot be used");
        }
        t.forgetHandles();
        if (attempt > 0) {
          throw new KmsException(ErrorType.INTERNAL,
              "custom key store " + id + ": the token refused the operation: "
                  + Pkcs11Token.causes(e));
        }
      }
    }
  }

  @FunctionalInterface
  private interface TokenWork<T> {
    T run(Pkcs11Token t) throws GeneralSecurityException;
  }

  private static final class MissingObject extends RuntimeException {
    private static final long serialVersionUID = 1L;

    MissingObject(String label) {
      super("token object " + label, null, false, false);
    }
  }

  private static SecretKey require(Pkcs11Token t, String label) throws GeneralSecurityException {
    SecretKey k = t.key(label);
    if (k == null) {
      throw new MissingObject(label);
    }
    return k;
  }

  @Override
  public byte[] generate(UUID keyId, int version) {
    byte[] suffix = new byte[4];
    random.nextBytes(suffix);
    String label = labelPrefix() + keyId + "-v" + version + "-" + HexFormat.of().formatHex(suffix);
    generatedHere.add(label);
    try {
      onToken(t -> t.generate(label, Pkcs11Token.AES));
    } catch (AEADBadTagException e) {
      throw new IllegalStateException(e);
    }
    return label.getBytes(StandardCharsets.UTF_8);
  }

  /**
   * {@code n} random bytes generated in the token (AWS's {@code GenerateRandom} with a
   * {@code CustomKeyStoreId}); fails like any token operation when the store is not connected.
   */
  public byte[] generateRandom(int n) {
    try {
      return onToken(t -> t.random(n));
    } catch (AEADBadTagException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public byte[] importMaterial(UUID keyId, int version, byte[] material) {
    throw new UnsupportedOperationException(
        "keys in a custom key store are generated in the token; key material cannot be imported");
  }

  @Override
  public byte[] fingerprint(UUID keyId, byte[] material) {
    throw new UnsupportedOperationException("custom key stores hold no imported material");
  }

  @Override
  public BackingKey open(UUID keyId, int version, byte[] stored) {
    return new TokenBackingKey(new String(stored, StandardCharsets.UTF_8));
  }

  @Override
  public void destroy(UUID keyId, int version, byte[] stored) {
    String label = new String(stored, StandardCharsets.UTF_8);
    generatedHere.remove(label);
    Pkcs11Token t = token;
    if (state != ConnectionState.CONNECTED || t == null) {
      LOG.info(() -> "custom key store " + id + " is " + state + "; token object " + label
          + " will be deleted when it connects");
      return;
    }
    try {
      t.delete(label);
    } catch (GeneralSecurityException | RuntimeException e) {
      LOG.log(Level.WARNING, "custom key store " + id + ": deleting " + label
          + " failed; it will be retried at the next connect", e);
    }
  }

  /**
   * A reference to one token key by label. Holds no material, so a cached instance stays valid
   * across reconnects; the handle is looked up in the current connection at each use.
   */
  private final class TokenBackingKey implements BackingKey {
    private final String label;

    TokenBackingKey(String label) {
      this.label = label;
    }

    @Override
    public byte[] seal(byte[] nonce, byte[] iv, byte[] plaintext, byte[] aad) {
      try {
        return onToken(t -> t.gcm(Cipher.ENCRYPT_MODE, require(t, label), iv, aad, plaintext));
      } catch (AEADBadTagException e) {
        throw new IllegalStateException("encryption cannot fail a tag check", e);
      }
    }

    @Override
    public byte[] open(byte[] nonce, byte[] iv, byte[] sealed, byte[] aad)
        throws AEADBadTagException {
      return onToken(t -> t.gcm(Cipher.DECRYPT_MODE, require(t, label), iv, aad, sealed));
    }

    @Override
    public void destroy() {
      // nothing held here; the token object is deleted through KeyStoreBackend.destroy
    }
  }
}
