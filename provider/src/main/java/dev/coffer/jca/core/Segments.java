package dev.coffer.jca.core;

import java.security.GeneralSecurityException;
import java.security.NoSuchProviderException;
import java.security.ProviderException;
import javax.crypto.Cipher;
import javax.crypto.NoSuchPaddingException;

/**
 * Per-thread AES-GCM engines for envelope segments. Segment encryption is ordinary AES-GCM with a
 * derived key, so it runs on the JDK's own implementation (SunJCE, with its intrinsics); one
 * instance per thread avoids a provider lookup per message.
 */
final class Segments {
  private Segments() {}

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
