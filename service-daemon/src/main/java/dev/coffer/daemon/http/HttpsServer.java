package dev.coffer.daemon.http;

import dev.coffer.daemon.audit.AuditRecords;
import dev.coffer.protocol.ErrorType;
import dev.coffer.protocol.KmsException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.util.Objects;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.QuietException;
import org.eclipse.jetty.server.ConnectionFactory;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.NetworkConnectionLimit;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * Coffer's AWS-compatible endpoint: AWS JSON 1.1 over HTTPS ({@code POST /},
 * {@code X-Amz-Target: TrentService.<Operation>}), on Jetty 12's core handler API.
 *
 * <p>Each request: method and path checked, body read within {@link HttpLimits#maxBodyBytes}
 * without holding a thread while it arrives ({@link RequestBodyReader}, timed by {@link
 * ConnectionGuard}),
 * SigV4 verified ({@link SigV4Verifier}), operation taken from the signed target and the
 * {@code Content-Type} checked (a refusal of either is audited through {@link
 * AwsJsonHandler#refused}), then handed to the {@link AwsJsonHandler}. Every answer carries {@code Content-Type:
 * application/x-amz-json-1.1}, {@code x-amzn-RequestId} and {@code Date}; errors carry the AWS
 * name in the body and in {@code x-amzn-ErrorType}.
 *
 * <p>TLS follows {@link TlsPolicy}. Plain HTTP (no {@link TlsMaterial}) is accepted only on a
 * loopback address: signatures protect integrity but not confidentiality, and KMS bodies carry
 * plaintext and data keys.
 */
public final class HttpsServer implements AutoCloseable {

  private static final Logger LOG = Logger.getLogger(HttpsServer.class.getName());

  private final Server server;
  private final ServerConnector connector;
  private final HttpLimits limits;
  private final SigV4Verifier verifier;
  private final AwsJsonHandler handler;
  private final ConnectionGuard guard;
  private final ThrottledLog droppedBodies = new ThrottledLog(LOG, Level.INFO, 60);

  /**
   * @param host address to listen on, e.g. {@code 0.0.0.0} or {@code 127.0.0.1}
   * @param port TCP port; 0 picks a free one ({@link #port()} tells which)
   * @param tls certificate and key; empty for plain HTTP, loopback {@code host} only
   * @throws IllegalArgumentException for plain HTTP on a non-loopback or unresolvable host
   */
  public HttpsServer(String host, int port, Optional<TlsMaterial> tls, HttpLimits limits,
      SigV4Verifier verifier, AwsJsonHandler handler) {
    this.limits = Objects.requireNonNull(limits, "limits");
    this.verifier = Objects.requireNonNull(verifier, "verifier");
    this.handler = Objects.requireNonNull(handler, "handler");
    if (tls.isEmpty()) {
      requireLoopback(host);
    }
    QueuedThreadPool threads = new QueuedThreadPool(limits.maxThreads(), limits.minThreads());
    threads.setName("coffer-https");
    server = new Server(threads);
    HttpConfiguration http = new HttpConfiguration();
    http.setRequestHeaderSize(limits.maxHeaderBytes());
    http.setSendServerVersion(false);
    http.setSendXPoweredBy(false);
    http.setSendDateHeader(false); // every response sets its own Date (handler and error handler)
    ConnectionFactory[] factories;
    if (tls.isPresent()) {
      SecureRequestCustomizer secure = new SecureRequestCustomizer();
      // Clients reach Coffer by IP or by names the operator chose; the certificate check is
      // the client's job, and SNI mismatches must not turn into opaque 400s.
      secure.setSniHostCheck(false);
      http.addCustomizer(secure);
      SslContextFactory.Server ssl = new SslContextFactory.Server();
      ssl.setSslContext(tls.get().sslContext());
      ssl.setIncludeProtocols(TlsPolicy.PROTOCOLS.toArray(String[]::new));
      ssl.setIncludeCipherSuites(TlsPolicy.CIPHER_SUITES.toArray(String[]::new));
      ssl.setUseCipherSuitesOrder(true);
      ssl.setRenegotiationAllowed(false);
      factories = new ConnectionFactory[] {
          new SslConnectionFactory(ssl, HttpVersion.HTTP_1_1.asString()),
          new HttpConnectionFactory(http)};
    } else {
      factories = new ConnectionFactory[] {new HttpConnectionFactory(http)};
    }
    connector = new ServerConnector(server, 1, 1, factories);
    connector.setHost(host);
    connector.setPort(port);
    connector.setIdleTimeout(limits.idleTimeout().toMillis());
    guard = new ConnectionGuard(connector.getScheduler(), threads, limits);
    connector.addBean(guard);
    server.addConnector(connector);
    // At the limit Jetty stops accepting (new clients wait in the backlog); the guard then
    // shortens idle timeouts so unused keep-alive connections make room.
    server.addBean(new NetworkConnectionLimit(limits.maxConnections(), server));
    server.setHandler(new AwsJsonEndpoint());
    server.setErrorHandler(new AwsJsonErrorHandler((request, refusal) -> {
      RequestContext context = context(request);
      auditUnauthenticated(context, refusal);
      return context.requestId();
    }));
    server.setStopTimeout(5_000);
  }

  /**
   * Audits a refusal of a request whose signature was not checked (an unknown caller); a
   * failure to write the record is logged and does not change the answer.
   */
  private void auditUnauthenticated(RequestContext context, KmsException refusal) {
    try {
      handler.refusedUnauthenticated(context, refusal);
    } catch (RuntimeException auditFailure) {
      LOG.log(Level.SEVERE, "audit of a refused request failed", auditFailure);
    }
  }

  /** Binds and starts serving. */
  public void start() throws IOException {
    try {
      server.start();
    } catch (IOException e) {
      throw e;
    } catch (Exception e) {
      throw new IOException("the HTTPS endpoint could not start on " + connector.getHost() + ":"
          + connector.getPort() + ": " + e.getMessage(), e);
    }
  }

  /** The bound TCP port (after {@link #start()}). */
  public int port() {
    return connector.getLocalPort();
  }

  /** Client connections open now (the {@code coffer_connections} metric). */
  public int openConnections() {
    return connector.getConnectedEndPoints().size();
  }

  /** Stops accepting, lets running requests finish (5 s at most), closes connections. */
  @Override
  public void close() {
    try {
      server.stop();
    } catch (Exception e) {
      LOG.log(Level.WARNING, "HTTPS endpoint did not stop cleanly", e);
    }
  }

  private static void requireLoopback(String host) {
    try {
      for (InetAddress address : InetAddress.getAllByName(host)) {
        if (!address.isLoopbackAddress()) {
          throw new IllegalArgumentException("plain HTTP is refused on " + host
              + " (not a loopback address): KMS requests carry plaintext and data keys. Listen on"
              + " 127.0.0.1 or ::1, or use https-listen with a certificate");
        }
      }
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("cannot resolve the listen address " + host, e);
    }
  }

  /** The one handler: everything that reaches Jetty's handler is answered here. */
  private final class AwsJsonEndpoint extends Handler.Abstract {

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
      Exchange exchange = new Exchange(request, response, callback);
      guard.requestStarted(exchange.connection);
      long declared = request.getLength();
      try {
        requirePostToRoot(request);
        if (declared > limits.maxBodyBytes()) {
          throw tooLarge(declared);
        }
      } catch (HttpStatusException e) {
        exchange.refuseUnauthenticated(e);
        return true;
      }
      // Returns at once if the body has not all arrived: the reader carries on when it does.
      new RequestBodyReader(request, declared, limits.maxBodyBytes(), exchange).run();
      return true;
    }
  }

  /** One request and its answer, from the complete body on. */
  private final class Exchange implements RequestBodyReader.Outcome {
    final Request request;
    final Response response;
    final Callback callback;
    final RequestContext context;
    final Connection connection;

    Exchange(Request request, Response response, Callback callback) {
      this.request = request;
      this.response = response;
      this.callback = callback;
      this.context = context(request);
      this.connection = request.getConnectionMetaData().getConnection();
    }

    @Override
    public void complete(byte[] body) {
      guard.requestRead(connection);
      try {
        send(200, null, answer(request, context, body));
      } catch (HttpStatusException e) {
        refuse(e);
      } catch (KmsException e) {
        send(AwsJsonWire.status(e.errorType()), e.errorType(),
            AwsJsonWire.errorBody(e.errorType(), e.getMessage()));
      } catch (RuntimeException e) {
        LOG.log(Level.SEVERE, "request " + context.requestId() + " failed", e);
        send(500, ErrorType.INTERNAL, AwsJsonWire.errorBody(ErrorType.INTERNAL,
            "An internal error occurred; request id " + context.requestId()));
      } finally {
        java.util.Arrays.fill(body, (byte) 0); // refused before it was handed on, too
      }
    }

    @Override
    public void tooLarge() {
      guard.requestRead(connection);
      refuseUnauthenticated(HttpsServer.this.tooLarge(-1));
    }

    /** Refuses a request whose signature was not checked; audited with an unknown caller. */
    void refuseUnauthenticated(HttpStatusException e) {
      auditUnauthenticated(context, e.getCause());
      refuse(e);
    }

    @Override
    public void failed(Throwable failure) {
      // The client went away or the guard closed it: nobody to answer, and nothing to log but
      // a line now and then (any client can cause this at will).
      droppedBodies.note("request bodies were not received whole (the client closed the"
          + " connection or missed the request-read deadline); last from " + context.sourceIp()
          + ": " + failure.getClass().getSimpleName());
      // Quiet: Jetty would otherwise log its own failed error answer, with a stack trace.
      callback.failed(new QuietException.Exception("request body not received whole",
          failure));
    }

    void refuse(HttpStatusException e) {
      send(e.status, e.getCause().errorType(),
          AwsJsonWire.errorBody(e.getCause().errorType(), e.getCause().getMessage()));
    }

    void send(int status, String errorType, byte[] body) {
      response.setStatus(status);
      var headers = response.getHeaders();
      headers.put(HttpHeader.CONTENT_TYPE, AwsJsonWire.CONTENT_TYPE);
      headers.put("x-amzn-RequestId", context.requestId());
      headers.put(HttpHeader.DATE, AwsJsonWire.httpDate());
      if (errorType != null) {
        headers.put("x-amzn-ErrorType", errorType);
      }
      if (status == 405) {
        headers.put(HttpHeader.ALLOW, "POST");
      }
      if (status == 413) {
        // The rest of an oversized body is not read; the connection cannot be reused.
        headers.put(HttpHeader.CONNECTION, "close");
      }
      headers.put(HttpHeader.CONTENT_LENGTH, body.length);
      response.write(true, ByteBuffer.wrap(body), Callback.from(
          () -> {
            java.util.Arrays.fill(body, (byte) 0);
            guard.responded(connection);
            callback.succeeded();
          },
          failure -> {
            java.util.Arrays.fill(body, (byte) 0);
            callback.failed(failure);
          }));
    }
  }

  private static void requirePostToRoot(Request request) {
    if (!"POST".equals(request.getMethod())) {
      throw new HttpStatusException(405, new KmsException(ErrorType.UNKNOWN_OPERATION,
          "The KMS endpoint takes only POST / with X-Amz-Target: TrentService.<Operation>; "
              + "got " + request.getMethod()));
    }
    String rawPath = request.getHttpURI().getPath();
    if (!"/".equals(rawPath)) {
      throw new HttpStatusException(404, new KmsException(ErrorType.UNKNOWN_OPERATION,
          "The KMS endpoint serves only the path /; got " + rawPath
              + ". Use the endpoint URL without a path"));
    }
  }

  /** Verifies the signature and runs the operation; the answer body (the caller zeroes it). */
  private byte[] answer(Request request, RequestContext context, byte[] body) {
    String rawPath = request.getHttpURI().getPath();
    RequestHeaders.Builder headers = RequestHeaders.builder();
    for (HttpField field : request.getHeaders()) {
      headers.add(field.getName(), field.getValue());
    }
    SignedRequest signed = new SignedRequest(request.getMethod(), rawPath,
        request.getHttpURI().getQuery(), headers.build(), body);
    VerifiedSignature verified;
    try {
      verified = verifier.verify(signed);
      if (verified.sessionToken().isPresent()) {
        // Coffer issues no temporary credentials, so no session token can be valid; AWS
        // answers an unknown token this way.
        throw new AuthenticationException(ErrorType.UNRECOGNIZED_CLIENT,
            "The security token included in the request is invalid.",
            verified.accessKeyId(), null, null);
      }
    } catch (AuthenticationException e) {
      try {
        handler.authenticationFailed(context, e);
      } catch (RuntimeException auditFailure) {
        LOG.log(Level.SEVERE, "audit of failed authentication failed", auditFailure);
      }
      throw e;
    }
    String operation = AwsJsonWire.operation(context.target());
    KmsException refusal = operation == null ? AwsJsonWire.unknownTarget(context.target())
        : AwsJsonWire.contentTypeRefusal(request.getHeaders().getValuesList(
            HttpHeader.CONTENT_TYPE));
    if (refusal != null) {
      // Signed, so the caller is known: audited as its refusal before the answer.
      throw handler.refused(new AwsJsonRequest(context,
          operation != null ? operation : context.target(), verified.accessKeyId(), new byte[0]),
          refusal);
    }
    // Request and answer bodies may hold plaintext or data keys: every copy is zeroed once
    // used (the answer's last copy after it is written, in send()).
    AwsJsonRequest handed = new AwsJsonRequest(context, operation, verified.accessKeyId(), body);
    java.util.Arrays.fill(body, (byte) 0);
    try {
      AwsJsonResponse result = handler.handle(handed);
      try {
        return result.body();
      } finally {
        result.zero();
      }
    } finally {
      handed.zero();
    }
  }

  private HttpStatusException tooLarge(long declared) {
    return new HttpStatusException(413, new KmsException(ErrorType.VALIDATION,
        "The request body " + (declared >= 0 ? "of " + declared + " bytes " : "")
            + "exceeds this endpoint's limit of " + limits.maxBodyBytes() + " bytes"));
  }

  private RequestContext context(Request request) {
    Optional<EndPoint.SslSessionData> tls = Optional.ofNullable(
        (EndPoint.SslSessionData) request.getAttribute(EndPoint.SslSessionData.ATTRIBUTE));
    return new RequestContext(
        AuditRecords.randomUuid(),
        Request.getRemoteAddr(request),
        Objects.requireNonNullElse(request.getHeaders().get(HttpHeader.USER_AGENT), ""),
        Objects.requireNonNullElse(request.getHeaders().get("X-Amz-Target"), ""),
        tls.map(t -> t.sslSession().getProtocol()),
        tls.map(EndPoint.SslSessionData::cipherSuite),
        Objects.requireNonNullElse(request.getHeaders().get(HttpHeader.HOST), ""));
  }

  /** A refusal with a status other than the AWS default for its error name. */
  private static final class HttpStatusException extends RuntimeException {
    final int status;

    HttpStatusException(int status, KmsException cause) {
      super(cause.getMessage(), cause, false, false);
      this.status = status;
    }

    @Override
    public synchronized KmsException getCause() {
      return (KmsException) super.getCause();
    }
  }
}
