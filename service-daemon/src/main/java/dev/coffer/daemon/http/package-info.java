/**
 * Coffer's AWS-compatible HTTPS door: AWS JSON 1.1 over HTTPS, authenticated with AWS Signature
 * Version 4, so the AWS CLI, the AWS SDKs and the AWS Encryption SDK reach Coffer with only an
 * endpoint override.
 *
 * <p>Reading order:
 *
 * <ul>
 *   <li>{@link dev.coffer.daemon.http.HttpsServer}: the Jetty listener; moves bytes, checks
 *       method, path and size, authenticates, and hands each request to an {@link
 *       dev.coffer.daemon.http.AwsJsonHandler} (the operation layer). Bounds in {@link
 *       dev.coffer.daemon.http.HttpLimits}.
 *   <li>{@link dev.coffer.daemon.http.RequestBodyReader} and {@link
 *       dev.coffer.daemon.http.ConnectionGuard}: slow clients cost no thread (bodies are read as
 *       they arrive) and no lasting connection (request-read deadline, connections per source).
 *   <li>{@link dev.coffer.daemon.http.SigV4Verifier}: SigV4 verification over a {@link
 *       dev.coffer.daemon.http.SignedRequest}, with secrets from {@link
 *       dev.coffer.daemon.http.AccessKeySecrets}; refusals are {@link
 *       dev.coffer.daemon.http.AuthenticationException}s with AWS's names.
 *   <li>{@link dev.coffer.daemon.http.TlsMaterial} and {@link dev.coffer.daemon.http.TlsPolicy}:
 *       the certificate (self-signed on first start, or the operator's) and the TLS 1.3/1.2
 *       ECDHE+AEAD policy.
 * </ul>
 *
 * <p>Nothing below this package knows about HTTP; the guarantees are listed in
 * {@code docs/https-endpoint.md}.
 */
package dev.coffer.daemon.http;
