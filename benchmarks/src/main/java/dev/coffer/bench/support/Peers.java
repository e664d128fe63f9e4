package dev.coffer.bench.support;

import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import javax.crypto.spec.SecretKeySpec;

/**
 * The {@code provider} parameter's values, each turned into an {@link AeadPeer}. Add a peer
 * (another provider, a library's envelope API) here and to the benchmark's {@code @Param}.
 */
public final class Peers {

  /** Coffer's envelope cipher under a KMS key handle. */
  public static final String COFFER = "Coffer";
  /** The JDK's AES-GCM under an ordinary AES-256 key. */
  public static final String SUNJCE = "SunJCE";

  private Peers() {}

  public static AeadPeer create(String name, InProcessDaemon daemon)
      throws GeneralSecurityException {
    switch (name) {
      case COFFER:
        return new JcaAeadPeer("Coffer", daemon.kmsKey());
      case SUNJCE:
        byte[] raw = new byte[32];
        new SecureRandom().nextBytes(raw);
        return new JcaAeadPeer("SunJCE", new SecretKeySpec(raw, "AES"));
      default:
        throw new IllegalArgumentException("unknown peer " + name);
    }
  }
}
