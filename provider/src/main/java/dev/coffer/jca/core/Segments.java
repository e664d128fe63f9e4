package dev.coffer.jca.core;

import java.security.GeneralSecurityException;
import java.security.NoSuchProviderException;
import java.security.ProviderException;
import java.security.SecureRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.crypto.Cipher;
import javax.crypto.NoSuchPaddingException;
import javax.crypto.spec.GCMParameterSpec;

/**
 * Per-thread AES-GCM engines for envelope segments. Segment encryption is ordinary AES-GCM with a
 * derived key, so it runs on the JDK's own implementation (SunJCE, with its intrinsics); one
 * instance per thread avoids a provider lookup per message.
 *
 * <p>SunJCE's AES and GHASH intrinsics apply only once their callers ({@code GHASH.update},
 * {@code GCTR.doFinal}) are C2-compiled, which takes ~5,000 calls: a few per 64 KiB segment, so
 * a fresh JVM would encrypt its first ~200 MiB at ~100 MB/s. {@link #warmUpInBackground()}
 * makes those calls under a throwaway key in a daemon thread (C2 has compiled the GHASH and GCTR
 * callers ~0.15 s after JVM start here), so real messages reach GB/s within the first second. It
 * never touches caller data. Disable with {@code -Dcoffer.gcm.warmup=false}.
 */
public final class Segments {
  private Segments() {}

  private static final int WARM_UP_MESSAGES = 12000;
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

  // The calls have the shapes of the envelope's own: a MessageKey, separate input and output
  // arrays at offsets, with and without AAD, and every 256th a whole 64 KiB segment. A warm-up
  // that ran in place on small messages under a SecretKeySpec left C2 code that deoptimised at
  // the first real segment (another key class, other branches), after which a fork could run
  // its first large messages at SunJCE's cold rate again. The others are short (64-256 bytes):
  // C2 compiles on call counts, and until it has, every byte runs at the interpreter's ~100 MB/s,
  // so small calls reach the counts sooner. With 256 B-3 KiB messages, 8 of 40 fresh JVMs still
  // met their first large message before C2 had compiled (benchmarks/FINDINGS.md).
  private static void warmUp() {
    byte[] raw = new byte[32];
    new SecureRandom().nextBytes(raw);
    MessageKey key = new MessageKey(raw); // owns raw; zeroed below
    byte[] iv = new byte[12];
    byte[] aad = new byte[16];
    byte[] plain = new byte[EnvelopeHeader.SEGMENT_SIZE + 64];
    byte[] sealed = new byte[EnvelopeHeader.SEGMENT_SIZE + 256]; // room for offset 147 and the tag
    try {
      Cipher gcm = newGcm();
      for (int i = 0; i < WARM_UP_MESSAGES; i++) {
        iv[0] = (byte) i; // distinct IVs: SunJCE refuses a repeated (key, IV) for encryption
        iv[1] = (byte) (i >>> 8);
        int len = i % 256 == 255 ? EnvelopeHeader.SEGMENT_SIZE : 64 + (i & 3) * 64;
        int at = 1 + (i & 7) * 8;
        gcm.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, iv));
        if ((i & 1) == 0) {
          gcm.updateAAD(aad);
        }
        int n = gcm.doFinal(plain, at, len, sealed, at + 90);
        gcm.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(128, iv));
        if ((i & 1) == 0) {
          gcm.updateAAD(aad);
        }
        gcm.doFinal(sealed, at + 90, n, plain, at);
      }
    } catch (GeneralSecurityException | RuntimeException e) {
      // Only a warm-up: the real path reports its own errors.
    } finally {
      key.destroy();
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
