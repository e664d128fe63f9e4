package dev.coffer.bench.support;

import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.SplittableRandom;
import java.util.Arrays;
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
  /**
   * SunJCE behind one more {@code Cipher} layer that only forwards ({@link PassThroughProvider}):
   * the floor of any provider that runs AES-GCM on SunJCE, as Coffer does.
   */
  public static final String PASS_THROUGH = PassThroughProvider.NAME;
  /**
   * Coffer's envelope cipher in a JVM started with {@code -Dcoffer.cache.enabled=false}: every
   * message one {@code GenerateDataKey} or {@code Decrypt} round trip to the daemon.
   */
  public static final String COFFER_NO_CACHE = "CofferNoCache";
  /** Google Tink {@code KmsEnvelopeAead} with a local AES-GCM KEK. */
  public static final String TINK = "Tink";
  /** AWS Encryption SDK, raw AES keyring, default (signed) suite. */
  public static final String AWS_ESDK = "AwsEsdk";
  /** AWS Encryption SDK, raw AES keyring, committing suite without a signature. */
  public static final String AWS_ESDK_UNSIGNED = "AwsEsdkUnsigned";

  private Peers() {}

  /** {@code size} pseudo-random bytes, the same in every run: a benchmark's message. */
  public static byte[] message(int size) {
    byte[] m = new byte[size];
    new SplittableRandom(size).nextBytes(m);
    return m;
  }

  /**
   * Seals {@code plaintext} with the peer called {@code name} and checks that it opens to the
   * same bytes (which also puts any data key in the caches); returns the sealed message.
   */
  public static AeadPeer.Sealed sealChecked(String name, AeadPeer peer, byte[] plaintext)
      throws GeneralSecurityException {
    AeadPeer.Sealed sealed = peer.encrypt(plaintext);
    if (!Arrays.equals(plaintext, peer.decrypt(sealed))) {
      throw new IllegalStateException(name + " does not round-trip");
    }
    return sealed;
  }

  private static SecretKeySpec randomAesKey() {
    byte[] raw = new byte[32];
    new SecureRandom().nextBytes(raw);
    return new SecretKeySpec(raw, "AES");
  }

  public static AeadPeer create(String name, InProcessDaemon daemon)
      throws GeneralSecurityException {
    switch (name) {
      case COFFER:
        return new JcaAeadPeer("Coffer", daemon.kmsKey());
      case COFFER_NO_CACHE:
        if (!"false".equals(System.getProperty("coffer.cache.enabled"))) {
          throw new IllegalStateException(COFFER_NO_CACHE
              + " needs a JVM started with -Dcoffer.cache.enabled=false");
        }
        return new JcaAeadPeer("Coffer", daemon.kmsKey());
      case TINK:
        return new TinkEnvelopePeer();
      case AWS_ESDK:
        return new AwsEsdkPeer(true);
      case AWS_ESDK_UNSIGNED:
        return new AwsEsdkPeer(false);
      case SUNJCE:
        return new JcaAeadPeer("SunJCE", randomAesKey());
      case PASS_THROUGH:
        PassThroughProvider.install();
        return new JcaAeadPeer(PassThroughProvider.NAME, randomAesKey());
      default:
        throw new IllegalArgumentException("unknown peer " + name);
    }
  }
}
