package dev.coffer.daemon.keystore;

import dev.coffer.daemon.crypto.Bytes;
import dev.coffer.daemon.crypto.RsaAesKeyWrap;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.RSAPublicKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Hands the software root key to a joining node without its plaintext crossing the network:
 * the new node makes an RSA-3072 key pair ({@link #newJoinKeyPair}), an existing node wraps the
 * root key for its public half ({@link #wrap}), the new node unwraps it ({@link #unwrap}).
 *
 * <p>The wrapped form (docs/key-hierarchy.md, "How a new node gets the root key"), 489 bytes,
 * armoured as PEM {@code COFFER WRAPPED ROOT KEY}:
 *
 * <pre>
 * offset  length  field
 *      0       1  version, 0x01
 *      1      32  SHA-256 of the recipient's public key (X.509 SubjectPublicKeyInfo, DER)
 *     33      32  check value: HMAC-SHA256(root key, "coffer root key check value")
 *     65     384  RSA-OAEP-SHA-256 (MGF1-SHA-256) of a fresh AES-256 key
 *    449      40  AES key wrap with padding (RFC 5649) of the 32-byte root key under it
 * </pre>
 *
 * The last two fields are AWS KMS's {@code RSA_AES_KEY_WRAP_SHA_256} ({@link RsaAesKeyWrap}, the
 * import-key-material code). The check value is a MAC of a constant under the root key: equal
 * for equal keys, and nothing about the key can be learnt from it; after unwrapping it also
 * catches a wrapped file whose check value was altered.
 */
public final class RootKeyTransfer {
  private RootKeyTransfer() {}

  /** The format version this code writes and reads. */
  public static final byte VERSION = 1;

  /** RSA-3072: about 128-bit security, the size AWS KMS offers for import wrapping keys. */
  public static final int RSA_BITS = 3072;

  static final String PEM_TYPE = "COFFER WRAPPED ROOT KEY";
  private static final int DIGEST = 32;
  private static final int HEADER = 1 + DIGEST + DIGEST;
  private static final int ROOT_KEY_BYTES = 32;
  private static final byte[] CHECK_LABEL =
      "coffer root key check value".getBytes(StandardCharsets.US_ASCII);

  /** Why a wrapped root key was refused; the message says what to do. */
  public static final class Refused extends Exception {
    public Refused(String message) {
      super(message);
    }
  }

  /** The joining node's key pair: RSA-3072, public exponent 65537. */
  public static KeyPair newJoinKeyPair(SecureRandom random) throws GeneralSecurityException {
    KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
    g.initialize(RSA_BITS, random);
    return g.generateKeyPair();
  }

  /** SHA-256 of {@code key}'s X.509 SubjectPublicKeyInfo encoding. */
  public static byte[] fingerprint(PublicKey key) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(key.getEncoded());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("SHA-256 unavailable", e);
    }
  }

  /** The check value of a root key: HMAC-SHA256 keyed with it over a fixed label. */
  public static byte[] checkValue(byte[] rootKey) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(rootKey, "HmacSHA256"));
      return mac.doFinal(CHECK_LABEL);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 unavailable", e);
    }
  }

  /** The first 8 bytes of the check value in hex: what the CLI prints for comparing nodes. */
  public static String shortCheckValue(byte[] checkValue) {
    return HexFormat.of().formatHex(checkValue, 0, 8);
  }

  /**
   * Wraps {@code rootKey} (32 bytes) for {@code recipient} (an RSA public key of at least 3072
   * bits, from {@code coffer cluster join-request}).
   *
   * @return the wrapped form above, not yet armoured
   * @throws Refused if {@code recipient} is not an RSA key of at least 3072 bits
   */
  public static byte[] wrap(byte[] rootKey, PublicKey recipient, SecureRandom random)
      throws Refused {
    if (!(recipient instanceof RSAPublicKey rsa) || rsa.getModulus().bitLength() < RSA_BITS) {
      throw new Refused("the public key is not an RSA key of at least " + RSA_BITS + " bits;"
          + " use the file `coffer cluster join-request` wrote on the joining node");
    }
    byte[] wrapped;
    try {
      wrapped = RsaAesKeyWrap.wrap(recipient, rootKey, true, random);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("RSA-OAEP or AES-KWP unavailable", e);
    }
    byte[] out = new byte[HEADER + wrapped.length];
    out[0] = VERSION;
    System.arraycopy(fingerprint(recipient), 0, out, 1, DIGEST);
    System.arraycopy(checkValue(rootKey), 0, out, 1 + DIGEST, DIGEST);
    System.arraycopy(wrapped, 0, out, HEADER, wrapped.length);
    return out;
  }

  /**
   * Unwraps what {@link #wrap} made for the public half of {@code joinKey}.
   *
   * @return the 32-byte root key; the caller zeroes it
   * @throws Refused for another version, another recipient, or a file altered or damaged
   */
  public static byte[] unwrap(byte[] wrapped, PrivateKey joinKey) throws Refused {
    if (wrapped.length <= HEADER || wrapped[0] != VERSION) {
      throw new Refused("not a version-" + VERSION + " wrapped root key (first byte "
          + (wrapped.length == 0 ? "absent" : String.format("0x%02x", wrapped[0]))
          + "); export it again with `coffer cluster export-root-key` of this Coffer version");
    }
    byte[] expected = fingerprint(publicHalf(joinKey));
    byte[] actual = Arrays.copyOfRange(wrapped, 1, 1 + DIGEST);
    if (!Bytes.equal(expected, actual)) {
      throw new Refused("this root key was wrapped for another public key (fingerprint "
          + HexFormat.of().formatHex(actual, 0, 8) + "…), not this node's join request ("
          + HexFormat.of().formatHex(expected, 0, 8) + "…); run `coffer cluster"
          + " export-root-key` again with the public key `coffer cluster join-request` wrote"
          + " for this home");
    }
    byte[] rootKey;
    try {
      rootKey = RsaAesKeyWrap.unwrap(joinKey, Arrays.copyOfRange(wrapped, HEADER,
          wrapped.length), true);
    } catch (GeneralSecurityException e) {
      throw altered();
    }
    byte[] check = checkValue(rootKey);
    if (rootKey.length != ROOT_KEY_BYTES
        || !Bytes.equal(check, Arrays.copyOfRange(wrapped, 1 + DIGEST, HEADER))) {
      Bytes.zero(rootKey);
      throw altered();
    }
    return rootKey;
  }

  private static Refused altered() {
    return new Refused("the wrapped root key does not unwrap: the file was altered or damaged"
        + " on its way; copy it again, or export it again with `coffer cluster export-root-key`");
  }

  /** The public half of an RSA CRT private key (as PKCS#8 stores it). */
  public static PublicKey publicHalf(PrivateKey key) {
    try {
      RSAPrivateCrtKey k = (RSAPrivateCrtKey) key;
      return KeyFactory.getInstance("RSA").generatePublic(
          new RSAPublicKeySpec(k.getModulus(), k.getPublicExponent()));
    } catch (GeneralSecurityException | ClassCastException e) {
      throw new IllegalArgumentException("the join key is not an RSA private key", e);
    }
  }

  /** Parses a PKCS#8 RSA private key. */
  public static PrivateKey privateKey(byte[] pkcs8) throws GeneralSecurityException {
    return KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
  }

  /** Parses {@code -----BEGIN PUBLIC KEY-----} PEM (or bare DER) into an RSA public key. */
  public static PublicKey publicKey(byte[] pemOrDer) throws Refused {
    try {
      byte[] der = pemOrDer.length > 0 && pemOrDer[0] == '-'
          ? pemBody(new String(pemOrDer, StandardCharsets.US_ASCII), "PUBLIC KEY") : pemOrDer;
      return KeyFactory.getInstance("RSA").generatePublic(new X509EncodedKeySpec(der));
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw new Refused("not an RSA public key in PEM (-----BEGIN PUBLIC KEY-----) or DER;"
          + " use the file `coffer cluster join-request` wrote on the joining node");
    }
  }

  /** {@code der} as PEM of {@code type}, 64 characters a line. */
  public static String pem(String type, byte[] der) {
    return "-----BEGIN " + type + "-----\n"
        + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
        + "\n-----END " + type + "-----\n";
  }

  /** The wrapped form armoured as PEM. */
  public static String armour(byte[] wrapped) {
    return pem(PEM_TYPE, wrapped);
  }

  /** Reverses {@link #armour}. */
  public static byte[] dearmour(String text) throws Refused {
    try {
      return pemBody(text, PEM_TYPE);
    } catch (IllegalArgumentException e) {
      throw new Refused("not a wrapped root key (-----BEGIN " + PEM_TYPE + "-----): "
          + e.getMessage() + "; use the file `coffer cluster export-root-key` wrote");
    }
  }

  private static byte[] pemBody(String text, String type) {
    String begin = "-----BEGIN " + type + "-----";
    String end = "-----END " + type + "-----";
    int b = text.indexOf(begin);
    int e = text.indexOf(end);
    if (b < 0 || e < b) {
      throw new IllegalArgumentException("no " + begin + " ... " + end + " block");
    }
    return Base64.getMimeDecoder().decode(text.substring(b + begin.length(), e));
  }
}
