package dev.coffer.bench.support;

import dev.coffer.daemon.http.TlsPolicy;
import java.io.InputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.BenchmarkParams;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kms.KmsClient;

/**
 * The floor for the HTTPS case: Jetty 12 with the endpoint's TLS policy and certificate, reading
 * each request body and answering a canned {@code Encrypt} response of the real one's size (no
 * signature check, no cryptography, no audit). Driven by the same SDK v2 client setup, so the
 * gap to {@link HttpsDaemon} is what the daemon does per request.
 */
@State(Scope.Benchmark)
public class HttpsEcho {

  private Server server;
  private KmsClient kms;

  @Setup(Level.Trial)
  public void start(HttpsDaemon daemon, BenchmarkParams params) throws Exception {
    byte[] blob = new byte[1024 + 90]; // about a Coffer ciphertext of 1 KiB
    byte[] answer = ("{\"CiphertextBlob\":\"" + Base64.getEncoder().encodeToString(blob)
        + "\",\"KeyId\":\"" + daemon.httpsKeyArn()
        + "\",\"EncryptionAlgorithm\":\"SYMMETRIC_DEFAULT\"}").getBytes(StandardCharsets.UTF_8);
    QueuedThreadPool threads = new QueuedThreadPool(64, 8);
    threads.setName("echo-https");
    server = new Server(threads);
    SslContextFactory.Server ssl = new SslContextFactory.Server();
    ssl.setSslContext(daemon.tls().sslContext());
    ssl.setIncludeProtocols(TlsPolicy.PROTOCOLS.toArray(String[]::new));
    ssl.setIncludeCipherSuites(TlsPolicy.CIPHER_SUITES.toArray(String[]::new));
    ssl.setUseCipherSuitesOrder(true);
    HttpConfiguration http = new HttpConfiguration();
    http.setSendServerVersion(false);
    ServerConnector connector = new ServerConnector(server, 1, 1,
        new SslConnectionFactory(ssl, HttpVersion.HTTP_1_1.asString()),
        new HttpConnectionFactory(http));
    connector.setHost("127.0.0.1");
    connector.setPort(0);
    connector.setIdleTimeout(75_000);
    server.addConnector(connector);
    server.setHandler(new Handler.Abstract() {
      @Override
      public boolean handle(Request request, Response response, Callback callback)
          throws Exception {
        try (InputStream in = Content.Source.asInputStream(request)) {
          in.readAllBytes();
        }
        response.setStatus(200);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/x-amz-json-1.1");
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, answer.length);
        response.write(true, ByteBuffer.wrap(answer), callback);
        return true;
      }
    });
    server.start();
    kms = HttpsDaemon.client(URI.create("https://127.0.0.1:" + connector.getLocalPort()),
        daemon.certificate(), "AKIAECHOECHOECHOECHO", "echo-secret-not-checked");
    // As the HTTPS rows are warmed (HttpsDaemon): the same client and TLS code, compiled first.
    SdkBytes plaintext = SdkBytes.fromByteArray(Peers.message(1024));
    JitWarmUp.untilSteady("HTTPS echo", params.getThreads(),
        () -> kms.encrypt(b -> b.keyId(daemon.httpsKeyArn()).plaintext(plaintext)));
  }

  public KmsClient kms() {
    return kms;
  }

  @TearDown(Level.Trial)
  public void stop() throws Exception {
    if (kms != null) {
      kms.close();
    }
    if (server != null) {
      server.stop();
    }
  }
}
