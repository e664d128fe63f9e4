package dev.coffer.bench.support;

import dev.coffer.daemon.Daemon;
import dev.coffer.daemon.accesskey.AccessKeyCredential;
import dev.coffer.daemon.config.DaemonConfig;
import dev.coffer.daemon.http.TlsMaterial;
import dev.coffer.jca.CofferProvider;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.Security;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Comparator;
import java.util.stream.Stream;
import javax.crypto.Cipher;
import javax.crypto.KeyGenerator;
import javax.crypto.SecretKey;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.BenchmarkParams;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kms.KmsClient;

/**
 * One daemon per trial, in the benchmark's JVM, serving both doors: its Unix socket (the
 * provider's {@code Cipher("KMS")}, {@code -Dcoffer.socket}) and its HTTPS endpoint on a free
 * loopback port (audit on, as always), with an access key for the SDK v2 {@code KmsClient}
 * (Apache HTTP client, keep-alive) and one KMS key for each door's caller. Before JMH's warm-up
 * it runs the fork's row until its rate stops climbing ({@link JitWarmUp}).
 */
@State(Scope.Benchmark)
public class HttpsDaemon {

  static final String REGION = "us-east-1";

  private Path home;
  private Daemon daemon;
  private KmsClient kms;
  private String httpsKeyArn;
  private SecretKey socketKey;

  @Setup(Level.Trial)
  public void start(BenchmarkParams params) throws Exception {
    home = Files.createTempDirectory(Path.of("/tmp"), "cofhttpsb");
    Files.writeString(home.resolve("coffer.properties"), "region=" + REGION + "\n"
        + "https-listen=127.0.0.1:0\n"
        + "admins=user/" + System.getProperty("user.name") + ",iam-user/bench\n");
    daemon = Daemon.start(DaemonConfig.fromEnvironment(home, home.resolve("coffer.sock")));
    System.setProperty("coffer.socket", daemon.socket().toString());
    if (Security.getProvider("Coffer") == null) {
      Security.addProvider(new CofferProvider());
    }
    KeyGenerator kg = KeyGenerator.getInstance("KMS", "Coffer");
    kg.init(256);
    socketKey = kg.generateKey();
    String id;
    String secret;
    try (AccessKeyCredential c = daemon.accessKeys().create("bench")) {
      id = c.key().accessKeyId();
      secret = new String(c.secret(), StandardCharsets.US_ASCII);
    }
    kms = client(URI.create(daemon.endpointUrls().get(0)), home.resolve("https/cert.pem"), id,
        secret);
    httpsKeyArn = kms.createKey(b -> b.description("bench")).keyMetadata().arn();
    warm(params);
  }

  /**
   * Runs the fork's own row ({@code https_*} or {@code socket_*}; {@link HttpsEcho} warms the
   * echo) on its threads until its rate stops climbing ({@link JitWarmUp}).
   */
  private void warm(BenchmarkParams params) throws Exception {
    String row = params.getBenchmark().substring(params.getBenchmark().lastIndexOf('.') + 1);
    SdkBytes plaintext = SdkBytes.fromByteArray(Peers.message(1024));
    if (row.startsWith("https_")) {
      JitWarmUp.untilSteady("HTTPS Encrypt", params.getThreads(),
          () -> kms.encrypt(b -> b.keyId(httpsKeyArn).plaintext(plaintext)));
    } else if (row.startsWith("socket_")) {
      ThreadLocal<Cipher> cipher = ThreadLocal.withInitial(() -> {
        try {
          return Cipher.getInstance("KMS", "Coffer");
        } catch (GeneralSecurityException e) {
          throw new IllegalStateException(e);
        }
      });
      byte[] raw = Peers.message(1024);
      JitWarmUp.untilSteady("socket Encrypt", params.getThreads(), () -> {
        Cipher c = cipher.get();
        c.init(Cipher.ENCRYPT_MODE, socketKey);
        return c.doFinal(raw);
      });
    }
  }

  /** An SDK v2 client for {@code endpoint}, trusting only {@code certPem}. */
  static KmsClient client(URI endpoint, Path certPem, String accessKeyId, String secret) {
    return KmsClient.builder()
        .endpointOverride(endpoint)
        .region(Region.of(REGION))
        .credentialsProvider(StaticCredentialsProvider.create(
            AwsBasicCredentials.create(accessKeyId, secret)))
        .httpClientBuilder(ApacheHttpClient.builder()
            .tlsTrustManagersProvider(() -> trustManagers(certPem)))
        .build();
  }

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
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The SDK v2 client signed with the trial's access key; thread-safe. */
  public KmsClient kms() {
    return kms;
  }

  /** The six-part ARN of the key the HTTPS caller uses. */
  public String httpsKeyArn() {
    return httpsKeyArn;
  }

  /** The key the socket caller uses (a provider handle). */
  public SecretKey socketKey() {
    return socketKey;
  }

  /** The self-signed certificate's material, for an echo server with the same TLS. */
  public TlsMaterial tls() throws IOException {
    return TlsMaterial.selfSigned(home.resolve("https"), TlsMaterial.DEFAULT_NAMES,
        new java.security.SecureRandom(), java.time.Clock.systemUTC());
  }

  public Path certificate() {
    return home.resolve("https/cert.pem");
  }

  @TearDown(Level.Trial)
  public void stop() throws IOException {
    if (kms != null) {
      kms.close();
    }
    if (daemon != null) {
      daemon.close();
    }
    System.clearProperty("coffer.socket");
    if (home != null) {
      try (Stream<Path> s = Files.walk(home)) {
        s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }
}
