package dev.coffer.daemon.ops;

import static dev.coffer.daemon.ops.Constraints.REQUIRED;
import static dev.coffer.daemon.ops.Constraints.UNBOUNDED;
import static dev.coffer.daemon.ops.Constraints.bytes;
import static dev.coffer.daemon.ops.Constraints.field;
import static dev.coffer.daemon.ops.Constraints.list;
import static dev.coffer.daemon.ops.Constraints.oneOf;
import static dev.coffer.daemon.ops.Constraints.range;
import static dev.coffer.daemon.ops.Constraints.structure;
import static dev.coffer.daemon.ops.Constraints.text;

import dev.coffer.daemon.ops.Constraints.Operation;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The KMS API reference's input constraints for every operation Coffer serves, written out from
 * the botocore KMS service model ({@code kms/2014-11-01/service-2.json}): per request member its
 * length (Unicode characters or bytes), range, entry count, pattern or enum, and whether it is
 * required. A comment marks each entry that deliberately differs from the model; {@code
 * ConstraintsModelTest} checks every other entry against the model.
 */
final class ApiConstraints {
  private ApiConstraints() {}

  /** Coffer's own operations, which have no AWS constraints. */
  static final Set<String> COFFER_ONLY = Set.of("GetMetrics", "GetUsage");

  private static final Map<String, Operation> TABLE = new TreeMap<>();

  /**
   * Coffer's administration operations that are not KMS operations: access keys, named and
   * constrained as in IAM's model ({@code iam/2010-05-08/service-2.json}). Kept apart from
   * {@link #TABLE}, which {@code ConstraintsModelTest} checks against the KMS model.
   */
  private static final Map<String, Operation> ADMIN = new TreeMap<>();

  /** The operation's constraints; null for an operation neither table knows. */
  static Operation of(String operation) {
    Operation op = TABLE.get(operation);
    return op != null ? op : ADMIN.get(operation);
  }

  static {
    Constraints.Rule userName = text(1, 128, "[\\w+=,.@-]+");
    Constraints.Rule accessKeyId = text(16, 128, "[\\w]+");
    ADMIN.put("CreateAccessKey", Constraints.operation("CreateAccessKey",
        // IAM defaults UserName to the caller; Coffer's administrators are not IAM users.
        field("UserName", REQUIRED, userName)));
    ADMIN.put("ListAccessKeys", Constraints.operation("ListAccessKeys",
        field("UserName", userName),
        field("Marker", text(1, 320, "[\\u0020-\\u00FF]+")),
        field("MaxItems", range(1, 1000))));
    ADMIN.put("UpdateAccessKey", Constraints.operation("UpdateAccessKey",
        field("UserName", userName),
        field("AccessKeyId", REQUIRED, accessKeyId),
        // IAM's enum also has Expired, which only IAM itself sets.
        field("Status", REQUIRED, oneOf("Active", "Inactive"))));
    ADMIN.put("DeleteAccessKey", Constraints.operation("DeleteAccessKey",
        field("UserName", userName),
        field("AccessKeyId", REQUIRED, accessKeyId)));
    // Coffer's certificate-chain extension (not KMS operations; docs/protocol.md).
    ADMIN.put("PutCertificateChain", Constraints.operation("PutCertificateChain",
        field("KeyId", REQUIRED, text(1, 2048, null)),
        // Up to 10 certificates of up to 48 KiB of base64 each.
        field("CertificateChain", REQUIRED, list(0, 10, text(1, 49152, null)))));
    ADMIN.put("GetCertificateChain", Constraints.operation("GetCertificateChain",
        field("KeyId", REQUIRED, text(1, 2048, null))));
  }

  /** Every operation in the table, by name. */
  static Map<String, Operation> all() {
    return java.util.Collections.unmodifiableMap(TABLE);
  }

  private static void operation(String name, Constraints.Field... fields) {
    TABLE.put(name, Constraints.operation(name, fields));
  }

  static {
    operation("CreateKey",
        field("Policy", text(1, 131072, "[\\u0009\\u000A\\u000D\\u0020-\\u00FF]+")),
        field("Description", text(0, 8192, null)),
        field("KeyUsage", oneOf("SIGN_VERIFY", "ENCRYPT_DECRYPT", "GENERATE_VERIFY_MAC",
            "KEY_AGREEMENT")),
        field("CustomerMasterKeySpec", oneOf("RSA_2048", "RSA_3072", "RSA_4096", "ECC_NIST_P256",
            "ECC_NIST_P384", "ECC_NIST_P521", "ECC_SECG_P256K1", "SYMMETRIC_DEFAULT", "HMAC_224",
            "HMAC_256", "HMAC_384", "HMAC_512", "SM2")),
        field("KeySpec", oneOf("RSA_2048", "RSA_3072", "RSA_4096", "ECC_NIST_P256",
            "ECC_NIST_P384", "ECC_NIST_P521", "ECC_SECG_P256K1", "SYMMETRIC_DEFAULT", "HMAC_224",
            "HMAC_256", "HMAC_384", "HMAC_512", "SM2", "ML_DSA_44", "ML_DSA_65", "ML_DSA_87",
            "ECC_NIST_EDWARDS25519")),
        field("Origin", oneOf("AWS_KMS", "EXTERNAL", "AWS_CLOUDHSM", "EXTERNAL_KEY_STORE")),
        field("CustomKeyStoreId", text(1, 64, null)),
        field("Tags", list(0, UNBOUNDED, structure(
              field("TagKey", REQUIRED, text(1, 128, null)),
              field("TagValue", REQUIRED, text(0, 256, null))))),
        field("XksKeyId", text(1, 128, "^[a-zA-Z0-9-_.]+$")));
    operation("DescribeKey",
        field("KeyId", REQUIRED, text(1, 2048, null)),
        field("GrantTokens", list(0, 10, text(1, 8192, null))));
    operation("ListKeys",
        field("Limit", range(1, 1000)),
        field("Marker", text(1, 1024, "[\\u0020-\\u00FF]*")));
    operation("CreateAlias",
        field("AliasName", REQUIRED, text(1, 256, "^[a-zA-Z0-9:/_-]+$")),
        field("TargetKeyId", REQUIRED, text(1, 2048, null)));
    operation("UpdateAlias",
        field("AliasName", REQUIRED, text(1, 256, "^[a-zA-Z0-9:/_-]+$")),
        field("TargetKeyId", REQUIRED, text(1, 2048, null)));
    operation("DeleteAlias",
        field("AliasName", REQUIRED, text(1, 256, "^[a-zA-Z0-9:/_-]+$")));
    operation("ListAliases",
        field("KeyId", text(1, 2048, null)),
        // AWS documents 1-100 here (the model's shared LimitType says 1-1000).
        field("Limit", range(1, 100)),
        field("Marker", text(1, 1024, "[\\u0020-\\u00FF]*")));
    operation("UpdateKeyDescription",
        field("KeyId", REQUIRED, text(1, 2048, null)),
        field("Description", REQUIRED, text(0, 8192, null)));
    operation("TagResource",
        field("KeyId", REQUIRED, text(1, 2048, null)),
        field("Tags", REQUIRED, list(0, UNBOUNDED, structure(
              field("TagKey", REQUIRED, text(1, 128, null)),
              field("TagValue", REQUIRED, text(0, 256, null))))));
    operation("UntagResource",
        field("KeyId", REQUIRED, text(1, 2048, null)),
        field("TagKeys", REQUIRED, list(0, UNBOUNDED, text(1, 128, null))));
    operation("ListResourceTags",
        field("KeyId", REQUIRED, text(1, 2048, null)),
        // AWS documents 1-50 here.
        field("Limit", range(1, 50)),
        field("Marker", text(1, 1024, "[\\u0020-\\u00FF]*")));
    operation("EnableKey",
        field("KeyId", REQUIRED, text(1, 2048, null)));
    operation("DisableKey",
        field("KeyId", REQUIRED, text(1, 2048, null)));
    operation("ScheduleKeyDeletion",
        field("KeyId", REQUIRED, text(1, 2048, null)),
        // AWS documents and enforces 7-30 (the model says 1-365).
        field("PendingWindowInDays", range(7, 30)));
    operation("CancelKeyDeletion",
        field("KeyId", REQUIRED, text(1, 2048, null)));
    operation("Encrypt",
        field("KeyId", REQUIRED, text(1, 2048, null)),
        field("Plaintext", REQUIRED, bytes(1, 4096)),
        field("GrantTokens", list(0, 10, text(1, 8192, null))),
        field("EncryptionAlgorithm", oneOf("SYMMETRIC_DEFAULT", "RSAES_OAEP_SHA_1",
            "RSAES_OAEP_SHA_256", "SM2PKE")));
    operation("Decrypt",
        field("CiphertextBlob", bytes(1, 6144)),
        field("GrantTokens", list(0, 10, text(1, 8192, null))),
        field("KeyId", text(1, 2048, null)),
        field("EncryptionAlgorithm", oneOf("SYMMETRIC_DEFAULT", "RSAES_OAEP_SHA_1",
            "RSAES_OAEP_SHA_256", "SM2PKE")),
        field("Recipient", structure(
            field("KeyEncryptionAlgorithm", oneOf("RSAES_OAEP_SHA_256")),
            field("AttestationDocument", bytes(1, 262144)))),
        field("DryRunModifiers", list(0, UNBOUNDED, oneOf("IGNORE_CIPHERTEXT"))));
    operation("ReEncrypt",
        field("CiphertextBlob", bytes(1, 6144)),
        field("SourceKeyId", text(1, 2048, null)),
        field("DestinationKeyId", REQUIRED, text(1, 2048, null)),
        field("SourceEncryptionAlgorithm", oneOf("SYMMETRIC_DEFAULT", "RSAES_OAEP_SHA_1",
            "RSAES_OAEP_SHA_256", "SM2PKE")),
        field("DestinationEncryptionAlgorithm", oneOf("SYMMETRIC_DEFAULT", "RSAES_OAEP_SHA_1",
            "RSAES_OAEP_SHA_256", "SM2PKE")),
        field("GrantTokens", list(0, 10, text(1, 8192, null))),
        field("DryRunModifiers", list(0, UNBOUNDED, oneOf("IGNORE_CIPHERTEXT"))));
    operation("Sign",
        field("KeyId", REQUIRED, text(1, 2048, null)),
        field("Message", REQUIRED, bytes(1, 4096)),
        field("MessageType", oneOf("RAW", "DIGEST", "EXTERNAL_MU")),
        field("GrantTokens", list(0, 10, text(1, 8192, null))),
        field("SigningAlgorithm", REQUIRED, oneOf("RSASSA_PSS_SHA_256", "RSASSA_PSS_SHA_384",
            "RSASSA_PSS_SHA_512", "RSASSA_PKCS1_V1_5_SHA_256", "RSASSA_PKCS1_V1_5_SHA_384",
            "RSASSA_PKCS1_V1_5_SHA_512", "ECDSA_SHA_256", "ECDSA_SHA_384", "ECDSA_SHA_512",
            "SM2DSA", "ML_DSA_SHAKE_256", "ED25519_SHA_512", "ED25519_PH_SHA_512")));
    operation("Verify",
        field("KeyId", REQUIRED, text(1, 2048, null)),
        field("Message", REQUIRED, bytes(1, 4096)),
        field("MessageType", oneOf("RAW", "DIGEST", "EXTERNAL_MU")),
        field("Signature", REQUIRED, bytes(1, 6144)),
        field("SigningAlgorithm", REQUIRED, oneOf("RSASSA_PSS_SHA_256", "RSASSA_PSS_SHA_384",
            "RSASSA_PSS_SHA_512", "RSASSA_PKCS1_V1_5_SHA_256", "RSASSA_PKCS1_V1_5_SHA_384",
            "RSASSA_PKCS1_V1_5_SHA_512", "ECDSA_SHA_256", "ECDSA_SHA_384", "ECDSA_SHA_512",
            "SM2DSA", "ML_DSA_SHAKE_256", "ED25519_SHA_512", "ED25519_PH_SHA_512")),
        field("GrantTokens", list(0, 10, text(1, 8192, null))));
    operation("GenerateMac",
        field("Message", REQUIRED, bytes(1, 4096)),
        field("KeyId", REQUIRED, text(1, 2048, null)),
        field("MacAlgorithm", REQUIRED, oneOf("HMAC_SHA_224", "HMAC_SHA_256", "HMAC_SHA_384",
            "HMAC_SHA_512")),
        field("GrantTokens", list(0, 10, text(1, 8192, null))));
    operation("VerifyMac",
        field("Message", REQUIRED, bytes(1, 4096)),
        field("KeyId", REQUIRED, text(1, 2048, null)),
        field("MacAlgorithm", REQUIRED, oneOf("HMAC_SHA_224", "HMAC_SHA_256", "HMAC_SHA_384",
            "HMAC_SHA_512")),
        field("Mac", REQUIRED, bytes(1, 6144)),
        field("GrantTokens", list(0, 10, text(1, 8192, null))));
    operation("GetPublicKey",
        field("KeyId", REQUIRED, text(1, 2048, null)),
        field("GrantTokens", list(0, 10, text(1, 8192, null))));
    operation("GenerateDataKeyPair",
        field("KeyId", REQUIRED, text(1, 2048, null)),
        field("KeyPairSpec", REQUIRED, oneOf("RSA_2048", "RSA_3072", "RSA_4096",
            "ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521", "ECC_SECG_P256K1", "SM2",
            "ECC_NIST_EDWARDS25519")),
        field("GrantTokens", list(0, 10, text(1, 8192, null))),
        field("Recipient", structure(
            field("KeyEncryptionAlgorithm", oneOf("RSAES_OAEP_SHA_256")),
            field("AttestationDocument", bytes(1, 262144)))));
    operation("GenerateDataKeyPairWithoutPlaintext",
        field("KeyId", REQUIRED, text(1, 2048, null)),
        field("KeyPairSpec", REQUIRED, oneOf("RSA_2048", "RSA_3072", "RSA_4096",
            "ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521", "ECC_SECG_P256K1", "SM2",
            "ECC_NIST_EDWARDS25519")),
        field("GrantTokens", list(0, 10, text(1, 8192, null))));
    operation("GenerateDataKey",
        field("KeyId", REQUIRED, text(1, 2048, null)),
        field("NumberOfBytes", range(1, 1024)),
        field("KeySpec", oneOf("AES_256", "AES_128")),
        field("GrantTokens", list(0, 10, text(1, 8192, null))),
        field("Recipient", structure(
            field("KeyEncryptionAlgorithm", oneOf("RSAES_OAEP_SHA_256")),
            field("AttestationDocument", bytes(1, 262144)))));
    operation("GenerateDataKeyWithoutPlaintext",
        field("KeyId", REQUIRED, text(1, 2048, null)),
        field("KeySpec", oneOf("AES_256", "AES_128")),
        field("NumberOfBytes", range(1, 1024)),
        field("GrantTokens", list(0, 10, text(1, 8192, null))));
    operation("GenerateRandom",
        field("NumberOfBytes", range(1, 1024)),
        field("CustomKeyStoreId", text(1, 64, null)),
        field("Recipient", structure(
            field("KeyEncryptionAlgorithm", oneOf("RSAES_OAEP_SHA_256")),
            field("AttestationDocument", bytes(1, 262144)))));
    operation("CreateGrant",
        field("KeyId", REQUIRED, text(1, 2048, null)),
        field("GranteePrincipal", REQUIRED, text(1, 256, "^[\\w+=,.@:/-]+$")),
        field("RetiringPrincipal", text(1, 256, "^[\\w+=,.@:/-]+$")),
        field("Operations", REQUIRED, list(0, UNBOUNDED, oneOf("Decrypt", "Encrypt",
            "GenerateDataKey", "GenerateDataKeyWithoutPlaintext", "ReEncryptFrom", "ReEncryptTo",
            "Sign", "Verify", "GetPublicKey", "CreateGrant", "RetireGrant", "DescribeKey",
            "GenerateDataKeyPair", "GenerateDataKeyPairWithoutPlaintext", "GenerateMac",
            "VerifyMac", "DeriveSharedSecret"))),
        field("GrantTokens", list(0, 10, text(1, 8192, null))),
        field("Name", text(1, 256, "^[a-zA-Z0-9:/_-]+$")));
    operation("ListGrants",
        // AWS documents 1-100 here.
        field("Limit", range(1, 100)),
        field("Marker", text(1, 1024, "[\\u0020-\\u00FF]*")),
        field("KeyId", REQUIRED, text(1, 2048, null)),
        field("GrantId", text(1, 128, null)),
        field("GranteePrincipal", text(1, 256, "^[\\w+=,.@:/-]+$")));
    operation("ListRetirableGrants",
        // AWS documents 1-100 here.
        field("Limit", range(1, 100)),
        field("Marker", text(1, 1024, "[\\u0020-\\u00FF]*")),
        field("RetiringPrincipal", REQUIRED, text(1, 256, "^[\\w+=,.@:/-]+$")));
    operation("RetireGrant",
        field("GrantToken", text(1, 8192, null)),
        field("KeyId", text(1, 2048, null)),
        field("GrantId", text(1, 128, null)));
    operation("RevokeGrant",
        field("KeyId", REQUIRED, text(1, 2048, null)),
        field("GrantId", REQUIRED, text(1, 128, null)));
    operation("PutKeyPolicy",
        field("KeyId", REQUIRED, text(1, 2048, null)),
        field("PolicyName", text(1, 128, "[\\w]+")),
        field("Policy", REQUIRED, text(1, 131072, "[\\u0009\\u000A\\u000D\\u0020-\\u00FF]+")));
    operation("GetKeyPolicy",
        field("KeyId", REQUIRED, text(1, 2048, null)),
        field("PolicyName", text(1, 128, "[\\w]+")));
    operation("ListKeyPolicies",
        field("KeyId", REQUIRED, text(1, 2048, null)),
        field("Limit", range(1, 1000)),
        field("Marker", text(1, 1024, "[\\u0020-\\u00FF]*")));
    operation("EnableKeyRotation",
        field("KeyId", REQUIRED, text(1, 2048, null)),
        field("RotationPeriodInDays", range(90, 2560)));
    operation("DisableKeyRotation",
        field("KeyId", REQUIRED, text(1, 2048, null)));
    operation("GetKeyRotationStatus",
        field("KeyId", REQUIRED, text(1, 2048, null)));
    operation("RotateKeyOnDemand",
        field("KeyId", REQUIRED, text(1, 2048, null)));
    operation("ListKeyRotations",
        field("KeyId", REQUIRED, text(1, 2048, null)),
        field("IncludeKeyMaterial", oneOf("ALL_KEY_MATERIAL", "ROTATIONS_ONLY")),
        field("Limit", range(1, 1000)),
        field("Marker", text(1, 1024, "[\\u0020-\\u00FF]*")));
    operation("GetParametersForImport",
        field("KeyId", REQUIRED, text(1, 2048, null)),
        field("WrappingAlgorithm", REQUIRED, oneOf("RSAES_PKCS1_V1_5", "RSAES_OAEP_SHA_1",
            "RSAES_OAEP_SHA_256", "RSA_AES_KEY_WRAP_SHA_1", "RSA_AES_KEY_WRAP_SHA_256", "SM2PKE")),
        field("WrappingKeySpec", REQUIRED, oneOf("RSA_2048", "RSA_3072", "RSA_4096", "SM2")));
    operation("ImportKeyMaterial",
        field("KeyId", REQUIRED, text(1, 2048, null)),
        field("ImportToken", REQUIRED, bytes(1, 6144)),
        field("EncryptedKeyMaterial", REQUIRED, bytes(1, 6144)),
        field("ExpirationModel", oneOf("KEY_MATERIAL_EXPIRES", "KEY_MATERIAL_DOES_NOT_EXPIRE")),
        field("ImportType", oneOf("NEW_KEY_MATERIAL", "EXISTING_KEY_MATERIAL")),
        field("KeyMaterialDescription", text(0, 256, "^[a-zA-Z0-9:/_\\s.-]+$")),
        field("KeyMaterialId", text(64, 64, "^[a-f0-9]+$")));
    operation("DeleteImportedKeyMaterial",
        field("KeyId", REQUIRED, text(1, 2048, null)),
        field("KeyMaterialId", text(64, 64, "^[a-f0-9]+$")));
    operation("CreateCustomKeyStore",
        field("CustomKeyStoreName", REQUIRED, text(1, 256, null)),
        field("CloudHsmClusterId", text(19, 24, "cluster-[2-7a-zA-Z]{11,16}")),
        field("TrustAnchorCertificate", text(1, 5000, null)),
        // Coffer: a PKCS#11 user PIN (AWS: a CloudHSM kmsuser password of 7-32).
        field("KeyStorePassword", text(1, 256, null)),
        // Coffer adds PKCS11, its own store type.
        field("CustomKeyStoreType", oneOf("AWS_CLOUDHSM", "EXTERNAL_KEY_STORE", "PKCS11")),
        field("XksProxyUriEndpoint", text(10, 128, "^https://[a-zA-Z0-9.-]+$")),
        field("XksProxyUriPath", text(10, 128, "^(/[a-zA-Z0-9\\/_-]+/kms/xks/v\\d{1,2})$|^(/kms/xks/v\\d{1,2})$")),
        field("XksProxyVpcEndpointServiceName", text(20, 64, "^(com|eu)\\.amazonaws\\.vpce\\.([a-z]+-){2,3}\\d+\\.vpce-svc-[0-9a-z]+$")),
        field("XksProxyVpcEndpointServiceOwner", text(12, 12, "[0-9]{12}")),
        field("XksProxyAuthenticationCredential", structure(
            field("AccessKeyId", REQUIRED, text(20, 30, "^[A-Z2-7]+$")),
            field("RawSecretAccessKey", REQUIRED, text(43, 64, "^[a-zA-Z0-9\\/+=]+$")))),
        field("XksProxyConnectivity", oneOf("PUBLIC_ENDPOINT", "VPC_ENDPOINT_SERVICE")));
    operation("DescribeCustomKeyStores",
        field("CustomKeyStoreId", text(1, 64, null)),
        field("CustomKeyStoreName", text(1, 256, null)),
        field("Limit", range(1, 1000)),
        field("Marker", text(1, 1024, "[\\u0020-\\u00FF]*")));
    operation("UpdateCustomKeyStore",
        field("CustomKeyStoreId", REQUIRED, text(1, 64, null)),
        field("NewCustomKeyStoreName", text(1, 256, null)),
        // Coffer: a PKCS#11 user PIN (AWS: a CloudHSM kmsuser password of 7-32).
        field("KeyStorePassword", text(1, 256, null)),
        field("CloudHsmClusterId", text(19, 24, "cluster-[2-7a-zA-Z]{11,16}")),
        field("XksProxyUriEndpoint", text(10, 128, "^https://[a-zA-Z0-9.-]+$")),
        field("XksProxyUriPath", text(10, 128, "^(/[a-zA-Z0-9\\/_-]+/kms/xks/v\\d{1,2})$|^(/kms/xks/v\\d{1,2})$")),
        field("XksProxyVpcEndpointServiceName", text(20, 64, "^(com|eu)\\.amazonaws\\.vpce\\.([a-z]+-){2,3}\\d+\\.vpce-svc-[0-9a-z]+$")),
        field("XksProxyVpcEndpointServiceOwner", text(12, 12, "[0-9]{12}")),
        field("XksProxyAuthenticationCredential", structure(
            field("AccessKeyId", REQUIRED, text(20, 30, "^[A-Z2-7]+$")),
            field("RawSecretAccessKey", REQUIRED, text(43, 64, "^[a-zA-Z0-9\\/+=]+$")))),
        field("XksProxyConnectivity", oneOf("PUBLIC_ENDPOINT", "VPC_ENDPOINT_SERVICE")));
    operation("ConnectCustomKeyStore",
        field("CustomKeyStoreId", REQUIRED, text(1, 64, null)));
    operation("DisconnectCustomKeyStore",
        field("CustomKeyStoreId", REQUIRED, text(1, 64, null)));
    operation("DeleteCustomKeyStore",
        field("CustomKeyStoreId", REQUIRED, text(1, 64, null)));
  }
}
