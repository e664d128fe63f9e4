package dev.coffer.daemon.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The {@code coffer} commands that call daemon operations: {@code aws kms} command names and
 * options, each mapped to its AWS request field.
 *
 * <p>Which options a command has, their types and which are required come from the AWS KMS
 * service model ({@link OptionTable}, generated from botocore's model), so every option {@code
 * aws kms} accepts for an operation Coffer implements is accepted here too; the daemon acts on
 * it or refuses it with the exception it gives for that field. The hand-written entries below only
 * add help text (and Coffer's own commands, such as {@code metrics}).
 */
final class CliOperations {
  private CliOperations() {}

  enum Type { STRING, INT, BOOL, BLOB, MAP, LIST, TAGS, TIMESTAMP, JSON }

  /**
   * One option. {@code field} is the AWS request member it sets; a {@code BOOL} option also has
   * its {@code --no-} form, which sets the member to false, as in the AWS CLI.
   */
  record Param(String option, String field, Type type, boolean required, String help) {}

  /**
   * One command. {@code resultKey} names the list a paginated operation returns (the AWS CLI
   * fetches every page and joins them), or is null.
   */
  record Command(String name, String operation, String help, List<Param> params,
      String resultKey) {
    Command(String name, String operation, String help, List<Param> params) {
      this(name, operation, help, params, null);
    }

    boolean paginated() {
      return resultKey != null;
    }
  }

  private static Param keyId(String help) {
    return new Param("--key-id", "KeyId", Type.STRING, true, help);
  }

  private static final Param CONTEXT = new Param("--encryption-context", "EncryptionContext",
      Type.MAP, false, "encryption context: JSON {\"k\":\"v\"} or k=v,k2=v2");
  private static final Param GRANT_TOKENS = new Param("--grant-tokens", "GrantTokens", Type.LIST,
      false, "grant tokens");
  private static final Param DRY_RUN = new Param("--dry-run", "DryRun", Type.BOOL, false,
      "check the request without performing it");
  private static final Param LIMIT = new Param("--limit", "Limit", Type.INT, false,
      "maximum items in one page");
  private static final Param MARKER = new Param("--marker", "Marker", Type.STRING, false,
      "NextMarker from the previous page");

  /** Help text, and Coffer's own commands; options and types come from the model table. */
  static final List<Command> HINTS = List.of(
      new Command("create-key", "CreateKey", "Create a KMS key.", List.of(
          new Param("--description", "Description", Type.STRING, false, "description (up to 8192 chars)"),
          new Param("--key-usage", "KeyUsage", Type.STRING, false,
              "ENCRYPT_DECRYPT (default), SIGN_VERIFY or GENERATE_VERIFY_MAC"),
          new Param("--key-spec", "KeySpec", Type.STRING, false,
              "SYMMETRIC_DEFAULT (default), RSA_2048/3072/4096, ECC_NIST_P256/P384/P521,"
                  + " ECC_SECG_P256K1, HMAC_224/256/384/512"),
          new Param("--origin", "Origin", Type.STRING, false,
              "AWS_KMS (default), EXTERNAL, or AWS_CLOUDHSM with --custom-key-store-id"),
          new Param("--custom-key-store-id", "CustomKeyStoreId", Type.STRING, false,
              "create the key in this (CONNECTED) custom key store"),
          new Param("--tags", "Tags", Type.TAGS, false, "TagKey=k,TagValue=v ... or JSON list"),
          new Param("--policy", "Policy", Type.STRING, false, "key policy JSON, or file://FILE"),
          new Param("--bypass-policy-lockout-safety-check", "BypassPolicyLockoutSafetyCheck",
              Type.BOOL, false, "accept a policy that does not let you change it again"))),
      new Command("describe-key", "DescribeKey", "Show a key's metadata.", List.of(
          keyId("key id, key ARN, alias name or alias ARN"), GRANT_TOKENS)),
      new Command("list-keys", "ListKeys", "List KMS keys.", List.of(LIMIT, MARKER)),
      new Command("create-alias", "CreateAlias", "Create an alias for a key.", List.of(
          new Param("--alias-name", "AliasName", Type.STRING, true, "alias/<name>"),
          new Param("--target-key-id", "TargetKeyId", Type.STRING, true, "key id or key ARN"))),
      new Command("update-alias", "UpdateAlias", "Point an alias at another key.", List.of(
          new Param("--alias-name", "AliasName", Type.STRING, true, "alias/<name>"),
          new Param("--target-key-id", "TargetKeyId", Type.STRING, true, "key id or key ARN"))),
      new Command("delete-alias", "DeleteAlias", "Delete an alias (the key stays).", List.of(
          new Param("--alias-name", "AliasName", Type.STRING, true, "alias/<name>"))),
      new Command("list-aliases", "ListAliases", "List aliases.", List.of(
          new Param("--key-id", "KeyId", Type.STRING, false, "only aliases of this key"),
          LIMIT, MARKER)),
      new Command("update-key-description", "UpdateKeyDescription", "Change a key's description.",
          List.of(keyId("key id or key ARN"),
              new Param("--description", "Description", Type.STRING, true, "new description"))),
      new Command("tag-resource", "TagResource", "Add or overwrite tags on a key.", List.of(
          keyId("key id or key ARN"),
          new Param("--tags", "Tags", Type.TAGS, true, "TagKey=k,TagValue=v ... or JSON list"))),
      new Command("untag-resource", "UntagResource", "Remove tags from a key.", List.of(
          keyId("key id or key ARN"),
          new Param("--tag-keys", "TagKeys", Type.LIST, true, "tag keys to remove"))),
      new Command("list-resource-tags", "ListResourceTags", "List a key's tags.", List.of(
          keyId("key id or key ARN"), LIMIT, MARKER)),
      new Command("enable-key", "EnableKey", "Enable a key.", List.of(keyId("key id or key ARN"))),
      new Command("disable-key", "DisableKey", "Disable a key.", List.of(keyId("key id or key ARN"))),
      new Command("schedule-key-deletion", "ScheduleKeyDeletion",
          "Schedule a key for deletion after a waiting period (7-30 days, default 30).", List.of(
              keyId("key id or key ARN"),
              new Param("--pending-window-in-days", "PendingWindowInDays", Type.INT, false,
                  "waiting period in days (7-30, default 30)"))),
      new Command("cancel-key-deletion", "CancelKeyDeletion",
          "Cancel a scheduled deletion; the key becomes Disabled.", List.of(keyId("key id or key ARN"))),
      new Command("encrypt", "Encrypt", "Encrypt up to 4096 bytes under a key.", List.of(
          keyId("key id, key ARN, alias name or alias ARN"),
          new Param("--plaintext", "Plaintext", Type.BLOB, true, "fileb://FILE or base64"),
          CONTEXT, GRANT_TOKENS,
          new Param("--encryption-algorithm", "EncryptionAlgorithm", Type.STRING, false,
              "SYMMETRIC_DEFAULT"), DRY_RUN)),
      new Command("decrypt", "Decrypt", "Decrypt a ciphertext blob.", List.of(
          new Param("--ciphertext-blob", "CiphertextBlob", Type.BLOB, true, "fileb://FILE or base64"),
          new Param("--key-id", "KeyId", Type.STRING, false, "optional: the key that must have encrypted it"),
          CONTEXT, GRANT_TOKENS,
          new Param("--encryption-algorithm", "EncryptionAlgorithm", Type.STRING, false,
              "SYMMETRIC_DEFAULT"), DRY_RUN)),
      new Command("re-encrypt", "ReEncrypt", "Decrypt and re-encrypt inside the daemon.", List.of(
          new Param("--ciphertext-blob", "CiphertextBlob", Type.BLOB, true, "fileb://FILE or base64"),
          new Param("--source-encryption-context", "SourceEncryptionContext", Type.MAP, false,
              "context the blob was encrypted with"),
          new Param("--source-key-id", "SourceKeyId", Type.STRING, false, "optional source key"),
          new Param("--destination-key-id", "DestinationKeyId", Type.STRING, true, "key to re-encrypt under"),
          new Param("--destination-encryption-context", "DestinationEncryptionContext", Type.MAP,
              false, "context for the new blob"),
          GRANT_TOKENS, DRY_RUN)),
      new Command("generate-data-key", "GenerateDataKey",
          "Generate a data key: plaintext and encrypted copy.", List.of(
              keyId("key id, key ARN, alias name or alias ARN"),
              new Param("--key-spec", "KeySpec", Type.STRING, false, "AES_128 or AES_256"),
              new Param("--number-of-bytes", "NumberOfBytes", Type.INT, false, "1-1024"),
              CONTEXT, GRANT_TOKENS, DRY_RUN)),
      new Command("generate-data-key-without-plaintext", "GenerateDataKeyWithoutPlaintext",
          "Generate a data key, returning only its encrypted copy.", List.of(
              keyId("key id, key ARN, alias name or alias ARN"),
              new Param("--key-spec", "KeySpec", Type.STRING, false, "AES_128 or AES_256"),
              new Param("--number-of-bytes", "NumberOfBytes", Type.INT, false, "1-1024"),
              CONTEXT, GRANT_TOKENS, DRY_RUN)),
      new Command("sign", "Sign", "Sign a message or digest with an asymmetric SIGN_VERIFY key.",
          List.of(keyId("key id, key ARN, alias name or alias ARN"),
              new Param("--message", "Message", Type.BLOB, true,
              "fileb://FILE or base64: up to 4096 bytes, or the digest with --message-type DIGEST"),
              new Param("--message-type", "MessageType", Type.STRING, false, "RAW (default) or DIGEST"),
              new Param("--signing-algorithm", "SigningAlgorithm", Type.STRING, true,
                  "ECDSA_SHA_256/384/512, RSASSA_PSS_SHA_256/384/512, RSASSA_PKCS1_V1_5_SHA_256/384/512"),
              GRANT_TOKENS, DRY_RUN)),
      new Command("verify", "Verify", "Verify a signature (KMSInvalidSignatureException if not).",
          List.of(keyId("key id, key ARN, alias name or alias ARN"),
              new Param("--message", "Message", Type.BLOB, true,
              "fileb://FILE or base64: up to 4096 bytes, or the digest with --message-type DIGEST"),
              new Param("--message-type", "MessageType", Type.STRING, false, "RAW (default) or DIGEST"),
              new Param("--signature", "Signature", Type.BLOB, true, "fileb://FILE or base64"),
              new Param("--signing-algorithm", "SigningAlgorithm", Type.STRING, true,
                  "the algorithm the signature was made with"),
              GRANT_TOKENS, DRY_RUN)),
      new Command("generate-mac", "GenerateMac", "HMAC of a message with an HMAC key.",
          List.of(keyId("key id, key ARN, alias name or alias ARN"),
              new Param("--message", "Message", Type.BLOB, true, "fileb://FILE or base64 (1-4096 bytes)"),
              new Param("--mac-algorithm", "MacAlgorithm", Type.STRING, true,
                  "HMAC_SHA_224/256/384/512, the one of the key's spec"),
              GRANT_TOKENS, DRY_RUN)),
      new Command("verify-mac", "VerifyMac", "Verify an HMAC (KMSInvalidMacException if not).",
          List.of(keyId("key id, key ARN, alias name or alias ARN"),
              new Param("--message", "Message", Type.BLOB, true, "fileb://FILE or base64 (1-4096 bytes)"),
              new Param("--mac-algorithm", "MacAlgorithm", Type.STRING, true, "HMAC_SHA_224/256/384/512"),
              new Param("--mac", "Mac", Type.BLOB, true, "fileb://FILE or base64"),
              GRANT_TOKENS, DRY_RUN)),
      new Command("get-public-key", "GetPublicKey",
          "The public key (DER SubjectPublicKeyInfo) of an RSA or ECC key.",
          List.of(keyId("key id, key ARN, alias name or alias ARN"), GRANT_TOKENS)),
      new Command("generate-data-key-pair", "GenerateDataKeyPair",
          "Generate an RSA/ECC key pair: public key, private key, and the private key encrypted"
              + " under a symmetric key.", List.of(
              keyId("symmetric key id, key ARN, alias name or alias ARN"),
              new Param("--key-pair-spec", "KeyPairSpec", Type.STRING, true,
                  "RSA_2048/3072/4096, ECC_NIST_P256/P384/P521, ECC_SECG_P256K1"),
              CONTEXT, GRANT_TOKENS, DRY_RUN)),
      new Command("generate-data-key-pair-without-plaintext",
          "GenerateDataKeyPairWithoutPlaintext",
          "Generate an RSA/ECC key pair, returning the public key and the encrypted private key.",
          List.of(keyId("symmetric key id, key ARN, alias name or alias ARN"),
              new Param("--key-pair-spec", "KeyPairSpec", Type.STRING, true,
                  "RSA_2048/3072/4096, ECC_NIST_P256/P384/P521, ECC_SECG_P256K1"),
              CONTEXT, GRANT_TOKENS, DRY_RUN)),
      new Command("put-certificate-chain", "PutCertificateChain",
          "Attach X.509 certificates (base64 DER, leaf first) to an RSA or ECC key; no"
              + " certificates removes them (Coffer extension).", List.of(
              keyId("key id, key ARN, alias name or alias ARN"),
              new Param("--certificate-chain", "CertificateChain", Type.LIST, true,
                  "base64 DER certificates, leaf first (space separated)"))),
      new Command("get-certificate-chain", "GetCertificateChain",
          "The certificates attached to a key (Coffer extension).", List.of(
              keyId("key id, key ARN, alias name or alias ARN"))),
      new Command("generate-random", "GenerateRandom",
          "Random bytes from the daemon, or from a custom key store's token.", List.of(
              new Param("--number-of-bytes", "NumberOfBytes", Type.INT, true, "1-1024"),
              new Param("--custom-key-store-id", "CustomKeyStoreId", Type.STRING, false,
                  "generate them in this (connected) custom key store's token"))),
      new Command("enable-key-rotation", "EnableKeyRotation",
          "Turn on automatic rotation (every 90-2560 days, default 365).", List.of(
              keyId("key id or key ARN"),
              new Param("--rotation-period-in-days", "RotationPeriodInDays", Type.INT, false,
                  "90-2560, default 365"))),
      new Command("disable-key-rotation", "DisableKeyRotation", "Turn off automatic rotation.",
          List.of(keyId("key id or key ARN"))),
      new Command("get-key-rotation-status", "GetKeyRotationStatus",
          "Show whether automatic rotation is on and when it is next due.",
          List.of(keyId("key id or key ARN"))),
      new Command("rotate-key-on-demand", "RotateKeyOnDemand",
          "Rotate now (adds a backing key version, or for an EXTERNAL key makes the material"
              + " imported with --import-type NEW_KEY_MATERIAL current; old versions keep"
              + " decrypting).",
          List.of(keyId("key id or key ARN"))),
      new Command("list-key-rotations", "ListKeyRotations",
          "List a key's completed rotations, or all its key materials.",
          List.of(keyId("key id or key ARN"),
              new Param("--include-key-material", "IncludeKeyMaterial", Type.STRING, false,
                  "ROTATIONS_ONLY (default) or ALL_KEY_MATERIAL (also the first material and"
                      + " imported material pending rotation)"),
              LIMIT, MARKER)),
      new Command("get-parameters-for-import", "GetParametersForImport",
          "Get a public wrapping key and an import token (valid 24 h) for BYOK.", List.of(
              keyId("key id or key ARN of a key created with --origin EXTERNAL"),
              new Param("--wrapping-algorithm", "WrappingAlgorithm", Type.STRING, true,
                  "RSAES_OAEP_SHA_256, RSAES_OAEP_SHA_1, RSA_AES_KEY_WRAP_SHA_256 or RSA_AES_KEY_WRAP_SHA_1"),
              new Param("--wrapping-key-spec", "WrappingKeySpec", Type.STRING, true,
                  "RSA_2048, RSA_3072 or RSA_4096"))),
      new Command("import-key-material", "ImportKeyMaterial",
          "Import wrapped 256-bit key material into a key of origin EXTERNAL.", List.of(
              keyId("key id or key ARN"),
              new Param("--import-token", "ImportToken", Type.BLOB, true, "fileb://FILE or base64"),
              new Param("--encrypted-key-material", "EncryptedKeyMaterial", Type.BLOB, true,
                  "fileb://FILE or base64"),
              new Param("--valid-to", "ValidTo", Type.TIMESTAMP, false,
                  "expiry: ISO-8601 (2027-01-31T00:00:00Z) or epoch seconds"),
              new Param("--expiration-model", "ExpirationModel", Type.STRING, false,
                  "KEY_MATERIAL_EXPIRES (default) or KEY_MATERIAL_DOES_NOT_EXPIRE"),
              new Param("--import-type", "ImportType", Type.STRING, false,
                  "NEW_KEY_MATERIAL (default for the first import; later: material for the next"
                      + " rotate-key-on-demand) or EXISTING_KEY_MATERIAL (default after that:"
                      + " re-import material the key has)"),
              new Param("--key-material-description", "KeyMaterialDescription", Type.STRING,
                  false, "up to 256 characters: letters, digits, spaces, : / _ . -"),
              new Param("--key-material-id", "KeyMaterialId", Type.STRING, false,
                  "with EXISTING_KEY_MATERIAL: the id the re-imported material must have"))),
      new Command("delete-imported-key-material", "DeleteImportedKeyMaterial",
          "Erase imported key material now; the key returns to PendingImport (unless the"
              + " material was only pending rotation).",
          List.of(keyId("key id or key ARN"),
              new Param("--key-material-id", "KeyMaterialId", Type.STRING, false,
                  "the material to delete (default: the current one)"))),
      new Command("put-key-policy", "PutKeyPolicy", "Replace a key's policy.", List.of(
          keyId("key id or key ARN"),
          new Param("--policy-name", "PolicyName", Type.STRING, false, "default"),
          new Param("--policy", "Policy", Type.STRING, true, "key policy JSON, or file://FILE"),
          new Param("--bypass-policy-lockout-safety-check", "BypassPolicyLockoutSafetyCheck",
              Type.BOOL, false, "accept a policy that does not let you change it again"))),
      new Command("get-key-policy", "GetKeyPolicy", "Show a key's policy.", List.of(
          keyId("key id or key ARN"),
          new Param("--policy-name", "PolicyName", Type.STRING, false, "default"))),
      new Command("list-key-policies", "ListKeyPolicies", "List a key's policy names.", List.of(
          keyId("key id or key ARN"), LIMIT, MARKER)),
      new Command("create-grant", "CreateGrant", "Let a principal use a key for some operations.",
          List.of(keyId("key id or key ARN"),
              new Param("--grantee-principal", "GranteePrincipal", Type.STRING, true,
                  "arn:aws:iam::<account>:user/<access-key user>, or a Unix user/group:"
                      + " arn:coffer:iam::<account>:user/<name> or .../group/<name>"),
              new Param("--operations", "Operations", Type.LIST, true,
                  "Encrypt Decrypt GenerateDataKey ... (space separated)"),
              new Param("--retiring-principal", "RetiringPrincipal", Type.STRING, false,
                  "who may retire the grant"),
              new Param("--constraints", "Constraints", Type.JSON, false,
                  "JSON, e.g. {\"EncryptionContextSubset\":{\"tenant\":\"a\"}}"),
              new Param("--name", "Name", Type.STRING, false, "a name for the grant"),
              GRANT_TOKENS, DRY_RUN)),
      new Command("list-grants", "ListGrants", "List a key's grants.", List.of(
          keyId("key id or key ARN"),
          new Param("--grant-id", "GrantId", Type.STRING, false, "only this grant"),
          new Param("--grantee-principal", "GranteePrincipal", Type.STRING, false,
              "only grants to this principal"), LIMIT, MARKER)),
      new Command("list-retirable-grants", "ListRetirableGrants",
          "List grants a principal may retire.", List.of(
              new Param("--retiring-principal", "RetiringPrincipal", Type.STRING, true,
                  "the retiring principal"), LIMIT, MARKER)),
      new Command("retire-grant", "RetireGrant", "Retire a grant (by its retiring principal).",
          List.of(new Param("--grant-token", "GrantToken", Type.STRING, false, "the grant token"),
              new Param("--key-id", "KeyId", Type.STRING, false, "with --grant-id"),
              new Param("--grant-id", "GrantId", Type.STRING, false, "with --key-id"), DRY_RUN)),
      new Command("revoke-grant", "RevokeGrant", "Revoke a grant (needs kms:RevokeGrant).",
          List.of(keyId("key id or key ARN"),
              new Param("--grant-id", "GrantId", Type.STRING, true, "the grant id"), DRY_RUN)),
      new Command("create-custom-key-store", "CreateCustomKeyStore",
          "Register a PKCS#11 token as a custom key store (it starts DISCONNECTED).", List.of(
              new Param("--custom-key-store-name", "CustomKeyStoreName", Type.STRING, true,
                  "unique name"),
              new Param("--custom-key-store-type", "CustomKeyStoreType", Type.STRING, false,
                  "PKCS11 (the default and only type)"),
              new Param("--pkcs11-library-path", "Pkcs11LibraryPath", Type.STRING, true,
                  "absolute path of the PKCS#11 module"),
              new Param("--pkcs11-token-label", "Pkcs11TokenLabel", Type.STRING, false,
                  "label of the token (or --pkcs11-slot-list-index)"),
              new Param("--pkcs11-slot-list-index", "Pkcs11SlotListIndex", Type.INT, false,
                  "index in the module's slot list"),
              new Param("--key-store-password", "KeyStorePassword", Type.STRING, true,
                  "crypto-user PIN, or file://PATH"))),
      new Command("describe-custom-key-stores", "DescribeCustomKeyStores",
          "List custom key stores with their connection state.", List.of(
              new Param("--custom-key-store-id", "CustomKeyStoreId", Type.STRING, false,
                  "only this store"),
              new Param("--custom-key-store-name", "CustomKeyStoreName", Type.STRING, false,
                  "only the store with this name"), LIMIT, MARKER)),
      new Command("update-custom-key-store", "UpdateCustomKeyStore",
          "Rename a store, or (while DISCONNECTED) change its token or password.", List.of(
              new Param("--custom-key-store-id", "CustomKeyStoreId", Type.STRING, true, "store id"),
              new Param("--new-custom-key-store-name", "NewCustomKeyStoreName", Type.STRING,
                  false, "new name"),
              new Param("--pkcs11-library-path", "Pkcs11LibraryPath", Type.STRING, false,
                  "absolute path of the PKCS#11 module"),
              new Param("--pkcs11-token-label", "Pkcs11TokenLabel", Type.STRING, false,
                  "label of the token"),
              new Param("--pkcs11-slot-list-index", "Pkcs11SlotListIndex", Type.INT, false,
                  "index in the module's slot list"),
              new Param("--key-store-password", "KeyStorePassword", Type.STRING, false,
                  "crypto-user PIN, or file://PATH"))),
      new Command("connect-custom-key-store", "ConnectCustomKeyStore",
          "Log in to the store's token; its keys become usable.", List.of(
              new Param("--custom-key-store-id", "CustomKeyStoreId", Type.STRING, true,
                  "store id"))),
      new Command("disconnect-custom-key-store", "DisconnectCustomKeyStore",
          "Disconnect a store; its keys become Unavailable.", List.of(
              new Param("--custom-key-store-id", "CustomKeyStoreId", Type.STRING, true,
                  "store id"))),
      new Command("delete-custom-key-store", "DeleteCustomKeyStore",
          "Delete a DISCONNECTED store that holds no keys (the token is left as it is).", List.of(
              new Param("--custom-key-store-id", "CustomKeyStoreId", Type.STRING, true,
                  "store id"))),
      new Command("metrics", "GetMetrics",
          "Keys per state and seconds until imported key material expires (Coffer extension).",
          List.of()),
      new Command("get-usage", "GetUsage",
          "Request counts (successful, refused) and key-months per month, grouped by key,"
              + " principal or operation (Coffer extension; administrators).", List.of(
              new Param("--start-time", "StartTime", Type.TIMESTAMP, false,
                  "first month to report: a date (2026-11-01), ISO-8601 instant or epoch"
                      + " seconds; default the start of this month"),
              new Param("--end-time", "EndTime", Type.TIMESTAMP, false,
                  "end of the period (exclusive); default the end of this month"),
              new Param("--group-by", "GroupBy", Type.STRING, false,
                  "key, principal or operation (default operation)"))),
      // Access keys for the HTTPS endpoint, in IAM's names and shapes (administrators only, on
      // the socket only).
      new Command("create-access-key", "CreateAccessKey",
          "Create an access key for an IAM user of the HTTPS endpoint; the secret is shown once.",
          List.of(new Param("--user-name", "UserName", Type.STRING, true,
              "the user the key signs as: arn:<partition>:iam::<account>:user/<name>"))),
      new Command("list-access-keys", "ListAccessKeys", "List access keys (never their secrets).",
          List.of(new Param("--user-name", "UserName", Type.STRING, false, "only this user's"),
              new Param("--max-items", "MaxItems", Type.INT, false, "maximum items in one page"),
              new Param("--marker", "Marker", Type.STRING, false,
                  "Marker from the previous page"))),
      new Command("update-access-key", "UpdateAccessKey",
          "Make an access key Active or Inactive (Inactive keys authenticate nothing).", List.of(
              new Param("--access-key-id", "AccessKeyId", Type.STRING, true, "AKIA..."),
              new Param("--status", "Status", Type.STRING, true, "Active or Inactive"),
              new Param("--user-name", "UserName", Type.STRING, false, "the key's user"))),
      new Command("delete-access-key", "DeleteAccessKey", "Delete an access key for good.",
          List.of(new Param("--access-key-id", "AccessKeyId", Type.STRING, true, "AKIA..."),
              new Param("--user-name", "UserName", Type.STRING, false, "the key's user"))));

  /** Every command, with the options of the AWS model. */
  static final List<Command> ALL = HINTS.stream().map(CliOperations::fromModel).toList();

  private static Command fromModel(Command hint) {
    OptionTable.Operation op = OptionTable.KMS.operation(hint.operation());
    if (op == null) {
      return hint; // a Coffer extension such as metrics
    }
    Map<String, String> help = hint.params().stream()
        .collect(Collectors.toMap(Param::option, Param::help, (a, b) -> a));
    List<Param> params = new ArrayList<>();
    for (OptionTable.Member m : op.members()) {
      params.add(new Param(m.option(), m.field(), type(m.type()), m.required(),
          help.getOrDefault(m.option(), "AWS parameter " + m.field() + " (see docs/cli.md)")));
    }
    // Coffer's own fields of an AWS operation (the PKCS#11 custom key store's), after AWS's.
    for (Param p : hint.params()) {
      if (params.stream().noneMatch(m -> m.option().equals(p.option()))) {
        params.add(p);
      }
    }
    return new Command(op.command(), op.operation(), hint.help(), List.copyOf(params),
        op.resultKey());
  }

  private static Type type(String modelType) {
    return switch (modelType) {
      case "string" -> Type.STRING;
      case "integer", "long" -> Type.INT;
      case "boolean" -> Type.BOOL;
      case "blob" -> Type.BLOB;
      case "map" -> Type.MAP;
      case "list:string" -> Type.LIST;
      case "list:structure" -> Type.TAGS;
      case "structure" -> Type.JSON;
      case "timestamp" -> Type.TIMESTAMP;
      default -> throw new IllegalStateException("kms-cli-options.tsv: unknown type " + modelType);
    };
  }
}
