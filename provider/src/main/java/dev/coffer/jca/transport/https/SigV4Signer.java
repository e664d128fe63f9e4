package dev.coffer.jca.transport.https;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * AWS Signature Version 4 ({@code AWS4-HMAC-SHA256}) for header-signed requests, as the AWS
 * General Reference "Create a signed AWS API request" defines it: canonical request, string to
 * sign, the HMAC-SHA256 key chain {@code AWS4<secret> → date → region → service → aws4_request},
 * and the {@code Authorization} header.
 *
 * <p>Small on purpose: the provider signs only {@code POST} requests to its endpoint; the query
 * and path handling exist so the signer can be checked against the AWS test-suite vectors.
 * Paths are used as given (already normalised, as the vectors' {@code basic} group and KMS's
 * {@code /} are); with {@code doubleEncodePath} (every AWS service but S3, KMS included) each
 * segment of the percent-encoded path is encoded once more.
 *
 * <p>The signing key depends only on the secret, the day, the region and the service, so it is
 * derived once per day and kept (one entry; a new day or credentials replace it). Instances are
 * thread-safe.
 */
public final class SigV4Signer {

  /** The algorithm name in the string to sign and the {@code Authorization} header. */
  public static final String ALGORITHM = "AWS4-HMAC-SHA256";

  private static final DateTimeFormatter AMZ_DATE =
      DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);
  private static final HexFormat HEX = HexFormat.of();

  private final String region;
  private final String service;
  private final boolean doubleEncodePath;
  private final AtomicReference<DayKey> dayKey = new AtomicReference<>();

  /** The signing key of one day, region, service and credentials object. */
  private record DayKey(AwsCredentials credentials, String date, byte[] key) {}

  /**
   * @param region the credential scope's region, e.g. {@code us-east-1}
   * @param service the credential scope's service, {@code kms} for Coffer
   * @param doubleEncodePath true for every service but S3
   */
  public SigV4Signer(String region, String service, boolean doubleEncodePath) {
    this.region = requireScopePart(region, "region");
    this.service = requireScopePart(service, "service");
    this.doubleEncodePath = doubleEncodePath;
  }

  public String region() {
    return region;
  }

  /** {@code X-Amz-Date}'s format: {@code yyyyMMdd'T'HHmmss'Z'} in UTC. */
  public static String amzDate(Instant t) {
    return AMZ_DATE.format(t);
  }

  /** Lower-case hex SHA-256 of {@code data}: the payload hash and {@code x-amz-content-sha256}. */
  public static String sha256Hex(byte[] data) {
    try {
      return HEX.formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("SHA-256 is missing from this JDK", e);
    }
  }

  /**
   * The request to sign.
   *
   * @param method HTTP method, upper case
   * @param path the percent-encoded path as sent ({@code /} for KMS)
   * @param query the raw query string without {@code ?}, or empty
   * @param headers every header to sign, names in any case, values as sent; must contain {@code
   *     host} and {@code x-amz-date} ({@code yyyyMMdd'T'HHmmss'Z'})
   * @param payloadSha256 lower-case hex SHA-256 of the body
   */
  public record Request(
      String method, String path, String query, List<Map.Entry<String, String>> headers,
      String payloadSha256) {}

  /** What signing produced; the intermediate strings are kept for tests and diagnostics. */
  public record Signature(
      String canonicalRequest, String stringToSign, String signedHeaders, String signature,
      String authorization) {}

  /** Signs {@code request} with {@code credentials}. */
  public Signature sign(Request request, AwsCredentials credentials) {
    TreeMap<String, String> canonical = canonicalHeaders(request.headers());
    String amzDate = canonical.get("x-amz-date");
    if (amzDate == null || amzDate.length() != 16 || !canonical.containsKey("host")) {
      throw new IllegalArgumentException("a SigV4 request needs host and x-amz-date headers");
    }
    String signedHeaders = String.join(";", canonical.keySet());
    StringBuilder cr = new StringBuilder(512)
        .append(request.method()).append('\n')
        .append(canonicalUri(request.path())).append('\n')
        .append(canonicalQuery(request.query())).append('\n');
    canonical.forEach((k, v) -> cr.append(k).append(':').append(v).append('\n'));
    cr.append('\n').append(signedHeaders).append('\n').append(request.payloadSha256());
    String canonicalRequest = cr.toString();

    String date = amzDate.substring(0, 8);
    String scope = date + "/" + region + "/" + service + "/aws4_request";
    String stringToSign = ALGORITHM + "\n" + amzDate + "\n" + scope + "\n"
        + sha256Hex(canonicalRequest.getBytes(StandardCharsets.UTF_8));
    byte[] key = signingKey(credentials, date);
    String signature;
    try {
      signature = HEX.formatHex(hmac(key, stringToSign.getBytes(StandardCharsets.UTF_8)));
    } finally {
      Arrays.fill(key, (byte) 0);
    }
    String authorization = ALGORITHM + " Credential=" + credentials.accessKeyId() + "/" + scope
        + ", SignedHeaders=" + signedHeaders + ", Signature=" + signature;
    return new Signature(canonicalRequest, stringToSign, signedHeaders, signature, authorization);
  }

  /** A copy of the day's signing key (the caller zeroes it), derived at most once per day. */
  private byte[] signingKey(AwsCredentials credentials, String date) {
    DayKey k = dayKey.get();
    // Identity, not the key id: credentials re-read with the same id may carry a new secret.
    if (k == null || !k.date().equals(date) || k.credentials() != credentials) {
      k = new DayKey(credentials, date, derive(credentials, date));
      dayKey.set(k);
    }
    return k.key().clone();
  }

  private byte[] derive(AwsCredentials credentials, String date) {
    byte[] secret = credentials.secretWithPrefix("AWS4");
    byte[] kDate = null;
    byte[] kRegion = null;
    byte[] kService = null;
    try {
      kDate = hmac(secret, date.getBytes(StandardCharsets.UTF_8));
      kRegion = hmac(kDate, region.getBytes(StandardCharsets.UTF_8));
      kService = hmac(kRegion, service.getBytes(StandardCharsets.UTF_8));
      return hmac(kService, "aws4_request".getBytes(StandardCharsets.UTF_8));
    } finally {
      Arrays.fill(secret, (byte) 0);
      zero(kDate);
      zero(kRegion);
      zero(kService);
    }
  }

  private static void zero(byte[] b) {
    if (b != null) {
      Arrays.fill(b, (byte) 0);
    }
  }

  private static byte[] hmac(byte[] key, byte[] data) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return mac.doFinal(data);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is missing from this JDK", e);
    }
  }

  /**
   * Lower-cased names, sorted; values trimmed with inner runs of spaces collapsed to one;
   * repeated headers joined with commas in the order given.
   */
  static TreeMap<String, String> canonicalHeaders(List<Map.Entry<String, String>> headers) {
    TreeMap<String, String> out = new TreeMap<>();
    for (Map.Entry<String, String> h : headers) {
      String name = h.getKey().trim().toLowerCase(Locale.ROOT);
      String value = h.getValue().trim().replaceAll(" +", " ");
      out.merge(name, value, (a, b) -> a + "," + b);
    }
    return out;
  }

  private String canonicalUri(String path) {
    if (path == null || path.isEmpty()) {
      return "/";
    }
    if (!doubleEncodePath) {
      return path;
    }
    // Each segment of the path as sent is URI-encoded once more; '/' separators stay.
    String[] segments = path.split("/", -1);
    StringBuilder b = new StringBuilder(path.length() + 16);
    for (int i = 0; i < segments.length; i++) {
      if (i > 0) {
        b.append('/');
      }
      b.append(uriEncode(segments[i]));
    }
    return b.toString();
  }

  /** Parameters decoded, re-encoded the SigV4 way, sorted by name then value, joined by {@code &}. */
  private static String canonicalQuery(String query) {
    if (query == null || query.isEmpty()) {
      return "";
    }
    List<String[]> params = new ArrayList<>();
    for (String pair : query.split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String name = eq < 0 ? pair : pair.substring(0, eq);
      String value = eq < 0 ? "" : pair.substring(eq + 1);
      params.add(new String[] {uriEncode(percentDecode(name)), uriEncode(percentDecode(value))});
    }
    params.sort((a, b) -> a[0].equals(b[0]) ? a[1].compareTo(b[1]) : a[0].compareTo(b[0]));
    StringBuilder b = new StringBuilder();
    for (String[] p : params) {
      if (b.length() > 0) {
        b.append('&');
      }
      b.append(p[0]).append('=').append(p[1]);
    }
    return b.toString();
  }

  /** RFC 3986 encoding of everything but the unreserved {@code A-Z a-z 0-9 - _ . ~}, upper hex. */
  static String uriEncode(String s) {
    byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
    StringBuilder b = new StringBuilder(bytes.length * 3);
    for (byte x : bytes) {
      int c = x & 0xff;
      if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
          || c == '-' || c == '_' || c == '.' || c == '~') {
        b.append((char) c);
      } else {
        b.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
            .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
      }
    }
    return b.toString();
  }

  private static String percentDecode(String s) {
    if (s.indexOf('%') < 0) {
      return s;
    }
    byte[] src = s.getBytes(StandardCharsets.UTF_8);
    byte[] out = new byte[src.length];
    int n = 0;
    for (int i = 0; i < src.length; i++) {
      if (src[i] == '%' && i + 2 < src.length
          && Character.digit(src[i + 1], 16) >= 0 && Character.digit(src[i + 2], 16) >= 0) {
        out[n++] = (byte) (Character.digit(src[i + 1], 16) * 16 + Character.digit(src[i + 2], 16));
        i += 2;
      } else {
        out[n++] = src[i];
      }
    }
    return new String(out, 0, n, StandardCharsets.UTF_8);
  }

  private static String requireScopePart(String v, String what) {
    if (v == null || !v.matches("[A-Za-z0-9-]+")) {
      throw new IllegalArgumentException(
          "the SigV4 " + what + " must be letters, digits and '-', got " + v);
    }
    return v;
  }
}
