package dev.coffer.protocol;

/** The AWS KMS exception names Coffer uses, as constants so both sides spell them alike. */
public final class ErrorType {
  private ErrorType() {}

  public static final String NOT_FOUND = "NotFoundException";
  public static final String DISABLED = "DisabledException";
  public static final String INVALID_STATE = "KMSInvalidStateException";
  public static final String INVALID_CIPHERTEXT = "InvalidCiphertextException";
  public static final String INCORRECT_KEY = "IncorrectKeyException";
  public static final String INVALID_KEY_USAGE = "InvalidKeyUsageException";
  public static final String KEY_UNAVAILABLE = "KeyUnavailableException";
  public static final String DEPENDENCY_TIMEOUT = "DependencyTimeoutException";
  public static final String INTERNAL = "KMSInternalException";
  public static final String LIMIT_EXCEEDED = "LimitExceededException";
  public static final String CONFLICT = "ConflictException";
  public static final String ALREADY_EXISTS = "AlreadyExistsException";
  public static final String INVALID_ARN = "InvalidArnException";
  public static final String INVALID_ALIAS_NAME = "InvalidAliasNameException";
  public static final String INVALID_MARKER = "InvalidMarkerException";
  public static final String TAG = "TagException";
  public static final String INVALID_GRANT_TOKEN = "InvalidGrantTokenException";
  public static final String INVALID_GRANT_ID = "InvalidGrantIdException";
  public static final String MALFORMED_POLICY = "MalformedPolicyDocumentException";
  public static final String EXPIRED_IMPORT_TOKEN = "ExpiredImportTokenException";
  public static final String INVALID_IMPORT_TOKEN = "InvalidImportTokenException";
  public static final String INCORRECT_KEY_MATERIAL = "IncorrectKeyMaterialException";
  public static final String UNSUPPORTED_OPERATION = "UnsupportedOperationException";
  public static final String ACCESS_DENIED = "AccessDeniedException";
  public static final String VALIDATION = "ValidationException";
  public static final String THROTTLING = "ThrottlingException";
  public static final String KMS_INVALID_SIGNATURE = "KMSInvalidSignatureException";
  public static final String KMS_INVALID_MAC = "KMSInvalidMacException";
  // Protocol-level errors of the AWS JSON endpoint (AWS common errors; not in the KMS model).
  /** No {@code Authorization} header (and no other credential) on an HTTPS request. */
  public static final String MISSING_AUTHENTICATION_TOKEN = "MissingAuthenticationTokenException";
  /** A malformed or incomplete SigV4 {@code Authorization} header or payload hash. */
  public static final String INCOMPLETE_SIGNATURE = "IncompleteSignatureException";
  /** A SigV4 signature that does not match, or a timestamp outside the allowed skew. */
  public static final String INVALID_SIGNATURE = "InvalidSignatureException";
  /** An unknown or inactive access key id (AWS: "The security token included ... invalid."). */
  public static final String UNRECOGNIZED_CLIENT = "UnrecognizedClientException";
  /** An {@code X-Amz-Target} that names no KMS operation. */
  public static final String UNKNOWN_OPERATION = "UnknownOperationException";
  /** A request body that is not the JSON the operation takes. */
  public static final String SERIALIZATION = "SerializationException";
  /** Not an AWS name: the client could not reach the daemon at all. */
  public static final String DAEMON_UNAVAILABLE = "CofferDaemonUnavailableException";
}
