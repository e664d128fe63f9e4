package dev.coffer.conformance;

import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.kms.KmsClientBuilder;

/** The AWS SDK for Java v2 pointed at a daemon's HTTPS endpoint, as its documentation says. */
final class AwsClients {
  private AwsClients() {}

  /**
   * A {@code KmsClient} with {@code endpointOverride} at {@code d}'s endpoint, signing for
   * {@code region} with the access key, trusting only the daemon's self-signed certificate.
   */
  static KmsClient kms(DaemonProcess d, String region, String accessKeyId, String secret) {
    return kms(d, region, accessKeyId, secret, b -> {});
  }

  /** As {@link #kms(DaemonProcess, String, String, String)}, with more builder settings. */
  static KmsClient kms(DaemonProcess d, String region, String accessKeyId, String secret,
      java.util.function.Consumer<KmsClientBuilder> more) {
    KmsClientBuilder b = KmsClient.builder()
        .endpointOverride(URI.create(d.httpsUrl()))
        .region(Region.of(region))
        .credentialsProvider(StaticCredentialsProvider.create(
            AwsBasicCredentials.create(accessKeyId, secret)))
        .httpClientBuilder(ApacheHttpClient.builder()
            .tlsTrustManagersProvider(() -> trustManagers(d.caBundle())));
    more.accept(b);
    return b.build();
  }

  /**
   * A {@code KmsClient} for the endpoint {@code endpoint} (e.g. one node of a cluster), trusting
   * only the PEM certificate {@code trusted}.
   */
  static KmsClient kms(String endpoint, Path trusted, String region, String accessKeyId,
      String secret) {
    return KmsClient.builder()
        .endpointOverride(URI.create(endpoint))
        .region(Region.of(region))
        .credentialsProvider(StaticCredentialsProvider.create(
            AwsBasicCredentials.create(accessKeyId, secret)))
        .httpClientBuilder(ApacheHttpClient.builder()
            .tlsTrustManagersProvider(() -> trustManagers(trusted)))
        .build();
  }

  /** Trust managers that trust exactly the PEM certificate {@code pem}. */
  static TrustManager[] trustManagers(Path pem) {
    try (InputStream in = Files.newInputStream(pem)) {
      X509Certificate cert = (X509Certificate) CertificateFactory.getInstance("X.509")
          .generateCertificate(in);
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(null, null);
      ks.setCertificateEntry("coffer", cert);
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(
          TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(ks);
      return tmf.getTrustManagers();
    } catch (Exception e) {
      throw new IllegalStateException("cannot trust " + pem + ": " + e.getMessage(), e);
    }
  }
}
