package dev.coffer.daemon.http;

import java.util.List;
import java.util.Optional;

/**
 * A request whose SigV4 signature verified.
 *
 * @param accessKeyId the access key that signed it (active, known to the secret store)
 * @param region the credential scope's region (one of the accepted regions)
 * @param signedHeaders the lower-case header names the signature covers, sorted
 * @param sessionToken the {@code X-Amz-Security-Token} value, if the client sent one (signed).
 *     Coffer issues no temporary credentials, so the caller should refuse a request carrying
 *     one; the verifier only proves it was signed.
 * @param canonicalRequest the canonical request (diagnostics)
 * @param stringToSign the string to sign (diagnostics)
 */
public record VerifiedSignature(
    String accessKeyId,
    String region,
    List<String> signedHeaders,
    Optional<String> sessionToken,
    String canonicalRequest,
    String stringToSign) {

  public VerifiedSignature {
    signedHeaders = List.copyOf(signedHeaders);
  }
}
