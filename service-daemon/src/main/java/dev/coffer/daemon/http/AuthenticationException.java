package dev.coffer.daemon.http;

import dev.coffer.protocol.KmsException;
import java.util.Optional;

/**
 * A request refused by SigV4 verification, with AWS's exception name ({@link #errorType()}:
 * {@code MissingAuthenticationTokenException}, {@code IncompleteSignatureException},
 * {@code InvalidSignatureException} or {@code UnrecognizedClientException}) and message.
 *
 * <p>Carries what the audit record of a failed authentication needs: the access key id the
 * client claimed (when the header got that far) and, for a signature mismatch, the canonical
 * request and string to sign the server computed (diagnostics for the operator; they hold
 * header values and a body hash, never a secret). The client sees only the message.
 */
public final class AuthenticationException extends KmsException {

  private final String claimedAccessKeyId;
  private final String canonicalRequest;
  private final String stringToSign;

  AuthenticationException(String errorType, String message) {
    this(errorType, message, null, null, null);
  }

  AuthenticationException(String errorType, String message, String claimedAccessKeyId,
      String canonicalRequest, String stringToSign) {
    super(errorType, message);
    this.claimedAccessKeyId = claimedAccessKeyId;
    this.canonicalRequest = canonicalRequest;
    this.stringToSign = stringToSign;
  }

  /** The access key id named in the credential scope, if the header could be read that far. */
  public Optional<String> claimedAccessKeyId() {
    return Optional.ofNullable(claimedAccessKeyId);
  }

  /** The canonical request the server computed, when the refusal is a signature mismatch. */
  public Optional<String> canonicalRequest() {
    return Optional.ofNullable(canonicalRequest);
  }

  /** The string to sign the server computed, when the refusal is a signature mismatch. */
  public Optional<String> stringToSign() {
    return Optional.ofNullable(stringToSign);
  }

  AuthenticationException withAccessKeyId(String accessKeyId) {
    return new AuthenticationException(errorType(), getMessage(), accessKeyId, canonicalRequest,
        stringToSign);
  }
}
