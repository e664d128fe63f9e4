package dev.coffer.jca.transport.https;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.jca.transport.KmsTransport;
import dev.coffer.jca.transport.RoundTrips;
import dev.coffer.protocol.ErrorType;
import dev.coffer.protocol.Json;
import dev.coffer.protocol.KmsException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLParameters;

/**
 * The transport to a remote Coffer over its AWS-compatible HTTPS endpoint: AWS JSON 1.1 ({@code
 * POST} to the endpoint's path, {@code X-Amz-Target: TrentService.<Operation>}, {@code
 * Content-Type: application/x-amz-json-1.1}, the operation's input as the body), signed with
 * SigV4 for service {@code kms}. The JDK's {@link HttpClient}: HTTP/1.1 with keep-alive, TLS 1.3
 * or 1.2, host names verified.
 *
 * <p>Failover: endpoints are tried in order, starting with the last one that answered, and then
 * that one once more (so a lone endpoint gets a second, fresh connection). A failure
 * that provably happened before the request left this JVM (connection refused, connect timeout,
 * unknown host, TLS handshake failure) moves on to the next endpoint for every operation. Any
 * other I/O failure moves on only for operations without side effects ({@link #SAFE_TO_REPEAT}),
 * because a {@code CreateKey} or {@code ScheduleKeyDeletion} may have been applied; those fail
 * with the AWS name the socket uses for a lost answer. An HTTP answer, error or not, is final.
 *
 * <p>Credentials ({@link CredentialChain}) are read at the first call and kept until the
 * endpoint refuses them ({@link HttpsErrors#AUTHENTICATION}); the next call then reads the chain
 * again, so an operator can fix the key or secret without restarting the application. A failure
 * to find them is reported on every call until they are found.
 */
public final class HttpsTransport implements KmsTransport {

  /**
   * Operations that change no state in the daemon, so sending one twice is harmless (each still
   * leaves an audit record).
   */
  public static final Set<String> SAFE_TO_REPEAT = Set.of(
      "Encrypt", "Decrypt", "ReEncrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext",
      "GenerateDataKeyPair", "GenerateDataKeyPairWithoutPlaintext", "GenerateRandom",
      "GenerateMac", "VerifyMac", "Sign", "Verify", "DeriveSharedSecret", "DescribeKey",
      "GetPublicKey", "GetKeyPolicy", "GetKeyRotationStatus", "ListKeys", "ListAliases",
      "ListGrants", "ListKeyPolicies", "ListKeyRotations", "ListResourceTags",
      "ListRetirableGrants", "GetCertificateChain");

  static final String CONTENT_TYPE = "application/x-amz-json-1.1";
  static final String TARGET_PREFIX = "TrentService.";
  private static final String USER_AGENT = "coffer-provider/0.1";

  private final HttpsSettings settings;
  private final HttpClient client;
  private final SigV4Signer signer;
  private final Map<String, String> env;
  private final Clock clock;
  private final AtomicInteger preferred = new AtomicInteger();
  private volatile AwsCredentials credentials;

  /** A transport configured by {@code settings}, credentials from the process environment. */
  public HttpsTransport(HttpsSettings settings) {
    this(settings, System.getenv(), Clock.systemUTC());
  }

  HttpsTransport(HttpsSettings settings, Map<String, String> env, Clock clock) {
    this.settings = settings;
    this.env = env;
    this.clock = clock;
    this.signer = new SigV4Signer(settings.region(), "kms", true);
    SSLParameters tls = new SSLParameters();
    tls.setProtocols(new String[] {"TLSv1.3", "TLSv1.2"});
    this.client = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .followRedirects(HttpClient.Redirect.NEVER)
        .connectTimeout(settings.connectTimeout())
        .sslContext(TlsTrust.context(settings.trustedCertificates()))
        .sslParameters(tls)
        .build();
  }

  @Override
  public String destination() {
    return settings.endpoints().stream().map(URI::toString).collect(Collectors.joining(","));
  }

  @Override
  public ObjectNode call(String operation, ObjectNode input) {
    RoundTrips.increment();
    AwsCredentials c = credentials();
    byte[] body = Json.toBytes(input == null ? Json.object() : input);
    try {
      return send(operation, body, c);
    } finally {
      Arrays.fill(body, (byte) 0); // the input may hold plaintext or key material
    }
  }

  private ObjectNode send(String operation, byte[] body, AwsCredentials c) {
    List<URI> endpoints = settings.endpoints();
    int start = preferred.get();
    List<String> failures = new ArrayList<>();
    boolean[] timedOut = new boolean[endpoints.size()];
    // One attempt more than there are endpoints: the first endpoint tried gets a second chance
    // on a fresh connection (a single endpoint's pooled connection may have just been closed),
    // unless it let the request time out: waiting twice for a hung daemon helps nobody.
    for (int i = 0; i <= endpoints.size(); i++) {
      int index = (start + i) % endpoints.size();
      if (timedOut[index]) {
        continue;
      }
      URI endpoint = endpoints.get(index);
      HttpResponse<byte[]> response;
      try {
        response = client.send(request(endpoint, operation, body, c),
            HttpResponse.BodyHandlers.ofByteArray());
      } catch (IOException e) {
        failures.add(endpoint + " (" + describe(e) + ")");
        timedOut[index] = e instanceof HttpTimeoutException
            && !(e instanceof HttpConnectTimeoutException);
        if (neverSent(e) || SAFE_TO_REPEAT.contains(operation)) {
          continue;
        }
        if (e instanceof HttpTimeoutException) {
          throw new KmsException(ErrorType.DEPENDENCY_TIMEOUT, "the Coffer endpoint " + endpoint
              + " did not answer " + operation + " within " + settings.requestTimeout().toMillis()
              + " ms; the request may still be applied, so it is not sent elsewhere", e);
        }
        throw new KmsException(ErrorType.DAEMON_UNAVAILABLE, "lost the connection to the Coffer"
            + " endpoint " + endpoint + " during " + operation + " (" + describe(e) + "); the"
            + " request may have been applied, so it is not sent elsewhere", e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new KmsException(ErrorType.INTERNAL, "interrupted while waiting for the Coffer"
            + " endpoint " + endpoint, e);
      }
      preferred.set(index);
      return answer(endpoint, response, c);
    }
    throw new KmsException(ErrorType.DAEMON_UNAVAILABLE, "cannot reach the Coffer endpoint"
        + (endpoints.size() > 1 ? "s " : " ") + String.join(", ", failures) + "; check"
        + " coffer.endpoint / COFFER_ENDPOINT, that `coffer serve` listens there (https-listen),"
        + " and coffer.tls.ca for its certificate");
  }

  private HttpRequest request(URI endpoint, String operation, byte[] body, AwsCredentials c) {
    String amzDate = SigV4Signer.amzDate(clock.instant());
    String payloadHash = SigV4Signer.sha256Hex(body);
    List<Map.Entry<String, String>> signed = new ArrayList<>(6);
    signed.add(Map.entry("Content-Type", CONTENT_TYPE));
    signed.add(Map.entry("Host", hostHeader(endpoint)));
    signed.add(Map.entry("X-Amz-Content-Sha256", payloadHash));
    signed.add(Map.entry("X-Amz-Date", amzDate));
    if (c.sessionToken() != null) {
      signed.add(Map.entry("X-Amz-Security-Token", c.sessionToken()));
    }
    signed.add(Map.entry("X-Amz-Target", TARGET_PREFIX + operation));
    SigV4Signer.Signature s = signer.sign(new SigV4Signer.Request(
        "POST", endpoint.getRawPath(), "", signed, payloadHash), c);
    HttpRequest.Builder b = HttpRequest.newBuilder(endpoint)
        .timeout(settings.requestTimeout())
        .header("User-Agent", USER_AGENT)
        .header("Authorization", s.authorization())
        .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    for (Map.Entry<String, String> h : signed) {
      if (!h.getKey().equals("Host")) { // the client writes Host itself, with the same value
        b.header(h.getKey(), h.getValue());
      }
    }
    return b.build();
  }

  /**
   * The {@code Host} header {@link HttpClient} writes for {@code uri}: the host, bracketed when
   * IPv6, with {@code :port} unless the port is absent or the scheme's default.
   */
  static String hostHeader(URI uri) {
    String host = uri.getHost();
    if (host.contains(":") && !host.startsWith("[")) {
      host = "[" + host + "]";
    }
    int port = uri.getPort();
    boolean defaultPort = port == -1
        || ("https".equalsIgnoreCase(uri.getScheme()) ? port == 443 : port == 80);
    return defaultPort ? host : host + ":" + port;
  }

  private ObjectNode answer(URI endpoint, HttpResponse<byte[]> response, AwsCredentials c) {
    byte[] body = response.body() == null ? new byte[0] : response.body();
    try {
      if (response.statusCode() == 200) {
        return body.length == 0 ? Json.object() : Json.parseObject(body);
      }
      KmsException e = HttpsErrors.fromResponse(endpoint, response.statusCode(),
          response.headers().firstValue("x-amzn-ErrorType"), body, c, settings.region());
      if (HttpsErrors.AUTHENTICATION.contains(e.errorType())) {
        synchronized (this) {
          if (credentials == c) {
            credentials = null; // read the chain again at the next call
          }
        }
      }
      throw e;
    } finally {
      Arrays.fill(body, (byte) 0); // Decrypt and GenerateDataKey answers carry plaintext
    }
  }

  private AwsCredentials credentials() {
    AwsCredentials c = credentials;
    if (c == null) {
      synchronized (this) {
        c = credentials;
        if (c == null) {
          try {
            c = CredentialChain.resolve(env, System.getProperties());
          } catch (IllegalArgumentException e) {
            throw new KmsException(HttpsErrors.CONFIGURATION, e.getMessage(), e);
          }
          credentials = c;
        }
      }
    }
    return c;
  }

  /** True when the failure came before any byte of the request was written. */
  private static boolean neverSent(IOException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof ConnectException || t instanceof HttpConnectTimeoutException
          || t instanceof SSLHandshakeException) {
        return true;
      }
    }
    return false;
  }

  private static String describe(Throwable e) {
    StringBuilder b = new StringBuilder();
    for (Throwable t = e; t != null && b.length() < 300; t = t.getCause()) {
      String m = t.getMessage();
      if (m != null && !m.isBlank() && b.indexOf(m) < 0) {
        if (b.length() > 0) {
          b.append(": ");
        }
        b.append(m);
      }
    }
    return b.length() == 0 ? e.getClass().getSimpleName() : b.toString();
  }
}
