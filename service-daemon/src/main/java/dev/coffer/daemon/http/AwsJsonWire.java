package dev.coffer.daemon.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.protocol.ErrorType;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Set;

/**
 * The AWS JSON 1.1 response conventions KMS clients rely on (aws-http-endpoint.md §1.3): error
 * name in both the body's {@code __type} (botocore reads only this) and the
 * {@code x-amzn-ErrorType} header (SDK v2 reads this first), 400 for client faults and 500 for
 * the three server faults the KMS model marks {@code fault: true}.
 */
final class AwsJsonWire {
  private AwsJsonWire() {}

  static final String CONTENT_TYPE = "application/x-amz-json-1.1";
  static final String TARGET_PREFIX = "TrentService.";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Set<String> SERVER_FAULTS =
      Set.of(ErrorType.INTERNAL, ErrorType.DEPENDENCY_TIMEOUT, ErrorType.KEY_UNAVAILABLE);

  /** 500 for KMS's server faults, 400 for everything else. */
  static int status(String errorType) {
    return SERVER_FAULTS.contains(errorType) ? 500 : 400;
  }

  /** {@code {"__type": <name>, "message": <text>}}. */
  static byte[] errorBody(String errorType, String message) {
    ObjectNode body = JSON.createObjectNode();
    body.put("__type", errorType);
    body.put("message", message == null ? "" : message);
    try {
      return JSON.writeValueAsBytes(body);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("a two-string JSON object always serialises", e);
    }
  }

  /** The RFC 1123 {@code Date} header value for now (SDK v2 corrects clock skew from it). */
  static String httpDate() {
    return DateTimeFormatter.RFC_1123_DATE_TIME.format(ZonedDateTime.now(ZoneOffset.UTC));
  }

  /**
   * The operation named by {@code X-Amz-Target: TrentService.<Operation>}, or null when the
   * header does not have that shape (answered {@code UnknownOperationException}).
   */
  static String operation(String target) {
    if (target == null || !target.startsWith(TARGET_PREFIX)) {
      return null;
    }
    String op = target.substring(TARGET_PREFIX.length());
    return op.matches("[A-Z][A-Za-z0-9]{0,63}") ? op : null;
  }
}
