package dev.coffer.daemon.http;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * SigV4's canonical request (AWS General Reference, "Create a canonical request for Signature
 * Version 4"), rebuilt on the server from what arrived on the wire.
 *
 * <p>Shape: {@code METHOD \n canonicalUri \n canonicalQuery \n canonicalHeaders \n
 * signedHeaders \n payloadHash}. The canonical URI is the path as sent, with dot segments and
 * empty segments removed, URI-encoded <em>again</em>: every service but S3 double-encodes, so a
 * client that sent {@code /a%20b} signed {@code /a%2520b} (measured with botocore; see
 * aws-http-endpoint.md §2.2).
 */
final class CanonicalRequest {

  private static final HexFormat HEX = HexFormat.of();

  private CanonicalRequest() {}

  /**
   * The canonical request text.
   *
   * @param signedHeaders lower-case header names in the order the client listed them (already
   *     checked to be sorted and present)
   * @param payloadHash lower-case hex SHA-256 of the body
   */
  static String of(SignedRequest request, List<String> signedHeaders, String payloadHash) {
    StringBuilder out = new StringBuilder(256);
    out.append(request.method()).append('\n');
    out.append(canonicalUri(request.rawPath())).append('\n');
    out.append(canonicalQuery(request.rawQuery())).append('\n');
    for (String name : signedHeaders) {
      out.append(name).append(':').append(canonicalHeaderValue(request.headers().all(name)));
      out.append('\n');
    }
    out.append('\n');
    out.append(String.join(";", signedHeaders)).append('\n');
    out.append(payloadHash);
    return out.toString();
  }

  /**
   * One SHA-256 per endpoint thread: each request hashes twice (body, canonical request), and a
   * provider lookup per hash costs more than hashing a 1 KiB body.
   */
  private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  });

  /** Lower-case hex SHA-256 of {@code bytes}. */
  static String sha256Hex(byte[] bytes) {
    return HEX.formatHex(SHA256.get().digest(bytes)); // digest() leaves it reset for the next
  }

  /**
   * Path as sent → normalised (dot segments resolved, runs of {@code /} collapsed, as botocore
   * and the test suite's normalize-path cases do) → URI-encoded once more, keeping {@code /}.
   */
  static String canonicalUri(String rawPath) {
    if (rawPath.isEmpty()) {
      return "/";
    }
    List<String> segments = new ArrayList<>();
    for (String segment : rawPath.split("/", -1)) {
      if (segment.isEmpty() || segment.equals(".")) {
        continue;
      }
      if (segment.equals("..")) {
        if (!segments.isEmpty()) {
          segments.remove(segments.size() - 1);
        }
        continue;
      }
      segments.add(segment);
    }
    StringBuilder path = new StringBuilder("/");
    path.append(String.join("/", segments));
    if (!segments.isEmpty() && (rawPath.endsWith("/") || rawPath.endsWith("/.")
        || rawPath.endsWith("/.."))) {
      path.append('/');
    }
    return uriEncode(path.toString(), true);
  }

  /**
   * Query parameters decoded, re-encoded with RFC 3986 rules (upper-case hex, unreserved kept),
   * and sorted by name then value, so a client that encoded differently (or not at all) still
   * matches. A parameter without {@code =} has an empty value.
   */
  static String canonicalQuery(String rawQuery) {
    if (rawQuery.isEmpty()) {
      return "";
    }
    List<Map.Entry<String, String>> params = new ArrayList<>();
    for (String pair : rawQuery.split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String name = eq < 0 ? pair : pair.substring(0, eq);
      String value = eq < 0 ? "" : pair.substring(eq + 1);
      params.add(Map.entry(uriEncode(percentDecode(name), false),
          uriEncode(percentDecode(value), false)));
    }
    params.sort(Map.Entry.<String, String>comparingByKey().thenComparing(Map.Entry.comparingByValue()));
    StringBuilder out = new StringBuilder();
    for (Map.Entry<String, String> p : params) {
      if (out.length() > 0) {
        out.append('&');
      }
      out.append(p.getKey()).append('=').append(p.getValue());
    }
    return out.toString();
  }

  /**
   * Values trimmed, inner runs of whitespace collapsed to one space, repeats joined with
   * {@code ,}. Whitespace is a tab as well as a space (and the other ASCII whitespace): botocore
   * collapses with {@code ' '.join(value.split())} and SDK v2 likewise, so a value with a tab
   * that only spaces were collapsed in would never verify.
   */
  static String canonicalHeaderValue(List<String> values) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < values.size(); i++) {
      if (i > 0) {
        out.append(',');
      }
      String v = values.get(i);
      out.append(isCollapsed(v) ? v : WHITESPACE.matcher(v).replaceAll(" ").trim());
    }
    return out.toString();
  }

  /**
   * Whether {@code v} is already trimmed and collapsed (the common case, checked without the
   * regex): no whitespace but single spaces between other characters.
   */
  private static boolean isCollapsed(String v) {
    for (int i = 0; i < v.length(); i++) {
      char c = v.charAt(i);
      if (c == ' ') {
        if (i == 0 || i == v.length() - 1 || v.charAt(i + 1) == ' ') {
          return false;
        }
      } else if (c == '\t' || c == '\n' || c == 0x0B || c == '\f' || c == '\r') {
        return false;
      }
    }
    return true;
  }

  private static final java.util.regex.Pattern WHITESPACE =
      java.util.regex.Pattern.compile("[ \\t\\n\\x0B\\f\\r]+");

  /** RFC 3986 encoding of the UTF-8 bytes of {@code s}: unreserved kept, the rest {@code %XX}. */
  static String uriEncode(String s, boolean keepSlash) {
    StringBuilder out = new StringBuilder(s.length() + 8);
    for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
      int c = b & 0xff;
      if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
          || c == '-' || c == '_' || c == '.' || c == '~' || (keepSlash && c == '/')) {
        out.append((char) c);
      } else {
        out.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
            .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
      }
    }
    return out.toString();
  }

  /** Percent-decoding that leaves {@code +} alone and keeps a malformed escape as literal text. */
  static String percentDecode(String s) {
    if (s.indexOf('%') < 0) {
      return s;
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(s.length());
    int i = 0;
    while (i < s.length()) {
      int hi = i + 2 < s.length() ? Character.digit(s.charAt(i + 1), 16) : -1;
      int lo = i + 2 < s.length() ? Character.digit(s.charAt(i + 2), 16) : -1;
      if (s.charAt(i) == '%' && hi >= 0 && lo >= 0) {
        bytes.write(hi << 4 | lo);
        i += 3;
      } else {
        int cp = s.codePointAt(i);
        byte[] utf8 = new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8);
        bytes.write(utf8, 0, utf8.length);
        i += Character.charCount(cp);
      }
    }
    return bytes.toString(StandardCharsets.UTF_8);
  }
}
