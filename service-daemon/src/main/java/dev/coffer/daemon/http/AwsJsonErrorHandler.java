package dev.coffer.daemon.http;

import dev.coffer.protocol.ErrorType;
import java.nio.ByteBuffer;
import java.util.Objects;
import java.util.UUID;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * Errors Jetty answers itself, before Coffer's handler sees a request (a head over the size
 * limit: 431, a malformed request line: 400, …), in the same AWS JSON shape as every other
 * error, so clients print a name and a message instead of an HTML page. 4xx become
 * {@code ValidationException}, 5xx {@code KMSInternalException}.
 */
final class AwsJsonErrorHandler extends ErrorHandler {

  @Override
  public boolean handle(Request request, Response response, Callback callback) {
    int status = response.getStatus() > 0 ? response.getStatus() : HttpStatus.INTERNAL_SERVER_ERROR_500;
    Object reason = request.getAttribute(ERROR_MESSAGE);
    String type = type(status);
    byte[] body = AwsJsonWire.errorBody(type, message(status, reason == null ? null : reason.toString()));
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, AwsJsonWire.CONTENT_TYPE);
    response.getHeaders().put("x-amzn-ErrorType", type);
    response.getHeaders().put("x-amzn-RequestId", UUID.randomUUID().toString());
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
