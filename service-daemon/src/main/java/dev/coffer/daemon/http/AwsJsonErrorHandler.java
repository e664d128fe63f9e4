package dev.coffer.daemon.http;

import dev.coffer.daemon.audit.AuditRecords;
import dev.coffer.protocol.ErrorType;
import dev.coffer.protocol.KmsException;
import java.nio.ByteBuffer;
import java.util.Objects;
import java.util.function.BiFunction;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.io.QuietException;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * Errors Jetty answers itself, before Coffer's handler sees a request (a head over the size
 * limit: 431, a malformed request line: 400, …), in the same AWS JSON shape as every other
 * error, so clients print a name and a message instead of an HTML page. 4xx become
 * {@code ValidationException}, 5xx {@code KMSInternalException}.
 *
 * <p>Each such answer is a refusal whose caller is unknown (nothing was signed or checked), so
 * it is handed to {@code audit} as a wrong path or method is (docs/https-endpoint.md, "Requests
 * and answers"); before, a request Jetty refused itself left no record.
 */
final class AwsJsonErrorHandler extends ErrorHandler {

  private final BiFunction<Request, KmsException, String> audit;

  /**
   * @param audit records one refusal of a request with an unknown caller and answers the request
   *     id of its record, which the answer's {@code x-amzn-RequestId} repeats
   */
  AwsJsonErrorHandler(BiFunction<Request, KmsException, String> audit) {
    this.audit = Objects.requireNonNull(audit, "audit");
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) {
    int status = response.getStatus() > 0 ? response.getStatus() : HttpStatus.INTERNAL_SERVER_ERROR_500;
    Object reason = request.getAttribute(ERROR_MESSAGE);
    String type = type(status);
    String text = message(status, reason == null ? null : reason.toString());
    // A body the client stopped sending (HttpsServer fails it with QuietException.Exception) is
    // no request to record; Jetty's own refusals are HttpExceptions, quiet but not this class.
    String requestId = request.getAttribute(ERROR_EXCEPTION) instanceof QuietException.Exception
        ? AuditRecords.randomUuid() : audit.apply(request, new KmsException(type, text));
    byte[] body = AwsJsonWire.errorBody(type, text);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, AwsJsonWire.CONTENT_TYPE);
    response.getHeaders().put("x-amzn-ErrorType", type);
    response.getHeaders().put("x-amzn-RequestId", requestId);
    response.getHeaders().put(HttpHeader.DATE, AwsJsonWire.httpDate());
    response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
    response.write(true, ByteBuffer.wrap(body), callback);
    return true;
  }

  private static String type(int status) {
    return status >= 500 ? ErrorType.INTERNAL : ErrorType.VALIDATION;
  }

  private static String message(int status, String reason) {
    return "HTTP " + status + " "
        + Objects.requireNonNullElse(reason, Objects.requireNonNullElse(HttpStatus.getMessage(status), ""))
        + (status == HttpStatus.REQUEST_HEADER_FIELDS_TOO_LARGE_431
            ? ": the request head exceeds this endpoint's limit" : "");
  }
}
