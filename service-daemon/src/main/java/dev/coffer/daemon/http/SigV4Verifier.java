package dev.coffer.daemon.http;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.coffer.daemon.crypto.Bytes;
import dev.coffer.protocol.ErrorType;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Duration;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Verifies AWS Signature Version 4 on a request to the KMS endpoint (AWS General Reference,
 * "Signature Version 4 signing process"; the checks and their order follow
 * aws-http-endpoint.md §2.1).
 *
 * <p>{@link #verify} answers the access key that signed the request, or throws an {@link
 * AuthenticationException} with AWS's exception name and message. Each refusal below names the
 * attack it closes. Thread-safe; one instance serves the whole endpoint.
 *
 * <p>Inactive keys are refused exactly like unknown ones ({@code UnrecognizedClientException},
 * "The security token included in the request is invalid."), which is what AWS answers for an
 * inactive IAM access key, and which tells a caller holding a stolen, deactivated key nothing
 * about whether the key still exists.
 */
public final class SigV4Verifier {

  /** AWS allows 5 minutes of clock skew either way for signed requests. */
  public static final Duration MAX_SKEW = Duration.ofMinutes(5);

  static final DateTimeFormatter AMZ_DATE =
      DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);
  private static final String SIGNATURE_MISMATCH = "The request signature we calculated does not "
      + "match the signature you provided. Check your AWS Secret Access Key and signing method. "
      + "Consult the service documentation for details.";
  private static final String TOKEN_INVALID = "The security token included in the request is invalid.";
  private static final List<String> ALWAYS_SIGNED = List.of("host", "x-amz-date", "x-amz-target");
  private static final HexFormat HEX = HexFormat.of();

  private final Clock clock;
  private final Set<String> regions;
  private final String service;
  private final AccessKeySecrets secrets;
  /** Derived signing keys per (key, day, region, service): 4 HMACs saved per request. */
  private final Cache<ScopeKey, byte[]> signingKeys =
      Caffeine.newBuilder().maximumSize(4096).expireAfterAccess(Duration.ofHours(1)).build();

  private record ScopeKey(String accessKeyId, String date, String region, String service) {}

  /**
   * @param clock the server's clock (the ±5 minute window is measured against it)
   * @param regions the credential-scope regions accepted (the configured region, e.g.
   *     {@code us-east-1}); at least one
   * @param service the credential-scope service, {@code kms} for this endpoint
   * @param secrets where access key secrets and statuses are looked up
   */
  public SigV4Verifier(Clock clock, Set<String> regions, String service, AccessKeySecrets secrets) {
    this.clock = Objects.requireNonNull(clock, "clock");
    this.regions = Set.copyOf(regions);
    if (this.regions.isEmpty()) {
      throw new IllegalArgumentException("at least one accepted region is required");
    }
    this.service = Objects.requireNonNull(service, "service");
    this.secrets = Objects.requireNonNull(secrets, "secrets");
  }

  /**
   * Verifies {@code request}.
   *
   * @return the verified access key and the diagnostics
   * @throws AuthenticationException with {@code MissingAuthenticationTokenException},
   *     {@code IncompleteSignatureException}, {@code InvalidSignatureException} or
   *     {@code UnrecognizedClientException}
   */
  public VerifiedSignature verify(SignedRequest request) {
    RequestHeaders headers = request.headers();
    List<String> authorization = headers.all("authorization");
    // Unsigned requests never reach an operation (AWS: MissingAuthenticationTokenException).
    if (authorization.isEmpty()) {
      throw new AuthenticationException(ErrorType.MISSING_AUTHENTICATION_TOKEN,
          "Missing Authentication Token: sign the request with AWS Signature Version 4 "
              + "(an access key from `coffer create-access-key`)");
    }
    // Closes header confusion: two Authorization headers could be read differently by us and
    // by whatever logged or forwarded the request.
    if (authorization.size() > 1) {
      throw incomplete("The request has more than one Authorization header; send exactly one");
    }
    SigV4Authorization auth = SigV4Authorization.parse(authorization.get(0));
    try {
      return verify(request, auth);
    } catch (AuthenticationException e) {
      throw e.withAccessKeyId(auth.accessKeyId());
    }
  }

  /** Forgets cached signing keys of {@code accessKeyId}; call when the key is deleted. */
  public void forget(String accessKeyId) {
    signingKeys.asMap().keySet().removeIf(k -> k.accessKeyId().equals(accessKeyId));
  }

  private VerifiedSignature verify(SignedRequest request, SigV4Authorization auth) {
    RequestHeaders headers = request.headers();
    // Closes operation substitution: many KMS operations share one body shape ({"KeyId": …}),
    // so a signature that does not cover X-Amz-Target could be replayed as DisableKey or
    // ScheduleKeyDeletion. Host binds the signature to this endpoint, X-Amz-Date to a moment.
    for (String required : ALWAYS_SIGNED) {
      if (!auth.signedHeaders().contains(required)) {
        throw incomplete("SignedHeaders must include 'host', 'x-amz-date' and 'x-amz-target'; "
            + "'" + required + "' is missing (SignedHeaders=" + String.join(";", auth.signedHeaders())
            + ")");
      }
    }
    // Closes unsigned-credential riders: a token or payload hash the signature does not cover
    // could be swapped by anyone on the path.
    for (String conditional : List.of("x-amz-security-token", "x-amz-content-sha256")) {
      if (headers.contains(conditional) && !auth.signedHeaders().contains(conditional)) {
        throw incomplete("The request carries '" + conditional + "' but does not sign it; "
            + "add it to SignedHeaders");
      }
    }
    for (String name : auth.signedHeaders()) {
      // A signed header that is absent would be signed as an empty value: refuse, so the
      // signed text always describes headers that exist.
      if (!headers.contains(name)) {
        throw incomplete("SignedHeaders lists '" + name + "' but the request has no such header");
      }
    }
    // Closes ambiguity in what was signed: several Host or X-Amz-Date values would be joined
    // with ',' by canonicalisation but read as one value by everything else.
    for (String single : List.of("host", "x-amz-date", "x-amz-target", "x-amz-content-sha256",
        "x-amz-security-token")) {
      if (headers.all(single).size() > 1) {
        throw incomplete("The request has more than one '" + single + "' header; send exactly one");
      }
    }
    String amzDate = headers.first("x-amz-date").orElseThrow().trim();
    Instant signedAt = parseAmzDate(amzDate);
    // Closes cross-day replay of a derived key: the scope date must be the signing day.
    if (!auth.scopeDate().equals(amzDate.substring(0, 8))) {
      throw invalid("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of "
          + "date from HTTP: '" + auth.scopeDate() + "' != '" + amzDate.substring(0, 8)
          + "', from '" + amzDate + "'.");
    }
    // Closes cross-service replay: a request signed for another AWS service (e.g. sts) is not
    // a KMS request, even with the same secret.
    if (!auth.service().equals(service)) {
      throw invalid("Credential should be scoped to correct service: '" + service + "'. ");
    }
    // Closes cross-endpoint replay between Coffer deployments configured for other regions.
    if (!regions.contains(auth.region())) {
      throw invalid("Credential should be scoped to a valid region, not '" + auth.region()
          + "'. Use the region this endpoint is configured for: " + String.join(", ", regions.stream().sorted().toList()) + ".");
    }
    checkSkew(signedAt);
    String payloadHash = payloadHash(request);
    ScopeKey scope = new ScopeKey(auth.accessKeyId(), auth.scopeDate(), auth.region(),
        auth.service());
    byte[] held = signingKeys.getIfPresent(scope);
    if (held != null) {
      // The key derived for this scope is held already: only the key's status is needed, so
      // the secret is not unwrapped again (a root-key AES-GCM decryption per request).
      if (!secrets.status(auth.accessKeyId()).filter(AccessKeyStatus.Active::equals)
          .isPresent()) {
        throw new AuthenticationException(ErrorType.UNRECOGNIZED_CLIENT, TOKEN_INVALID);
      }
      return check(request, auth, amzDate, payloadHash, held);
    }
    try (AccessKeySecret secret = lookUp(auth.accessKeyId())) {
      return check(request, auth, amzDate, payloadHash, signingKey(scope, secret));
    }
  }

  /** Compares the request's signature with the one {@code signingKey} makes of it. */
  private static VerifiedSignature check(SignedRequest request, SigV4Authorization auth,
      String amzDate, String payloadHash, byte[] signingKey) {
    String canonical = CanonicalRequest.of(request, auth.signedHeaders(), payloadHash);
    String stringToSign = SigV4Authorization.ALGORITHM + "\n" + amzDate + "\n" + auth.scope()
        + "\n" + CanonicalRequest.sha256Hex(canonical.getBytes(StandardCharsets.UTF_8));
    byte[] expected = HEX.formatHex(hmac(signingKey, stringToSign))
        .getBytes(StandardCharsets.US_ASCII);
    // Closes timing side channels: a byte-by-byte early-exit compare would let an attacker
    // find a valid signature one byte at a time.
    if (!Bytes.equal(expected, auth.signature().getBytes(StandardCharsets.US_ASCII))) {
      throw new AuthenticationException(ErrorType.INVALID_SIGNATURE, SIGNATURE_MISMATCH,
          auth.accessKeyId(), canonical, stringToSign);
    }
    return new VerifiedSignature(auth.accessKeyId(), auth.region(), auth.signedHeaders(),
        request.headers().first("x-amz-security-token"), canonical, stringToSign);
  }

  /**
   * {@code yyyyMMdd'T'HHmmss'Z'} read field by field (a {@code DateTimeFormatter} parse costs
   * more than the rest of the header checks together); a date or time that does not exist, such
   * as February 30 or 24:00:00, is refused.
   *
   * @throws AuthenticationException {@code IncompleteSignatureException} for any other shape
   */
  static Instant parseAmzDate(String amzDate) {
    try {
      if (amzDate.length() == 16 && amzDate.charAt(8) == 'T' && amzDate.charAt(15) == 'Z') {
        return LocalDateTime.of(digits(amzDate, 0, 4), digits(amzDate, 4, 6),
            digits(amzDate, 6, 8), digits(amzDate, 9, 11), digits(amzDate, 11, 13),
            digits(amzDate, 13, 15)).toInstant(ZoneOffset.UTC);
      }
    } catch (DateTimeException | NumberFormatException e) {
      // refused below
    }
    throw incomplete("X-Amz-Date must be an ISO 8601 basic timestamp such as 20150830T123600Z;"
        + " got '" + amzDate + "'");
  }

  /** The decimal number in {@code s[from, to)}, ASCII digits only. */
  private static int digits(String s, int from, int to) {
    int n = 0;
    for (int i = from; i < to; i++) {
      char c = s.charAt(i);
      if (c < '0' || c > '9') {
        throw new NumberFormatException();
      }
      n = n * 10 + (c - '0');
    }
    return n;
  }

  /**
   * Closes replay of captured requests: a signature is good for ±5 minutes around the server's
   * clock. The messages follow AWS's wording, which SDKs recognise as clock skew and correct
   * from the response's Date header.
   */
  private void checkSkew(Instant signedAt) {
    Instant now = clock.instant();
    if (signedAt.isBefore(now.minus(MAX_SKEW))) {
      throw invalid("Signature expired: " + AMZ_DATE.format(signedAt) + " is now earlier than "
          + AMZ_DATE.format(now.minus(MAX_SKEW)) + " (" + AMZ_DATE.format(now) + " - 5 min.)");
    }
    if (signedAt.isAfter(now.plus(MAX_SKEW))) {
      throw invalid("Signature not yet current: " + AMZ_DATE.format(signedAt)
          + " is still later than " + AMZ_DATE.format(now.plus(MAX_SKEW)) + " ("
          + AMZ_DATE.format(now) + " + 5 min.)");
    }
  }

  /**
   * The hash of the exact body bytes. Closes body substitution: a client-declared
   * {@code x-amz-content-sha256} is never trusted in place of hashing what arrived, and the
   * S3-only {@code UNSIGNED-PAYLOAD} / streaming forms, which leave the body unsigned, are
   * refused.
   */
  private static String payloadHash(SignedRequest request) {
    String actual = CanonicalRequest.sha256Hex(request.bodyView());
    Optional<String> declared = request.headers().first("x-amz-content-sha256").map(String::trim);
    if (declared.isPresent() && !declared.get().equals(actual)) {
      if (!declared.get().matches("[0-9a-f]{64}")) {
        throw incomplete("x-amz-content-sha256 must be the hex SHA-256 of the body; '"
            + declared.get() + "' (unsigned or streaming payloads) is not accepted by KMS");
      }
      throw incomplete("x-amz-content-sha256 does not match the SHA-256 of the request body; "
          + "the body was changed after signing");
    }
    return actual;
  }

  /** Unknown and inactive keys get AWS's one answer (see the class comment). */
  private AccessKeySecret lookUp(String accessKeyId) {
    Optional<AccessKeySecret> found = secrets.find(accessKeyId);
    if (found.isEmpty()) {
      throw new AuthenticationException(ErrorType.UNRECOGNIZED_CLIENT, TOKEN_INVALID);
    }
    AccessKeySecret secret = found.get();
    if (secret.status() != AccessKeyStatus.Active) {
      secret.close();
      throw new AuthenticationException(ErrorType.UNRECOGNIZED_CLIENT, TOKEN_INVALID);
    }
    return secret;
  }

  private byte[] signingKey(ScopeKey scope, AccessKeySecret secret) {
    return signingKeys.get(scope, s -> derive(secret.secretView(), s.date(), s.region(), s.service()));
  }

  /** kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request"). */
  static byte[] derive(byte[] secret, String date, String region, String service) {
    byte[] seed = new byte[4 + secret.length];
    System.arraycopy("AWS4".getBytes(StandardCharsets.US_ASCII), 0, seed, 0, 4);
    System.arraycopy(secret, 0, seed, 4, secret.length);
    byte[] kDate = hmac(seed, date);
    byte[] kRegion = hmac(kDate, region);
    byte[] kService = hmac(kRegion, service);
    try {
      return hmac(kService, "aws4_request");
    } finally {
      Bytes.zero(seed);
      Bytes.zero(kDate);
      Bytes.zero(kRegion);
      Bytes.zero(kService);
    }
  }

  /** One HMAC-SHA256 per endpoint thread, keyed afresh for each use (no provider lookup). */
  private static final ThreadLocal<Mac> HMAC = ThreadLocal.withInitial(() -> {
    try {
      return Mac.getInstance("HmacSHA256");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("every JDK has HmacSHA256", e);
    }
  });

  static byte[] hmac(byte[] key, String data) {
    Mac mac = HMAC.get();
    try {
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 refused a key", e);
    }
    return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
  }

  private static AuthenticationException incomplete(String message) {
    return new AuthenticationException(ErrorType.INCOMPLETE_SIGNATURE, message);
  }

  private static AuthenticationException invalid(String message) {
    return new AuthenticationException(ErrorType.INVALID_SIGNATURE, message);
  }
}
