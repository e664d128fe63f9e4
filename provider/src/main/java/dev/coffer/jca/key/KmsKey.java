package dev.coffer.jca.key;

import java.io.InvalidObjectException;
import java.io.ObjectInputStream;
import java.io.ObjectStreamException;
import java.io.Serializable;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import javax.crypto.SecretKey;

/**
 * A handle to a KMS key held by the Coffer daemon.
 *
 * <p>Security contract: a handle carries a <em>reference</em> (the key ARN, the key id, the
 * socket of the daemon that holds it, optional grant tokens) and public metadata, never key
 * material, because no material ever leaves the daemon. {@link #getFormat()} and {@link
 * #getEncoded()} return {@code null}; that is also what makes delayed provider selection skip
 * SunJCE (which wants {@code RAW}) and pick Coffer. Serialising a handle writes the ARN and
 * socket only (grant tokens are bearer credentials and are dropped); deserialising gives an
 * equivalent handle. Two handles are equal when their key ARNs are equal. After {@link #destroy()}
 * the handle refuses to be used by the provider's ciphers.
 *
 * <p>{@link #getAlgorithm()} is {@code AES} for symmetric encryption keys and {@code HmacSHA256}
 * (and so on) for HMAC keys ({@code KeySpec HMAC_*}), which {@code Mac} under Coffer uses.
 *
 * <p>Applications obtain handles from {@code KeyStore.getInstance("KMS")}, {@code
 * SecretKeyFactory.getInstance("KMS")} or {@code KeyGenerator.getInstance("KMS")}.
 */
public final class KmsKey implements SecretKey {

  private static final long serialVersionUID = 1L;

  private final String arn;
  private final String keyId;
  private final transient String algorithm;
  private final transient Instant creationDate;
  private final transient String description;
  private final transient List<String> grantTokens;
  private final transient Path socket;
  private transient volatile boolean destroyed;

  private KmsKey(
      String arn,
      String keyId,
      Instant creationDate,
      String description,
      List<String> grantTokens,
      Path socket,
      String algorithm) {
    this.algorithm = Objects.requireNonNull(algorithm, "algorithm");
    this.arn = Objects.requireNonNull(arn, "arn");
    this.keyId = Objects.requireNonNull(keyId, "keyId");
    this.creationDate = creationDate;
    this.description = description == null ? "" : description;
    this.grantTokens = List.copyOf(grantTokens == null ? List.of() : grantTokens);
    this.socket = socket;
  }

  /**
   * Builds a handle from metadata the daemon returned. Meant for the provider's SPI classes;
   * applications get handles through the JCA factories, which first confirm the key exists.
   *
   * @param socket the daemon socket, or null for the located default
   */
  public static KmsKey of(
      String arn,
      String keyId,
      Instant creationDate,
      String description,
      List<String> grantTokens,
      Path socket) {
    return new KmsKey(arn, keyId, creationDate, description, grantTokens, socket, "AES");
  }

  /**
   * A handle whose JCA algorithm is {@code algorithm}: {@code AES} for symmetric encryption
   * keys, {@code HmacSHA224}...{@code HmacSHA512} for HMAC keys of the matching {@code KeySpec}.
   */
  public static KmsKey of(
      String arn,
      String keyId,
      Instant creationDate,
      String description,
      List<String> grantTokens,
      Path socket,
      String algorithm) {
    return new KmsKey(arn, keyId, creationDate, description, grantTokens, socket, algorithm);
  }

  @Override
  public String getAlgorithm() {
    return algorithm == null ? "AES" : algorithm;
  }

  /** Always null: there is no encoding of a key that never leaves the daemon. */
  @Override
  public String getFormat() {
    return null;
  }

  /** Always null: the material never leaves the daemon. */
  @Override
  public byte[] getEncoded() {
    return null;
  }

  /** The key ARN ({@code arn:<partition>:kms:<region>:<account>:key/<uuid>}). */
  public String arn() {
    return arn;
  }

  /** The key id (the UUID). */
  public String keyId() {
    return keyId;
  }

  /** When the key was created, or null if unknown (a deserialised handle). */
  public Instant creationDate() {
    return creationDate;
  }

  public String description() {
    return description == null ? "" : description;
  }

  /** Grant tokens sent with every request made with this handle. */
  public List<String> grantTokens() {
    return grantTokens == null ? List.of() : grantTokens;
  }

  /** The daemon socket this handle talks to, or null for the located default. */
  public Path socket() {
    return socket;
  }

  /** The same key reference with other grant tokens. */
  public KmsKey withGrantTokens(List<String> tokens) {
    return new KmsKey(arn, keyId, creationDate, description, tokens, socket, getAlgorithm());
  }

  @Override
  public void destroy() {
    destroyed = true;
  }

  @Override
  public boolean isDestroyed() {
    return destroyed;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof KmsKey k && k.arn.equals(arn);
  }

  @Override
  public int hashCode() {
    return arn.hashCode();
  }

  @Override
  public String toString() {
    return "KmsKey[" + arn + "]";
  }

  private Object writeReplace() throws ObjectStreamException {
    return new Reference(arn, keyId, socket == null ? null : socket.toString(), getAlgorithm());
  }

  private void readObject(ObjectInputStream in) throws InvalidObjectException {
    throw new InvalidObjectException("a KmsKey is serialised as a reference only");
  }

  /** The serial form: the reference, nothing else. */
  private static final class Reference implements Serializable {
    private static final long serialVersionUID = 1L;
    private final String arn;
    private final String keyId;
    private final String socket;
    /** Absent (null) in references written before HMAC keys: those are AES keys. */
    private final String algorithm;

    Reference(String arn, String keyId, String socket, String algorithm) {
      this.arn = arn;
      this.keyId = keyId;
      this.socket = socket;
      this.algorithm = algorithm;
    }

    private Object readResolve() throws ObjectStreamException {
      if (arn == null || keyId == null) {
        throw new InvalidObjectException("incomplete KMS key reference");
      }
      return new KmsKey(arn, keyId, null, "", List.of(), socket == null ? null : Path.of(socket),
          algorithm == null ? "AES" : algorithm);
    }
  }
}
