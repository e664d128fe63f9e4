package dev.coffer.daemon.http;

import dev.coffer.protocol.ErrorType;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The parsed {@code Authorization} header of a SigV4 request:
 * {@code AWS4-HMAC-SHA256 Credential=<id>/<yyyymmdd>/<region>/<service>/aws4_request,
 * SignedHeaders=<h1;h2;…>, Signature=<64 hex>}.
 *
 * @param accessKeyId the access key id of the credential
 * @param scopeDate the credential scope's date, {@code yyyyMMdd}
 * @param region the credential scope's region
 * @param service the credential scope's service
 * @param signedHeaders the signed header names as listed (lower case, ascending)
 * @param signature the signature, lower-case hex as sent
 */
record SigV4Authorization(
    String accessKeyId,
    String scopeDate,
    String region,
    String service,
    List<String> signedHeaders,
    String signature) {

  static final String ALGORITHM = "AWS4-HMAC-SHA256";
  private static final String INCOMPLETE = ErrorType.INCOMPLETE_SIGNATURE;

  /** The credential scope, {@code <date>/<region>/<service>/aws4_request}. */
  String scope() {
    return scopeDate + "/" + region + "/" + service + "/aws4_request";
  }

  /**
   * Parses the header value.
   *
   * @throws AuthenticationException {@code IncompleteSignatureException} for any malformed part:
   *     a header we cannot read completely is never half-trusted
   */
  static SigV4Authorization parse(String header) {
    String value = header.trim();
    int space = value.indexOf(' ');
    String algorithm = space < 0 ? value : value.substring(0, space);
    // Closes algorithm confusion: only HMAC-SHA256 SigV4 is verified (no SigV4a, no SigV2).
    if (!algorithm.equals(ALGORITHM)) {
      throw incomplete("Unsupported Authorization Type; expected " + ALGORITHM
          + " (AWS Signature Version 4)");
    }
    Map<String, String> params = new HashMap<>();
    for (String part : value.substring(space + 1).split(",")) {
      String p = part.trim();
      int eq = p.indexOf('=');
      if (eq <= 0) {
        throw incomplete("Authorization header requires 'Credential', 'SignedHeaders' and "
            + "'Signature' parameters as key=value pairs. Authorization=" + header);
      }
      // Closes parameter smuggling: a repeated parameter could be read one way here and
      // another way by a proxy or log reader.
      if (params.putIfAbsent(p.substring(0, eq), p.substring(eq + 1)) != null) {
        throw incomplete("Authorization header has a repeated parameter '"
            + p.substring(0, eq) + "'. Authorization=" + header);
      }
    }
    StringBuilder missing = new StringBuilder();
    for (String required : List.of("Credential", "Signature", "SignedHeaders")) {
      if (!params.containsKey(required)) {
        missing.append("Authorization header requires '").append(required)
            .append("' parameter. ");
      }
    }
    if (missing.length() > 0) {
      throw incomplete(missing + "Authorization=" + header);
    }
    String[] credential = params.get("Credential").split("/", -1);
    if (credential.length != 5 || Arrays.stream(credential).anyMatch(String::isEmpty)
        || !credential[4].equals("aws4_request")
        || !all(credential[1], 8, "0123456789")) {
      throw incomplete("Credential must have the form "
          + "<access key id>/<yyyyMMdd>/<region>/<service>/aws4_request; got '"
          + params.get("Credential") + "'");
    }
    String signedHeaders = params.get("SignedHeaders");
    List<String> names = List.of(signedHeaders.split(";", -1));
    // Closes header-list ambiguity: the canonical request lists headers sorted and lower-case;
    // accepting another order or case would let two different header sets share one signature
    // text, and empty names would add phantom lines.
    for (int i = 0; i < names.size(); i++) {
      String name = names.get(i);
      if (name.isEmpty() || !name.equals(name.toLowerCase(java.util.Locale.ROOT))
          || (i > 0 && names.get(i - 1).compareTo(name) >= 0)) {
        throw incomplete("SignedHeaders must be lower-case header names, sorted, separated by "
            + "';' and without repeats; got '" + signedHeaders + "'");
      }
    }
    String signature = params.get("Signature");
    if (!all(signature, 64, "0123456789abcdef")) {
      throw incomplete("Signature must be 64 lower-case hexadecimal characters");
    }
    return new SigV4Authorization(credential[0], credential[1], credential[2], credential[3],
        names, signature);
  }

  /** Whether {@code s} is {@code length} characters, each one of {@code allowed}. */
  private static boolean all(String s, int length, String allowed) {
    if (s.length() != length) {
      return false;
    }
    for (int i = 0; i < length; i++) {
      if (allowed.indexOf(s.charAt(i)) < 0) {
        return false;
      }
    }
    return true;
  }

  private static AuthenticationException incomplete(String message) {
    return new AuthenticationException(INCOMPLETE, message);
  }
}
