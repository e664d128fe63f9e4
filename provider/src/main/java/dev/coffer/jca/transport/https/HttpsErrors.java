package dev.coffer.jca.transport.https;

import com.fasterxml.jackson.databind.JsonNode;
import dev.coffer.protocol.ErrorType;
import dev.coffer.protocol.Json;
import dev.coffer.protocol.KmsException;
import java.net.URI;
import java.util.Optional;

/**
 * Turns an AWS JSON 1.1 error answer into the {@link KmsException} the socket transport would
 * have thrown: the same AWS exception name, so {@code JcaErrors} maps it unchanged.
 *
 * <p>The name is taken from {@code x-amzn-ErrorType}, else from the body's {@code __type}
 * (botocore reads only the body, SDK v2 the header first; Coffer sends both). Either may carry
 * a namespace ({@code com.amazonaws.kms#NotFoundException}) or a suffix after {@code :}, which
 * are dropped. Authentication failures get a message that names the access key, where it came
 * from and what to do, since the server's own text cannot know the client's configuration.
 */
public final class HttpsErrors {
  private HttpsErrors() {}

  /** Not an AWS name: the provider's HTTPS settings (endpoint, credentials, trust) are unusable. */
  public static final String CONFIGURATION = "CofferConfigurationException";

  public static final String UNRECOGNIZED_CLIENT = "UnrecognizedClientException";
  public static final String INVALID_SIGNATURE = "InvalidSignatureException";
  public static final String INCOMPLETE_SIGNATURE = "IncompleteSignatureException";
  public static final String MISSING_AUTHENTICATION_TOKEN = "MissingAuthenticationTokenException";
  public static final String EXPIRED_TOKEN = "ExpiredTokenException";

  /** The names meaning "these credentials were not accepted". */
  public static final java.util.Set<String> AUTHENTICATION = java.util.Set.of(
      UNRECOGNIZED_CLIENT, INVALID_SIGNATURE, EXPIRED_TOKEN, INCOMPLETE_SIGNATURE,
      MISSING_AUTHENTICATION_TOKEN);

  /** The exception for a non-200 answer. */
  static KmsException fromResponse(
      URI endpoint, int status, Optional<String> errorTypeHeader, byte[] body,
      AwsCredentials credentials, String region) {
    JsonNode parsed = null;
    try {
      parsed = body.length == 0 ? null : Json.MAPPER.readTree(body);
    } catch (java.io.IOException | RuntimeException notJson) {
      // a proxy's HTML page, say: fall back to the status
    }
    String type = errorTypeHeader.map(HttpsErrors::bareName).filter(s -> !s.isEmpty())
        .orElse(null);
    if (type == null && parsed != null && parsed.hasNonNull("__type")) {
      type = bareName(parsed.get("__type").asText());
    }
    if (type == null || type.isEmpty()) {
      type = status >= 500 ? ErrorType.INTERNAL : ErrorType.VALIDATION;
    }
    String message = "";
    if (parsed != null) {
      message = parsed.path("message").asText(parsed.path("Message").asText(""));
    }
    if (message.isEmpty()) {
      message = "HTTP " + status + " from " + endpoint;
    }
    return new KmsException(type, explain(type, message, endpoint, credentials, region));
  }

  /** {@code com.amazonaws.kms#NotFoundException:http://...} becomes {@code NotFoundException}. */
  static String bareName(String raw) {
    String s = raw.strip();
    int colon = s.indexOf(':');
    if (colon >= 0) {
      s = s.substring(0, colon);
    }
    int hash = s.lastIndexOf('#');
    return hash >= 0 ? s.substring(hash + 1) : s;
  }

  private static String explain(
      String type, String serverMessage, URI endpoint, AwsCredentials c, String region) {
    String key = "access key " + c.accessKeyId() + " (from " + c.source() + ")";
    switch (type) {
      case UNRECOGNIZED_CLIENT:
        return "the Coffer endpoint " + endpoint + " does not accept " + key
            + ": the key is unknown there or inactive"
            + (c.sessionToken() != null ? ", or the session token (AWS_SESSION_TOKEN,"
                + " aws.sessionToken, aws_session_token) is not one it issued; Coffer access keys"
                + " need none, so unset it" : "")
            + " (" + serverMessage + "). Check it with"
            + " `coffer list-access-keys --user-name NAME`, reactivate it with `coffer"
            + " update-access-key --access-key-id ID --status Active`, or create one with `coffer"
            + " create-access-key --user-name NAME` and configure it for this application";
      case INVALID_SIGNATURE:
        return "the Coffer endpoint " + endpoint + " rejected the signature made with " + key
            + " (" + serverMessage + "). Either the secret access key is not the one `coffer"
            + " create-access-key` printed for this key id, this host's clock is more than 5"
            + " minutes off, or the signing region '" + region + "' is not the daemon's"
            + " configured region (set coffer.region or AWS_REGION to it)";
      case EXPIRED_TOKEN:
        return "the Coffer endpoint " + endpoint + " says the session token of " + key
            + " has expired (" + serverMessage + "); configure fresh credentials";
      case INCOMPLETE_SIGNATURE:
      case MISSING_AUTHENTICATION_TOKEN:
        return "the Coffer endpoint " + endpoint + " could not read the provider's signature ("
            + serverMessage + "); the endpoint may not be a Coffer daemon, or provider and"
            + " daemon versions do not match";
      default:
        return serverMessage;
    }
  }
}
