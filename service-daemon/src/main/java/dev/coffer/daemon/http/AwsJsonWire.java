package dev.coffer.daemon.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.protocol.ErrorType;
import dev.coffer.protocol.KmsException;
import dev.coffer.protocol.WellFormedText;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
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
  /** An operation name; compiled once (String.matches would compile it per request). */
  private static final java.util.regex.Pattern OPERATION =
      java.util.regex.Pattern.compile("[A-Z][A-Za-z0-9]{0,63}");
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
    long second = System.currentTimeMillis() / 1000;
    HttpDate d = lastDate;
    if (d.second() != second) {
      // One format per second, not per response: the header has a resolution of one second.
      d = new HttpDate(second, DateTimeFormatter.RFC_1123_DATE_TIME.format(
          ZonedDateTime.ofInstant(java.time.Instant.ofEpochSecond(second), ZoneOffset.UTC)));
      lastDate = d;
    }
    return d.value();
  }

  private record HttpDate(long second, String value) {}

  private static volatile HttpDate lastDate = new HttpDate(-1, "");

  /** The {@code UnknownOperationException} for a target that does not name an operation. */
  static KmsException unknownTarget(String target) {
    return new KmsException(ErrorType.UNKNOWN_OPERATION, "X-Amz-Target must be "
        + "TrentService.<Operation>, e.g. TrentService.DescribeKey; got "
        + WellFormedText.shown(target));
  }

  /**
   * Null when the request's {@code Content-Type} headers are exactly one whose media type is
   * {@value #CONTENT_TYPE} (case-insensitive; parameters such as {@code charset=utf-8} are
   * allowed), else the refusal: {@code UnknownOperationException}, the name AWS gives a request
   * whose content type selects none of its protocols (an AWS JSON 1.1 service answered
   * {@code application/octet-stream} so), since the content type says how the target and body
   * are to be read.
   *
   * @param values every {@code Content-Type} header value of the request, in order
   */
  static KmsException contentTypeRefusal(List<String> values) {
    if (values.size() == 1) {
      String value = values.get(0);
      int semicolon = value.indexOf(';');
      String mediaType = (semicolon < 0 ? value : value.substring(0, semicolon)).trim();
      if (mediaType.equalsIgnoreCase(CONTENT_TYPE)) {
        return null;
      }
    }
    String got = values.isEmpty() ? "none"
        : values.size() > 1 ? values.size() + " Content-Type headers"
        : WellFormedText.shown(values.get(0));
    return new KmsException(ErrorType.UNKNOWN_OPERATION, "Content-Type must be " + CONTENT_TYPE
        + " (AWS JSON 1.1, as the AWS SDKs and the AWS CLI send it); got " + got);
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
    return OPERATION.matcher(op).matches() ? op : null;
  }
}
