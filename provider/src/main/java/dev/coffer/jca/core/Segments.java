package dev.coffer.jca.core;

import java.security.GeneralSecurityException;
import java.security.NoSuchProviderException;
import java.security.ProviderException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.crypto.Cipher;
import javax.crypto.NoSuchPaddingException;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Per-thread AES-GCM engines for envelope segments. Segment encryption is ordinary AES-GCM with a
 * derived key, so it runs on the JDK's own implementation (SunJCE, with its intrinsics); one
 * instance per thread avoids a provider lookup per message.
 *
 * <p>SunJCE's AES and GHASH intrinsics apply only once their callers ({@code GHASH.update},
 * {@code GCTR.doFinal}) are C2-compiled, which takes ~5,000 calls: a few per 64 KiB segment, so
 * a fresh JVM would encrypt its first ~200 MiB at ~100 MB/s. {@link #warmUpInBackground()}
 * makes those calls on small messages under a throwaway key in a daemon thread (~0.1 s of one
 * core), so real messages reach GB/s within the first second. It never touches caller data.
 * Disable with {@code -Dcoffer.gcm.warmup=false}.
 */
public final class Segments {
  private Segments() {}

  private static final int WARM_UP_MESSAGES = 8000;
  private static final AtomicBoolean WARM_UP_STARTED = new AtomicBoolean();

  /** Starts the JIT warm-up once per JVM (no-op when disabled or already started). */
  public static void warmUpInBackground() {
    if (!Boolean.parseBoolean(System.getProperty("coffer.gcm.warmup", "true"))
        || !WARM_UP_STARTED.compareAndSet(false, true)) {
      return;
    }
    Thread t = new Thread(Segments::warmUp, "coffer-aes-gcm-warmup");
    t.setDaemon(true);
    t.start();
  }

  private static void warmUp() {
    byte[] raw = new byte[32];
    new SecureRandom().nextBytes(raw);
    SecretKeySpec key = new SecretKeySpec(raw, "AES");
    Arrays.fill(raw, (byte) 0);
    byte[] iv = new byte[12];
    byte[] buf = new byte[4096 + 16];
    try {
      Cipher gcm = newGcm();
      for (int i = 0; i < WARM_UP_MESSAGES; i++) {
        iv[0] = (byte) i; // distinct IVs: SunJCE refuses a repeated (key, IV) for encryption
        iv[1] = (byte) (i >>> 8);
        gcm.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, iv));
        int n = gcm.doFinal(buf, 0, 256 + (i & 3) * 1024, buf, 0);
        gcm.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(128, iv));
        gcm.doFinal(buf, 0, n, buf, 0);
      }
    } catch (GeneralSecurityException | RuntimeException e) {
      // Only a warm-up: the real path reports its own errors.
    }
  }

  private static final ThreadLocal<Cipher> GCM = ThreadLocal.withInitial(Segments::newGcm);

  static Cipher gcm() {
    return GCM.get();
  }

  private static Cipher newGcm() {
    try {
      return Cipher.getInstance("AES/GCM/NoPadding", "SunJCE");
    } catch (NoSuchProviderException | java.security.NoSuchAlgorithmException
        | NoSuchPaddingException e) {
      try {
        // Coffer never matches here: its GCM service only accepts KmsKey handles.
        return Cipher.getInstance("AES/GCM/NoPadding");
      } catch (GeneralSecurityException e2) {
        throw new ProviderException("no AES/GCM/NoPadding implementation available", e2);
      }
    }
  }
}
