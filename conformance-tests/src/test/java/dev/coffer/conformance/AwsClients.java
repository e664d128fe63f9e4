package dev.coffer.conformance;

import dev.coffer.conformance.DaemonProcess.CliResult;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.kms.KmsClientBuilder;

/**
 * The AWS SDK for Java v2 pointed at a daemon's HTTPS endpoint, as its documentation says, and
 * the AWS CLI run against one.
 */
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

  /**
   * {@code aws kms ARGS --endpoint-url ENDPOINT} with only environment configuration: no config
   * or credentials file ({@code HOME} is {@code workDir}), the access key, {@code region}, and
   * {@code AWS_CA_BUNDLE} trusting only {@code caBundle}. Output and error stripped.
   */
  static CliResult awsCli(String endpoint, Path caBundle, Path workDir, String region,
      String accessKeyId, String secret, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("aws", "kms"));
    cmd.addAll(List.of(args));
    cmd.addAll(List.of("--endpoint-url", endpoint));
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(workDir.toFile());
    Map<String, String> env = pb.environment();
    env.keySet().removeIf(k -> k.startsWith("AWS_"));
    env.put("HOME", workDir.toString());
    env.put("AWS_CONFIG_FILE", workDir.resolve("no-config").toString());
    env.put("AWS_SHARED_CREDENTIALS_FILE", workDir.resolve("no-credentials").toString());
    env.put("AWS_DEFAULT_REGION", region);
    env.put("AWS_ACCESS_KEY_ID", accessKeyId);
    env.put("AWS_SECRET_ACCESS_KEY", secret);
    env.put("AWS_CA_BUNDLE", caBundle.toString());
    Process p = pb.start();
    byte[] out = p.getInputStream().readAllBytes();
    byte[] err = p.getErrorStream().readAllBytes();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("aws " + args[0] + " hung");
    }
    return new CliResult(p.exitValue(), new String(out, StandardCharsets.UTF_8).strip(),
        new String(err, StandardCharsets.UTF_8).strip());
  }
}
