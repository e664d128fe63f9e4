package dev.coffer.jca.core;

import dev.coffer.protocol.ErrorType;
import dev.coffer.protocol.KmsException;
import java.io.IOException;
import java.security.InvalidKeyException;
import java.security.KeyStoreException;
import java.security.SignatureException;
import java.security.UnrecoverableKeyException;
import java.security.spec.InvalidKeySpecException;
import javax.crypto.AEADBadTagException;
import javax.crypto.BadPaddingException;

/**
 * The one place where daemon errors (AWS exception names) become JCA exceptions. Every message
 * starts with the AWS name so callers and logs can tell {@code DisabledException} from {@code
 * NotFoundException}; messages come from the daemon and never contain key material.
 *
 * <p>Ciphertext failures ({@code InvalidCiphertextException}, {@code IncorrectKeyException})
 * become one generic {@link AEADBadTagException}, like a failed GCM tag, so no caller can tell a
 * tampered data key from a tampered body.
 */
public final class JcaErrors {
  private JcaErrors() {}

  static String text(KmsException e) {
    return e.errorType() + ": " + e.getMessage();
  }

  public static boolean isNotFound(KmsException e) {
    return ErrorType.NOT_FOUND.equals(e.errorType());
  }

  public static InvalidKeyException invalidKey(KmsException e) {
    return new InvalidKeyException(text(e), e);
  }

  public static InvalidKeySpecException invalidKeySpec(KmsException e) {
    return new InvalidKeySpecException(text(e), e);
  }

  public static KeyStoreException keyStore(KmsException e) {
    return new KeyStoreException(text(e), e);
  }

  public static UnrecoverableKeyException unrecoverableKey(KmsException e) {
    UnrecoverableKeyException u = new UnrecoverableKeyException(text(e));
    u.initCause(e);
    return u;
  }

  public static SignatureException signature(KmsException e) {
    return new SignatureException(text(e), e);
  }

  /**
   * For asymmetric {@code Decrypt}: a ciphertext the key cannot open ({@code
   * InvalidCiphertextException}) is a {@link BadPaddingException}, as for the JDK's own OAEP.
   */
  public static BadPaddingException rsaDecrypt(KmsException e) {
    if (ErrorType.INVALID_CIPHERTEXT.equals(e.errorType())) {
      BadPaddingException b = new BadPaddingException(text(e));
      b.initCause(e);
      return b;
    }
    return cipher(e);
  }

  public static IOException io(KmsException e) {
    return new IOException(text(e), e);
  }

  public static KmsProviderException provider(KmsException e) {
    return new KmsProviderException(e.errorType(), e.getMessage(), e);
  }

  /** For {@code doFinal}: tampering becomes AEADBadTagException, the rest KmsCipherException. */
  public static BadPaddingException cipher(KmsException e) {
    String type = e.errorType();
    if (ErrorType.INVALID_CIPHERTEXT.equals(type) || ErrorType.INCORRECT_KEY.equals(type)) {
      return badTag();
    }
    KmsCipherException k = new KmsCipherException(type, e.getMessage());
    k.initCause(e);
    return k;
  }

  /** The single, uninformative authentication failure. */
  public static AEADBadTagException badTag() {
    return new AEADBadTagException("Tag mismatch: the envelope is not authentic");
  }
}
