package dev.coffer.jca;

import dev.coffer.jca.spi.AesGcmEnvelopeCipherSpi;
import dev.coffer.jca.spi.KmsCipherSpi;
import dev.coffer.jca.spi.KmsKeyGeneratorSpi;
import dev.coffer.jca.spi.KmsKeyPairGeneratorSpi;
import dev.coffer.jca.spi.KmsMacSpi;
import dev.coffer.jca.spi.KmsRsaOaepCipherSpi;
import dev.coffer.jca.spi.KmsSignatureSpi;
import dev.coffer.jca.spi.KmsKeyStoreSpi;
import dev.coffer.jca.spi.KmsSecretKeyFactorySpi;
import dev.coffer.jca.spi.KmsSecureRandomSpi;
import java.security.Provider;
import java.util.List;
import java.util.Map;

/**
 * The Coffer JCA/JCE provider, name {@code Coffer}: KMS keys as non-extractable handles, with
 * every key operation performed by the Coffer daemon, over its Unix socket or, when {@code
 * coffer.endpoint} is set, its AWS-compatible HTTPS endpoint ({@code
 * dev.coffer.jca.transport.KmsTransport}).
 *
 * <p>Security contract: no service of this provider ever holds master-key material. The only
 * key material in this JVM is data keys (envelope encryption), cached with bounded lifetime and
 * zeroed on eviction. {@code AES/GCM/NoPadding} declares {@code SupportedKeyClasses} so that
 * delayed provider selection hands it {@code KmsKey} handles only; ordinary keys go to SunJCE.
 * {@code KeyGenerator AES} is meant for {@code getInstance("AES", "Coffer")} (keytool {@code
 * -providerName Coffer}); registered after SunJCE, plain {@code getInstance("AES")} stays SunJCE.
 *
 * <p>{@code Signature} (ECDSA, RSA PKCS #1 v1.5, RSASSA-PSS), {@code Mac} (HmacSHA*) and {@code
 * Cipher} RSA-OAEP declare the KMS handle classes as their {@code SupportedKeyClasses} in the
 * same way, so {@code Signature.getInstance("SHA256withECDSA")} signs with SunEC for an ordinary
 * key and with Coffer for a {@code KmsPrivateKey}. {@code KeyPairGenerator EC}/{@code RSA} and
 * {@code KeyGenerator HmacSHA*} create KMS keys and are, like {@code AES}, for {@code
 * getInstance(alg, "Coffer")} and keytool {@code -providerName Coffer}.
 *
 * <p>Register it with {@code security.provider.N=Coffer} (after SunJCE) or {@code
 * Security.addProvider(new CofferProvider())}.
 */
public final class CofferProvider extends Provider {

  private static final long serialVersionUID = 1L;

  public static final String NAME = "Coffer";

  private static final String KMS_KEY = "dev.coffer.jca.key.KmsKey";
  private static final String KMS_EC_KEY = "dev.coffer.jca.key.KmsEcPrivateKey";
  private static final String KMS_RSA_KEY = "dev.coffer.jca.key.KmsRsaPrivateKey";

  public CofferProvider() {
    super(NAME, "0.1", "Coffer KMS provider (keys held by the Coffer daemon)");
    // type, algorithm, implementation, aliases, attributes
    add("KeyStore", "KMS", KmsKeyStoreSpi.class, List.of(), Map.of());
    add("SecretKeyFactory", "KMS", KmsSecretKeyFactorySpi.class, List.of(), Map.of());
    add("KeyGenerator", "KMS", KmsKeyGeneratorSpi.class, List.of(), Map.of());
    add("KeyGenerator", "AES", KmsKeyGeneratorSpi.class, List.of(), Map.of());
    add("Cipher", "AES/GCM/NoPadding", AesGcmEnvelopeCipherSpi.class, List.of(),
        Map.of("SupportedKeyClasses", KMS_KEY, "SupportedModes", "GCM",
            "SupportedPaddings", "NOPADDING"));
    add("Cipher", "KMS", KmsCipherSpi.class, List.of(),
        Map.of("SupportedKeyClasses", KMS_KEY));
    add("SecureRandom", "KMS", KmsSecureRandomSpi.class, List.of(),
        Map.of("ThreadSafe", "true"));
    addAsymmetricAndHmac();
  }

  private void addAsymmetricAndHmac() {
    Map<String, String> ec = Map.of("SupportedKeyClasses", KMS_EC_KEY);
    Map<String, String> rsa = Map.of("SupportedKeyClasses", KMS_RSA_KEY);
    add("Signature", "SHA256withECDSA", KmsSignatureSpi.Sha256WithEcdsa.class, List.of(), ec);
    add("Signature", "SHA384withECDSA", KmsSignatureSpi.Sha384WithEcdsa.class, List.of(), ec);
    add("Signature", "SHA512withECDSA", KmsSignatureSpi.Sha512WithEcdsa.class, List.of(), ec);
    add("Signature", "SHA256withRSA", KmsSignatureSpi.Sha256WithRsa.class, List.of(), rsa);
    add("Signature", "SHA384withRSA", KmsSignatureSpi.Sha384WithRsa.class, List.of(), rsa);
    add("Signature", "SHA512withRSA", KmsSignatureSpi.Sha512WithRsa.class, List.of(), rsa);
    add("Signature", "RSASSA-PSS", KmsSignatureSpi.RsaSsaPss.class, List.of(), rsa);
    add("Cipher", "RSA/ECB/OAEPWithSHA-1AndMGF1Padding", KmsRsaOaepCipherSpi.Sha1.class,
        List.of("RSA/ECB/OAEPWithSHA1AndMGF1Padding"), rsa);
    add("Cipher", "RSA/ECB/OAEPWithSHA-256AndMGF1Padding", KmsRsaOaepCipherSpi.Sha256.class,
        List.of(), rsa);
    add("KeyPairGenerator", "EC", KmsKeyPairGeneratorSpi.Ec.class, List.of(), Map.of());
    add("KeyPairGenerator", "RSA", KmsKeyPairGeneratorSpi.Rsa.class, List.of(), Map.of());
    Map<String, String> hmac = Map.of("SupportedKeyClasses", KMS_KEY);
    add("Mac", "HmacSHA224", KmsMacSpi.HmacSha224.class, List.of(), hmac);
    add("Mac", "HmacSHA256", KmsMacSpi.HmacSha256.class, List.of(), hmac);
    add("Mac", "HmacSHA384", KmsMacSpi.HmacSha384.class, List.of(), hmac);
    add("Mac", "HmacSHA512", KmsMacSpi.HmacSha512.class, List.of(), hmac);
    add("KeyGenerator", "HmacSHA224", KmsKeyGeneratorSpi.HmacSha224.class, List.of(), Map.of());
    add("KeyGenerator", "HmacSHA256", KmsKeyGeneratorSpi.HmacSha256.class, List.of(), Map.of());
    add("KeyGenerator", "HmacSHA384", KmsKeyGeneratorSpi.HmacSha384.class, List.of(), Map.of());
    add("KeyGenerator", "HmacSHA512", KmsKeyGeneratorSpi.HmacSha512.class, List.of(), Map.of());
  }

  private void add(
      String type, String algorithm, Class<?> impl, List<String> aliases,
      Map<String, String> attributes) {
    putService(new Service(this, type, algorithm, impl.getName(), aliases, attributes));
  }
}
