package dev.coffer.jca.key;

import java.io.InvalidObjectException;
import java.io.NotSerializableException;
import java.io.ObjectInputStream;
import java.io.ObjectStreamException;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.util.List;
import java.util.Objects;

/**
 * A handle to the private half of an asymmetric KMS key pair (AWS {@code KeySpec} {@code
 * RSA_*} or {@code ECC_*}) held by the Coffer daemon.
 *
 * <p>Security contract: the handle carries the key's reference (ARN, id, daemon socket, grant
 * tokens) and its public key, never private material: {@link #getFormat()} and {@link
 * #getEncoded()} return null, and the subclasses implement {@link java.security.interfaces.ECKey}
 * or {@link java.security.interfaces.RSAKey} only (the curve or modulus, which the JCA, keytool
 * and jarsigner read to pick algorithms and check key sizes), not {@code ECPrivateKey} or {@code
 * RSAPrivateKey}, whose private values do not exist outside the daemon. That is also what makes
 * delayed provider selection pass SunEC and SunRsaSign by (they declare those interfaces as
 * their supported key classes) and pick Coffer. A handle is not serialisable: keep its ARN and
 * get it again from {@code KeyStore.getInstance("KMS")}.
 */
public abstract sealed class KmsPrivateKey implements PrivateKey
    permits KmsEcPrivateKey, KmsRsaPrivateKey {

  private static final long serialVersionUID = 1L;

  private final transient String arn;
  private final transient String keyId;
  private final transient String keySpec;
  private final transient PublicKey publicKey;
  private final transient List<String> grantTokens;
  private final transient Path socket;
  /** The key's KeyUsage as the daemon reported it, or null when not known. */
  private final transient String keyUsage;
  private transient volatile boolean destroyed;

  KmsPrivateKey(String arn, String keyId, String keySpec, PublicKey publicKey,
      List<String> grantTokens, Path socket, String keyUsage) {
    this.arn = Objects.requireNonNull(arn, "arn");
    this.keyId = Objects.requireNonNull(keyId, "keyId");
    this.keySpec = Objects.requireNonNull(keySpec, "keySpec");
    this.publicKey = Objects.requireNonNull(publicKey, "publicKey");
    this.grantTokens = List.copyOf(grantTokens == null ? List.of() : grantTokens);
    this.socket = socket;
    this.keyUsage = keyUsage;
  }

  /**
   * The handle for a key pair, from what the daemon reported ({@code GetPublicKey}). Meant for
   * the provider's SPI classes; applications get handles from {@code KeyPairGenerator} or
   * {@code KeyStore} under Coffer.
   *
   * @param keySpec the AWS key spec ({@code ECC_NIST_P256}, {@code RSA_3072}, ...)
   * @param publicKey the key's public half, an ordinary JDK {@code ECPublicKey}/{@code
   *     RSAPublicKey}
   * @param socket the daemon socket, or null for the located default
   * @throws IllegalArgumentException if the spec is neither RSA nor ECC or does not match the
   *     public key's type
   */
  public static KmsPrivateKey of(String arn, String keyId, String keySpec, PublicKey publicKey,
      List<String> grantTokens, Path socket) {
    return of(arn, keyId, keySpec, publicKey, grantTokens, socket, null);
  }

  /**
   * As {@link #of(String, String, String, PublicKey, List, Path)}, with the key's {@code
   * KeyUsage} ({@code SIGN_VERIFY} or {@code ENCRYPT_DECRYPT}; null if unknown), so that {@code
   * Signature} and {@code Cipher} refuse a key of the other usage at {@code init}.
   */
  public static KmsPrivateKey of(String arn, String keyId, String keySpec, PublicKey publicKey,
      List<String> grantTokens, Path socket, String keyUsage) {
    if (keySpec.startsWith("ECC_") && publicKey instanceof ECPublicKey ec) {
      return new KmsEcPrivateKey(arn, keyId, keySpec, ec, grantTokens, socket, keyUsage);
    }
    if (keySpec.startsWith("RSA_") && publicKey instanceof RSAPublicKey rsa) {
      return new KmsRsaPrivateKey(arn, keyId, keySpec, rsa, grantTokens, socket, keyUsage);
    }
    throw new IllegalArgumentException("not an asymmetric KMS key pair: KeySpec " + keySpec
        + " with a " + publicKey.getAlgorithm() + " public key");
  }

  /** Always null: there is no encoding of a key that never leaves the daemon. */
  @Override
  public final String getFormat() {
    return null;
  }

  /** Always null: the private material never leaves the daemon. */
  @Override
  public final byte[] getEncoded() {
    return null;
  }

  /** The key ARN ({@code arn:<partition>:kms:<region>:<account>:key/<uuid>}). */
  public final String arn() {
    return arn;
  }

  public final String keyId() {
    return keyId;
  }

  /** The AWS key spec: {@code ECC_NIST_P256}, {@code ECC_SECG_P256K1}, {@code RSA_2048}, ... */
  public final String keySpec() {
    return keySpec;
  }

  /** The public half: an ordinary JDK key, for local verification and encryption. */
  /** The key's {@code KeyUsage}, or null when the handle was built without it. */
  public final String keyUsage() {
    return keyUsage;
  }

  public PublicKey publicKey() {
    return publicKey;
  }

  /** Grant tokens sent with every request made with this handle. */
  public final List<String> grantTokens() {
    return grantTokens;
  }

  /** The daemon socket this handle talks to, or null for the located default. */
  public final Path socket() {
    return socket;
  }

  @Override
  public final void destroy() {
    destroyed = true;
  }

  @Override
  public final boolean isDestroyed() {
    return destroyed;
  }

  @Override
  public final boolean equals(Object o) {
    return o instanceof KmsPrivateKey k && k.arn.equals(arn);
  }

  @Override
  public final int hashCode() {
    return arn.hashCode();
  }

  @Override
  public final String toString() {
    return "KmsPrivateKey[" + keySpec + ", " + arn + "]";
  }

  /**
   * Refuses serialisation. Not private: serialisation looks for {@code writeReplace} on the
   * concrete class, which inherits it only if it is visible there.
   */
  protected final Object writeReplace() throws ObjectStreamException {
    throw new NotSerializableException("a KMS private key handle is not serialisable; keep its"
        + " ARN (" + arn + ") and get the handle again from KeyStore KMS");
  }

  /** A crafted stream cannot make a handle either (it would have no reference). */
  private void readObject(ObjectInputStream in) throws InvalidObjectException {
    throw new InvalidObjectException("a KMS private key handle cannot be deserialised");
  }
}
