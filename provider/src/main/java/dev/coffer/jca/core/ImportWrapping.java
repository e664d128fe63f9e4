package dev.coffer.jca.core;

import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.X509EncodedKeySpec;
import javax.crypto.Cipher;
import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PSource;

/**
 * Wraps key material for import ({@code RSAES_OAEP_SHA_256}: RSA-OAEP with SHA-256 and MGF1
 * SHA-256) with the public key the daemon handed out, inside the client JVM.
 */
final class ImportWrapping {
  private ImportWrapping() {}

  static byte[] wrapOaepSha256(byte[] publicKeyDer, byte[] material) {
    try {
      PublicKey pub = KeyFactory.getInstance("RSA")
          .generatePublic(new X509EncodedKeySpec(publicKeyDer));
      Cipher rsa = Cipher.getInstance("RSA/ECB/OAEPPadding");
      rsa.init(Cipher.ENCRYPT_MODE, pub, new OAEPParameterSpec("SHA-256", "MGF1",
          MGF1ParameterSpec.SHA256, PSource.PSpecified.DEFAULT));
      return rsa.doFinal(material);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot wrap key material with the daemon's import key", e);
    }
  }
}
