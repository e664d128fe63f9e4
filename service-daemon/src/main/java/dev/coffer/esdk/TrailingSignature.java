package dev.coffer.esdk;

import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.util.Base64;

/**
 * The signed suite's ECDSA P-384 / SHA-384 signature over header and body (ESDK spec,
 * transitive-requirements.md "ECDSA", data-format/message-footer.md): a fresh key pair per
 * message, whose public key travels in the encryption context as the base64 of the SEC 1
 * compressed point (default-cmm.md) and whose DER {@code ECDSA-Sig-Value} signature is the
 * footer. The private key is dropped after signing.
 */
final class TrailingSignature {

  private static final String CURVE = "secp384r1";
  private static final int COORDINATE_BYTES = 48;

  private final Signature signature;
  private final String publicKeyBase64;

  private TrailingSignature(Signature signature, String publicKeyBase64) {
    this.signature = signature;
    this.publicKeyBase64 = publicKeyBase64;
  }

  /** A signer with a new key pair. */
  static TrailingSignature newSigner() {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec(CURVE));
      KeyPair pair = g.generateKeyPair();
      Signature s = Signature.getInstance("SHA384withECDSA");
      s.initSign(pair.getPrivate());
      return new TrailingSignature(s, compress(((ECPublicKey) pair.getPublic()).getW()));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("ECDSA P-384 is missing from this JDK", e);
    }
  }

  /**
   * A verifier for the public key in a header's context.
   *
   * @throws BadCiphertextException when the entry is not a compressed P-384 point
   */
  static TrailingSignature verifier(String publicKeyBase64) throws BadCiphertextException {
    try {
      byte[] compressed = Base64.getDecoder().decode(publicKeyBase64);
      Signature s = Signature.getInstance("SHA384withECDSA");
      s.initVerify(decompress(compressed));
      return new TrailingSignature(s, publicKeyBase64);
    } catch (IllegalArgumentException | GeneralSecurityException e) {
      throw new BadCiphertextException("the context's " + EncryptionContext.PUBLIC_KEY
          + " entry is not a base64 compressed P-384 public key");
    }
  }

  String publicKeyBase64() {
    return publicKeyBase64;
  }

  void update(byte[] b, int off, int len) {
    try {
      signature.update(b, off, len);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  void update(byte[] b) {
    update(b, 0, b.length);
  }

  /** The DER signature over everything given to {@link #update}. */
  byte[] sign() {
    try {
      return signature.sign();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("ECDSA signing failed", e);
    }
  }

  boolean verify(byte[] der) {
    try {
      return signature.verify(der);
    } catch (GeneralSecurityException e) {
      return false; // not a DER ECDSA-Sig-Value: as good as a wrong signature
    }
  }

  /** SEC 1 section 2.3.3 compressed form: 0x02 (y even) or 0x03 (y odd), then x in 48 bytes. */
  private static String compress(ECPoint w) {
    byte[] out = new byte[1 + COORDINATE_BYTES];
    out[0] = (byte) (w.getAffineY().testBit(0) ? 3 : 2);
    byte[] x = w.getAffineX().toByteArray();
    int n = Math.min(x.length, COORDINATE_BYTES);
    System.arraycopy(x, x.length - n, out, out.length - n, n);
    return Base64.getEncoder().encodeToString(out);
  }

  /** The point back from its compressed form, through Bouncy Castle's curve arithmetic. */
  private static PublicKey decompress(byte[] compressed) throws GeneralSecurityException {
    if (compressed.length != 1 + COORDINATE_BYTES || (compressed[0] != 2 && compressed[0] != 3)) {
      throw new GeneralSecurityException("not a compressed P-384 point");
    }
    org.bouncycastle.math.ec.ECPoint p = org.bouncycastle.asn1.x9.ECNamedCurveTable
        .getByName(CURVE).getCurve().decodePoint(compressed).normalize();
    AlgorithmParameters params = AlgorithmParameters.getInstance("EC");
    params.init(new ECGenParameterSpec(CURVE));
    ECParameterSpec spec = params.getParameterSpec(ECParameterSpec.class);
    ECPoint w = new ECPoint(p.getAffineXCoord().toBigInteger(),
        p.getAffineYCoord().toBigInteger());
    return KeyFactory.getInstance("EC").generatePublic(new ECPublicKeySpec(w, spec));
  }
}
