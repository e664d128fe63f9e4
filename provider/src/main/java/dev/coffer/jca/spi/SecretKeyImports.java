package dev.coffer.jca.spi;

import dev.coffer.jca.core.JcaErrors;
import dev.coffer.jca.core.KeyInfo;
import dev.coffer.jca.core.KmsService;
import dev.coffer.protocol.KmsException;
import java.security.KeyStoreException;
import java.util.function.BooleanSupplier;
import javax.crypto.SecretKey;

/** {@code KeyStore KMS} taking an ordinary secret key: the client side of AWS's import flow. */
final class SecretKeyImports {
  private SecretKeyImports() {}

  /**
   * Imports a plain 256-bit AES key, or an HMAC key of exactly its digest size ({@code
   * HmacSHA256} of 32 bytes and so on: what AWS imports for {@code HMAC_*} keys), as a new KMS
   * key (origin EXTERNAL) under {@code alias}. The material is wrapped with the daemon's RSA
   * import key in this JVM and never crosses the socket in plaintext; this JVM's copy is zeroed
   * afterwards.
   */
  static void importAs(KmsService service, String alias, SecretKey key,
      BooleanSupplier aliasTaken) throws KeyStoreException {
    KmsAlgorithms.Hmac hmac = KmsAlgorithms.hmacByJcaName(key.getAlgorithm());
    boolean aes = "AES".equalsIgnoreCase(key.getAlgorithm());
    if ((!aes && hmac == null) || !"RAW".equalsIgnoreCase(key.getFormat())) {
      throw new KeyStoreException("only raw AES and HmacSHA224/256/384/512 keys can be imported"
          + " into Coffer, not " + key.getAlgorithm() + "/" + key.getFormat());
    }
    int bits = aes ? 256 : hmac.bits();
    byte[] material = key.getEncoded();
    try {
      if (material == null || material.length * 8 != bits) {
        throw new KeyStoreException("Coffer imports " + key.getAlgorithm() + " keys of exactly "
            + bits + " bits (only " + bits + "-bit keys; AWS KMS ImportKeyMaterial), got "
            + (material == null ? 0 : material.length * 8) + " bits");
      }
      if (aliasTaken.getAsBoolean()) {
        throw new KeyStoreException(alias + " already names a KMS key; delete the alias first"
            + " or choose another one (an import never silently retargets an alias)");
      }
      String description = "imported through KeyStore as " + alias;
      KeyInfo imported = aes
          ? service.importKey(material, description)
          : service.importKey(material, hmac.keySpec(), "GENERATE_VERIFY_MAC", description);
      service.createAlias(alias, imported.keyId());
    } catch (KmsException e) {
      throw JcaErrors.keyStore(e);
    } finally {
      if (material != null) {
        java.util.Arrays.fill(material, (byte) 0);
      }
    }
  }
}
