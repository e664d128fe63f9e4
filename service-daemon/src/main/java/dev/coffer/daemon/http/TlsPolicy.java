package dev.coffer.daemon.http;

import java.util.List;

/**
 * The endpoint's TLS policy: TLS 1.3 and 1.2 only, forward-secret key exchange (ECDHE; TLS 1.3
 * is ECDHE by design) and AEAD ciphers only.
 *
 * <p>Why: AWS endpoints require TLS 1.2 or later since June 2023 and KMS requires clients to
 * support perfect-forward-secrecy suites (KMS API reference, "Making requests"). Suites are
 * listed by name, never by pattern, so a JDK update cannot widen the set. Refused on purpose:
 * TLS 1.1 and older, static-RSA key exchange ({@code TLS_RSA_*}: a stolen server key would
 * decrypt recorded traffic), CBC suites (padding-oracle history), and finite-field DHE (slow,
 * weak-group negotiation risks).
 */
public final class TlsPolicy {
  private TlsPolicy() {}

  /** Protocol versions, newest first. */
  public static final List<String> PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");

  /** Cipher suites in server preference order (AES-256 first, then AES-128, then ChaCha20). */
  public static final List<String> CIPHER_SUITES = List.of(
      "TLS_AES_256_GCM_SHA384",
      "TLS_AES_128_GCM_SHA256",
      "TLS_CHACHA20_POLY1305_SHA256",
      "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
      "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
      "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
      "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
      "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
      "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256");
}
