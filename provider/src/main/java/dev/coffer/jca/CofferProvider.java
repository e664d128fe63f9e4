package dev.coffer.jca;

import dev.coffer.jca.spi.AesGcmEnvelopeCipherSpi;
import dev.coffer.jca.spi.KmsCipherSpi;
import dev.coffer.jca.spi.KmsKeyGeneratorSpi;
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
 * <p>Register it with {@code security.provider.N=Coffer} (after SunJCE) or {@code
 * Security.addProvider(new CofferProvider())}.
 */
public final class CofferProvider extends Provider {

  private static final long serialVersionUID = 1L;

  public static final String NAME = "Coffer";

  private static final String KMS_KEY = "dev.coffer.jca.key.KmsKey";

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
  }

  private void add(
      String type, String algorithm, Class<?> impl, List<String> aliases,
      Map<String, String> attributes) {
    putService(new Service(this, type, algorithm, impl.getName(), aliases, attributes));
  }
}
