package dev.coffer.daemon.keystore.pkcs11;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.Provider;
import java.security.ProviderException;
import java.security.Security;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.KeyGenerator;
import javax.crypto.Mac;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;

/**
 * One logged-in connection to one token through its own SunPKCS11 provider instance.
 *
 * <p>Security contract: every key this class creates is generated inside the token as a session
 * object with {@code CKA_SENSITIVE=true, CKA_EXTRACTABLE=false} and then stored through the
 * PKCS11 {@code KeyStore} under a unique label, which copies it into a token object (generating
 * with {@code CKA_TOKEN=true} directly would leave an unlabelled orphan). Its material never
 * reaches the JVM: AES-GCM and HMAC run in the token. Only labels leave this class.
 *
 * <p>Concurrency: at most {@code maxSessions} operations use the token at once (a permit is
 * taken before, and released in {@code finally} after, each operation), which bounds the
 * PKCS#11 sessions SunPKCS11 opens for this connection.
 */
final class Pkcs11Token implements AutoCloseable {

  /** Thrown when the token does not answer as it should (not for a wrong tag or a missing key). */
  static final class TokenFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;

    TokenFailure(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /** An operation on the token, given this connection's provider. */
  @FunctionalInterface
  interface Op<T> {
    T run(Provider p) throws GeneralSecurityException;
  }

  private static final AtomicInteger INSTANCES = new AtomicInteger();
  static final String AES = "AES";
  static final String HMAC = "HmacSHA256";

  private final Provider provider;
  private final KeyStore keyStore;
  private final Semaphore permits;
  private final int maxSessions;
  private final String modulePath;
  private final long slot;
  private final String tokenLabel;
  private final Map<String, SecretKey> handles = new ConcurrentHashMap<>();
  private volatile boolean closed;

  private Pkcs11Token(Provider provider, KeyStore keyStore, int maxSessions, String modulePath,
      long slot, String tokenLabel) {
    this.provider = provider;
    this.keyStore = keyStore;
    this.maxSessions = maxSessions;
    this.permits = new Semaphore(maxSessions, true);
    this.modulePath = modulePath;
    this.slot = slot;
    this.tokenLabel = tokenLabel;
  }

  /**
   * Loads the module (the current instance, or a fresh private copy), finds the token, and logs
   * in as the crypto user.
   */
  static Pkcs11Token open(Pkcs11Config config, char[] pin, int maxSessions)
      throws Pkcs11ConnectException {
    if (!Files.isRegularFile(Path.of(config.library()))) {
      throw new Pkcs11ConnectException(ConnectionErrorCode.LIBRARY_NOT_FOUND,
          "the PKCS#11 library " + config.library() + " does not exist", null);
    }
    Path copy;
    try {
      copy = Pkcs11Modules.privateCopy(config.library());
    } catch (IOException e) {
      throw new Pkcs11ConnectException(ConnectionErrorCode.LIBRARY_NOT_FOUND,
          "cannot read the PKCS#11 library " + config.library() + ": " + e.getMessage(), e);
    }
    String modulePath = copy.toString();
    boolean ok = false;
    try {
      Pkcs11Token t = open(config, pin, maxSessions, modulePath);
      ok = true;
      return t;
    } finally {
      if (!ok) {
        Pkcs11Modules.finalizeModule(modulePath);
      }
      try {
        Files.deleteIfExists(copy);
      } catch (IOException ignored) {
        // a temporary file; the mapping is what matters
      }
    }
  }

  private static Pkcs11Token open(Pkcs11Config config, char[] pin, int maxSessions,
      String modulePath) throws Pkcs11ConnectException {
    long slot = -1;
    StringBuilder cfg = new StringBuilder("--name = coffer").append(INSTANCES.incrementAndGet())
        .append("\nlibrary = ").append(modulePath).append('\n');
    if (config.tokenLabel() != null) {
      slot = Pkcs11Modules.findSlot(modulePath, config.tokenLabel());
      if (slot < 0) {
        throw new Pkcs11ConnectException(ConnectionErrorCode.TOKEN_NOT_FOUND,
            "no token labelled '" + config.tokenLabel() + "' is present in " + config.library()
                + " (list them with pkcs11-tool --module " + config.library() + " -L)", null);
      }
      cfg.append("slot = ").append(slot).append('\n');
    } else {
      cfg.append("slotListIndex = ").append(config.slotListIndex()).append('\n');
    }
    for (String type : List.of("CKK_AES", "CKK_GENERIC_SECRET")) {
      cfg.append("attributes(generate, CKO_SECRET_KEY, ").append(type).append(") = {\n")
          .append("  CKA_TOKEN = false\n  CKA_SENSITIVE = true\n  CKA_EXTRACTABLE = false\n}\n");
    }
    Provider p;
    try {
      p = Security.getProvider("SunPKCS11").configure(cfg.toString());
    } catch (ProviderException | java.security.InvalidParameterException e) {
      String m = String.valueOf(e.getMessage()) + " " + e.getCause();
      if (m.contains("slotListIndex") || m.contains("CKR_TOKEN_NOT_PRESENT")
          || m.contains("CKR_SLOT_ID_INVALID")) {
        throw new Pkcs11ConnectException(ConnectionErrorCode.TOKEN_NOT_FOUND,
            "no token at " + config.describe() + ": " + e.getMessage(), e);
      }
      throw new Pkcs11ConnectException(ConnectionErrorCode.LIBRARY_NOT_FOUND,
          "SunPKCS11 cannot use " + config.describe() + ": " + e.getMessage(), e);
    }
    KeyStore ks;
    try {
      ks = KeyStore.getInstance("PKCS11", p);
      ks.load(null, pin);
    } catch (IOException | GeneralSecurityException | ProviderException e) {
      String chain = causes(e);
      if (chain.contains("CKR_PIN_LOCKED")) {
        throw new Pkcs11ConnectException(ConnectionErrorCode.USER_LOCKED_OUT,
            "the crypto user of " + config.describe() + " is locked; reset its PIN with the"
                + " security officer PIN", e);
      }
      if (chain.contains("CKR_PIN_INCORRECT") || chain.contains("CKR_PIN_LEN_RANGE")
          || chain.contains("CKR_PIN_INVALID")) {
        throw new Pkcs11ConnectException(ConnectionErrorCode.INVALID_CREDENTIALS,
            "the token refused the crypto-user PIN of " + config.describe(), e);
      }
      if (chain.contains("CKR_TOKEN_NOT_PRESENT") || chain.contains("CKR_TOKEN_NOT_RECOGNIZED")) {
        throw new Pkcs11ConnectException(ConnectionErrorCode.TOKEN_NOT_FOUND,
            "no token at " + config.describe(), e);
      }
      throw new Pkcs11ConnectException(ConnectionErrorCode.TOKEN_ERRORS,
          "logging in to " + config.describe() + " failed: " + chain, e);
    }
    return new Pkcs11Token(p, ks, maxSessions, modulePath, slot, config.tokenLabel());
  }

  static String causes(Throwable t) {
    StringBuilder b = new StringBuilder();
    for (Throwable c = t; c != null && b.length() < 2000; c = c.getCause()) {
      b.append(c.getClass().getSimpleName()).append(": ").append(c.getMessage()).append("; ");
    }
    return b.toString();
  }

  /** Runs {@code op} holding one of this token's session permits. */
  <T> T call(Op<T> op) throws GeneralSecurityException {
    if (closed) {
      throw new TokenFailure("the connection to the token was closed", null);
    }
    boolean acquired;
    try {
      acquired = permits.tryAcquire(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new TokenFailure("interrupted waiting for a token session", e);
    }
    if (!acquired) {
      throw new TokenFailure("no token session became free within 30 s", null);
    }
    try {
      return op.run(provider);
    } catch (ProviderException e) {
      throw new TokenFailure("the token failed: " + causes(e), e);
    } finally {
      permits.release();
    }
  }

  /** Generates a sensitive, non-extractable key ({@link #AES} or {@link #HMAC}) as a token object. */
  SecretKey generate(String label, String algorithm) throws GeneralSecurityException {
    return call(p -> {
      if (keyStore.containsAlias(label)) {
        throw new GeneralSecurityException("a token object labelled " + label + " exists");
      }
      KeyGenerator g = KeyGenerator.getInstance(algorithm, p);
      g.init(256);
      SecretKey session = g.generateKey();
      keyStore.setEntry(label, new KeyStore.SecretKeyEntry(session), null);
      SecretKey stored = (SecretKey) keyStore.getKey(label, null);
      if (stored == null) {
        throw new GeneralSecurityException("the token did not keep " + label);
      }
      handles.put(label, stored);
      return stored;
    });
  }

  /** The token key labelled {@code label}, or null if the token holds none. */
  SecretKey key(String label) throws GeneralSecurityException {
    SecretKey k = handles.get(label);
    if (k != null) {
      return k;
    }
    SecretKey found = call(p -> (SecretKey) keyStore.getKey(label, null));
    if (found != null) {
      handles.put(label, found);
    }
    return found;
  }

  /** Deletes the token object labelled {@code label}; false if there was none. */
  boolean delete(String label) throws GeneralSecurityException {
    handles.remove(label);
    return call(p -> {
      if (!keyStore.containsAlias(label)) {
        return false;
      }
      keyStore.deleteEntry(label);
      return true;
    });
  }

  /** Labels of the token's objects that start with {@code prefix}. */
  List<String> labels(String prefix) throws GeneralSecurityException {
    return call(p -> {
      List<String> out = new ArrayList<>();
      for (String a : Collections.list(keyStore.aliases())) {
        if (a.startsWith(prefix)) {
          out.add(a);
        }
      }
      return out;
    });
  }

  /**
   * AES-GCM (128-bit tag) with the caller's IV and AAD, inside the token. A reloaded token key
   * reports a bogus size, so the transformation names no key size.
   */
  byte[] gcm(int mode, SecretKey key, byte[] iv, byte[] aad, byte[] input)
      throws GeneralSecurityException {
    return call(p -> {
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding", p);
      c.init(mode, key, new GCMParameterSpec(128, iv));
      c.updateAAD(aad);
      return c.doFinal(input);
    });
  }

  /** {@code n} bytes from the token's random number generator ({@code C_GenerateRandom}). */
  byte[] random(int n) throws GeneralSecurityException {
    return call(p -> {
      byte[] out = new byte[n];
      java.security.SecureRandom.getInstance("PKCS11", p).nextBytes(out);
      return out;
    });
  }

  /** HMAC-SHA256 with a generic-secret token key. */
  byte[] hmac(SecretKey key, byte[] data) throws GeneralSecurityException {
    return call(p -> {
      Mac m = Mac.getInstance(HMAC, p);
      m.init(key);
      return m.doFinal(data);
    });
  }

  /**
   * Whether the token still answers: its slot still holds the token (when the JDK wrapper is
   * reachable) and its objects can be listed.
   */
  boolean healthy() {
    if (closed) {
      return false;
    }
    if (slot >= 0 && Pkcs11Modules.wrapperAvailable()
        && !Pkcs11Modules.tokenPresent(modulePath, slot, tokenLabel)) {
      return false;
    }
    try {
      call(p -> keyStore.size());
      return true;
    } catch (GeneralSecurityException | RuntimeException e) {
      return false;
    }
  }

  /** Operations in progress (for tests and metrics). */
  int inFlight() {
    return maxSessions - permits.availablePermits();
  }

  /** Forgets cached key handles (after a failure, the next use looks them up again). */
  void forgetHandles() {
    handles.clear();
  }

  /**
   * Stops using this connection and finalises its private module instance, which ends its
   * sessions and its login (no other connection shares that instance).
   */
  @Override
  public void close() {
    closed = true;
    handles.clear();
    Pkcs11Modules.finalizeModule(modulePath);
  }
}
