package dev.coffer.daemon.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The endpoint's HTTP surface and bounds, on a plain-HTTP loopback listener (the same Jetty
 * connector without TLS) driven with raw sockets, so every byte sent is the test's choice.
 */
class HttpsServerLimitsTest {

  private final StubKms stub = new StubKms();
  private HttpsServer server;

  private HttpsServer start(HttpLimits limits) throws IOException {
    server = new HttpsServer("127.0.0.1", 0, Optional.empty(), limits, StubKms.verifier(), stub);
    server.start();
    return server;
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
  }

  record Answer(int status, Map<String, String> headers, String body) {}

  /** Sends {@code request} and reads one response (Content-Length framed). */
  static Answer exchange(int port, byte[] request) throws IOException {
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(10_000);
      s.getOutputStream().write(request);
      s.getOutputStream().flush();
      return read(s.getInputStream());
    }
  }

  static Answer read(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("connection closed before a full response head: " + head);
      }
      head.write(b);
    }
    String[] lines = head.toString(StandardCharsets.ISO_8859_1).split("\r\n");
    Map<String, String> headers = new java.util.TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      headers.put(lines[i].substring(0, colon).trim(), lines[i].substring(colon + 1).trim());
    }
    int length = Integer.parseInt(headers.getOrDefault("Content-Length", "0"));
    String body = new String(in.readNBytes(length), StandardCharsets.UTF_8);
    return new Answer(Integer.parseInt(lines[0].split(" ")[1]), headers, body);
  }

  static byte[] http(String method, String path, Map<String, String> headers, String body) {
    StringBuilder sb = new StringBuilder(method + " " + path + " HTTP/1.1\r\n");
    headers.forEach((k, v) -> sb.append(k).append(": ").append(v).append("\r\n"));
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    if (!headers.containsKey("Content-Length")) {
      sb.append("Content-Length: ").append(b.length).append("\r\n");
    }
    sb.append("\r\n");
    byte[] head = sb.toString().getBytes(StandardCharsets.UTF_8);
    byte[] all = new byte[head.length + b.length];
    System.arraycopy(head, 0, all, 0, head.length);
    System.arraycopy(b, 0, all, head.length, b.length);
    return all;
  }

  /** A request as botocore signs it, sent as raw bytes. */
  byte[] signed(String target, String token) throws Exception {
    String url = "http://127.0.0.1:" + server.port() + "/";
    SignedRequest r = Signers.botocore(url, Map.of("X-Amz-Target", target,
        "Content-Type", "application/x-amz-json-1.1"), "{\"KeyId\": \"alias/test\"}",
        StubKms.AKID, StubKms.SECRET, token, "us-east-1");
    Map<String, String> headers = new java.util.LinkedHashMap<>();
    for (String name : r.headers().names()) {
      headers.put(name, r.headers().first(name).orElseThrow());
    }
    return http("POST", "/", headers, new String(r.body(), StandardCharsets.UTF_8));
  }

  private static void assertAwsError(Answer a, int status, String type) {
    assertEquals(status, a.status(), a.toString());
    assertEquals(type, a.headers().get("x-amzn-ErrorType"), a.toString());
    assertTrue(a.body().startsWith("{\"__type\":\"" + type + "\",\"message\":\""), a.body());
    assertEquals("application/x-amz-json-1.1", a.headers().get("Content-Type"));
    assertTrue(a.headers().get("x-amzn-RequestId").matches("[0-9a-f-]{36}"), a.toString());
    assertTrue(a.headers().get("Date").endsWith(" GMT"), a.toString());
  }

  @Test
  void plainHttpIsRefusedOffLoopback() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new HttpsServer("0.0.0.0", 0, Optional.empty(), HttpLimits.defaults(),
            StubKms.verifier(), stub));
    assertTrue(e.getMessage().contains("loopback"), e.getMessage());
  }

  @Test
  void signedRequestReachesTheHandlerWithAwsJsonHeaders() throws Exception {
    start(HttpLimits.defaults());
    Answer a = exchange(server.port(), signed("TrentService.DescribeKey", null));
    assertEquals(200, a.status(), a.toString());
    assertTrue(a.body().contains(StubKms.ARN));
    assertEquals("application/x-amz-json-1.1", a.headers().get("Content-Type"));
    assertTrue(a.headers().containsKey("x-amzn-RequestId") && a.headers().containsKey("Date"));
    assertEquals(Optional.empty(), stub.requests.get(0).context().tlsVersion());
  }

  @Test
  void otherMethodsPathsAndTargetsGetAwsShapedErrors() throws Exception {
    start(HttpLimits.defaults());
    Map<String, String> host = Map.of("Host", "127.0.0.1");
    assertAwsError(exchange(server.port(), http("GET", "/", host, "")), 405,
        "UnknownOperationException");
    assertAwsError(exchange(server.port(), http("POST", "/a/b", host, "{}")), 404,
        "UnknownOperationException");
    assertAwsError(exchange(server.port(), signed("Foo.DescribeKey", null)), 400,
        "UnknownOperationException");
    assertAwsError(exchange(server.port(), signed("TrentService.", null)), 400,
        "UnknownOperationException");
    assertTrue(stub.requests.isEmpty(), "none of these reaches the handler");
  }

  @Test
  void unsignedOrSessionTokenRequestsAreRefusedAndReported() throws Exception {
    start(HttpLimits.defaults());
    assertAwsError(exchange(server.port(), http("POST", "/", Map.of("Host", "127.0.0.1",
        "X-Amz-Target", "TrentService.DescribeKey"), "{}")), 400,
        "MissingAuthenticationTokenException");
    assertAwsError(exchange(server.port(), signed("TrentService.DescribeKey", "a-token")), 400,
        "UnrecognizedClientException");
    assertTrue(stub.requests.isEmpty());
    assertEquals(2, stub.failures.size());
    assertEquals("127.0.0.1", stub.failureContexts.get(0).sourceIp());
  }

  @Test
  void anOversizedBodyIsRefusedWith413BeforeItIsRead() throws Exception {
    start(new HttpLimits(1024, 16 * 1024, Duration.ofSeconds(75), Duration.ofSeconds(10), 64,
        Duration.ofSeconds(5), 4, 16));
    Answer declared = exchange(server.port(), http("POST", "/", Map.of("Host", "127.0.0.1",
        "Content-Length", "10000000"), ""));
    assertAwsError(declared, 413, "ValidationException");
    assertTrue(declared.body().contains("limit of 1024 bytes"), declared.body());
    Answer chunked = exchange(server.port(), (("POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        + "Transfer-Encoding: chunked\r\n\r\n" + "800\r\n" + "x".repeat(2048) + "\r\n0\r\n\r\n"))
        .getBytes(StandardCharsets.US_ASCII));
    assertAwsError(chunked, 413, "ValidationException");
  }

  @Test
  void aRequestTrickledInSlowlyIsDroppedWhileNormalOnesAreServed() throws Exception {
    start(new HttpLimits(256 * 1024, 16 * 1024, Duration.ofSeconds(75),
        Duration.ofMillis(500), 64, Duration.ofSeconds(5), 4, 16));
    long started = System.nanoTime();
    boolean dropped = false;
    try (Socket slow = new Socket("127.0.0.1", server.port())) {
      slow.setSoTimeout(200);
      OutputStream out = slow.getOutputStream();
      out.write("POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n".getBytes(StandardCharsets.US_ASCII));
      for (int i = 0; i < 50 && !dropped; i++) {
        try {
          out.write(("X-Slow-" + i + ": a\r\n").getBytes(StandardCharsets.US_ASCII));
          out.flush();
          dropped = slow.getInputStream().read() < 0;
        } catch (java.net.SocketTimeoutException stillOpen) {
          // nothing to read yet: keep trickling
        } catch (IOException reset) {
          dropped = true;
        }
      }
    }
    long tookMillis = (System.nanoTime() - started) / 1_000_000;
    assertTrue(dropped, "the slow request was never dropped");
    assertTrue(tookMillis < 5_000, "dropped only after " + tookMillis + " ms");
    // A normal request on a fresh connection is still served.
    assertEquals(200, exchange(server.port(), signed("TrentService.DescribeKey", null)).status());
  }

  @Test
  void atTheConnectionLimitIdleConnectionsMakeRoomForNewClients() throws Exception {
    start(new HttpLimits(256 * 1024, 16 * 1024, Duration.ofSeconds(75), Duration.ofSeconds(10),
        2, Duration.ofMillis(500), 4, 16));
    try (Socket idle1 = new Socket("127.0.0.1", server.port());
        Socket idle2 = new Socket("127.0.0.1", server.port())) {
      Thread.sleep(200);
      long started = System.nanoTime();
      // Without the shortened idle timeout this would wait the full 75 s idle timeout.
      assertEquals(200, exchange(server.port(), signed("TrentService.DescribeKey", null)).status());
      assertTrue((System.nanoTime() - started) / 1_000_000 < 5_000);
      idle1.setSoTimeout(5_000);
      idle2.setSoTimeout(5_000);
      assertEquals(-1, idle1.getInputStream().read(), "the idle connection was closed");
      assertEquals(-1, idle2.getInputStream().read(), "the idle connection was closed");
    }
  }

  @Test
  void anOversizedHeadGetsAnAwsShapedError() throws Exception {
    start(HttpLimits.defaults());
    Answer a = exchange(server.port(), http("POST", "/", Map.of("Host", "127.0.0.1",
        "X-Big", "x".repeat(20_000)), "{}"));
    assertAwsError(a, 431, "ValidationException");
    assertTrue(stub.requests.isEmpty() && stub.failures.isEmpty());
  }

  /**
   * Requests Jetty refuses itself, before Coffer's handler (an ambiguous path such as {@code //},
   * a head over the limit), are refusals of an unknown caller like a wrong path: audited.
   */
  @Test
  void requestsJettyRefusesItselfAreAuditedAsRefusals() throws Exception {
    start(HttpLimits.defaults());
    Map<String, String> host = Map.of("Host", "127.0.0.1");
    Answer ambiguous = exchange(server.port(), http("POST", "//", host, "{}"));
    assertEquals(400, ambiguous.status(), ambiguous.toString());
    assertAwsError(exchange(server.port(), http("POST", "/", Map.of("Host", "127.0.0.1",
        "X-Big", "x".repeat(20_000)), "{}")), 431, "ValidationException");
    assertEquals(2, stub.refusals.size(), stub.refusals.toString());
    assertEquals("127.0.0.1", stub.failureContexts.get(0).sourceIp());
    assertEquals(ambiguous.headers().get("x-amzn-RequestId"),
        stub.failureContexts.get(0).requestId(), "the answer names the audited request");
    assertTrue(stub.requests.isEmpty());
  }
}
