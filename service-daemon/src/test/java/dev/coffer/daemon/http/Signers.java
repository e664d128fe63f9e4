package dev.coffer.daemon.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.HttpSigner;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;

/** Live oracles: requests signed by botocore (the AWS CLI's signer) and the SDK v2 signer. */
final class Signers {
  private Signers() {}

  static final ObjectMapper JSON = new ObjectMapper();

  /**
   * Signs with botocore in a python3 process; returns the request as the server would see it.
   *
   * @param url full URL, path already percent-encoded as it goes on the wire
   * @param token session token or null
   */
  static SignedRequest botocore(String url, Map<String, String> headers, String body,
      String accessKey, String secret, String token, String region) throws Exception {
    ObjectNode spec = JSON.createObjectNode();
    spec.put("url", url).put("method", "POST").put("body", body).put("access_key", accessKey)
        .put("secret_key", secret).put("region", region).put("service", "kms");
    if (token != null) {
      spec.put("token", token);
    }
    ObjectNode h = spec.putObject("headers");
    headers.forEach(h::put);
    Path script = Path.of(Signers.class.getResource("/sigv4/botocore_sign.py").toURI());
    Process p = new ProcessBuilder("python3", script.toString()).redirectErrorStream(false).start();
    try (OutputStream in = p.getOutputStream()) {
      in.write(JSON.writeValueAsBytes(spec));
    }
    byte[] out = p.getInputStream().readAllBytes();
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IllegalStateException("botocore signer failed: " + err);
    }
    JsonNode signed = JSON.readTree(out).get("headers");
    RequestHeaders.Builder rh = RequestHeaders.builder();
    for (Iterator<Map.Entry<String, JsonNode>> it = signed.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      rh.add(e.getKey(), e.getValue().asText());
    }
    URI uri = URI.create(url);
    return new SignedRequest("POST", uri.getRawPath(), uri.getRawQuery(), rh.build(),
        body.getBytes(StandardCharsets.UTF_8));
  }

  /** Signs with the AWS SDK for Java v2 signer ({@code AwsV4HttpSigner}). */
  static SignedRequest sdkV2(String url, Map<String, String> headers, String body,
      String accessKey, String secret, String region, Clock clock) {
    SdkHttpRequest.Builder http = SdkHttpRequest.builder().method(SdkHttpMethod.POST)
        .uri(URI.create(url));
    headers.forEach(http::putHeader);
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    SdkHttpRequest signed = AwsV4HttpSigner.create().sign(r -> r
        .identity(AwsCredentialsIdentity.create(accessKey, secret))
        .request(http.build())
        .payload(ContentStreamProvider.fromByteArray(bytes))
        .putProperty(AwsV4HttpSigner.SERVICE_SIGNING_NAME, "kms")
        .putProperty(AwsV4HttpSigner.REGION_NAME, region)
        .putProperty(HttpSigner.SIGNING_CLOCK, clock)).request();
    RequestHeaders.Builder rh = RequestHeaders.builder();
    signed.headers().forEach((name, values) -> values.forEach(v -> rh.add(name, v)));
    if (!signed.headers().containsKey("Host")) {
      rh.add("Host", signed.host() + (signed.port() == 443 ? "" : ":" + signed.port()));
    }
    URI uri = URI.create(url);
    return new SignedRequest("POST", uri.getRawPath(), uri.getRawQuery(), rh.build(), bytes);
  }

  /** A copy of {@code r} with header {@code name} replaced by {@code value} (null removes). */
  static SignedRequest withHeader(SignedRequest r, String name, String value) {
    RequestHeaders.Builder b = RequestHeaders.builder();
    for (String n : r.headers().names()) {
      if (!n.equalsIgnoreCase(name)) {
        r.headers().all(n).forEach(v -> b.add(n, v));
      }
    }
    if (value != null) {
      b.add(name, value);
    }
    return new SignedRequest(r.method(), r.rawPath(), r.rawQuery(), b.build(), r.body());
  }

  static SignedRequest withBody(SignedRequest r, String body) {
    return new SignedRequest(r.method(), r.rawPath(), r.rawQuery(), r.headers(),
        body.getBytes(StandardCharsets.UTF_8));
  }

}
