package dev.coffer.protocol;

/** AWS KMS operation names the daemon serves (the {@code Operation} field of a request). */
public final class Operation {
  private Operation() {}

  public static final String CREATE_KEY = "CreateKey";
  public static final String DESCRIBE_KEY = "DescribeKey";
  public static final String LIST_KEYS = "ListKeys";
  public static final String CREATE_ALIAS = "CreateAlias";
  public static final String UPDATE_ALIAS = "UpdateAlias";
  public static final String DELETE_ALIAS = "DeleteAlias";
  public static final String LIST_ALIASES = "ListAliases";
  public static final String UPDATE_KEY_DESCRIPTION = "UpdateKeyDescription";
  public static final String TAG_RESOURCE = "TagResource";
  public static final String UNTAG_RESOURCE = "UntagResource";
  public static final String LIST_RESOURCE_TAGS = "ListResourceTags";
  public static final String ENABLE_KEY = "EnableKey";
  public static final String DISABLE_KEY = "DisableKey";
  public static final String SCHEDULE_KEY_DELETION = "ScheduleKeyDeletion";
  public static final String CANCEL_KEY_DELETION = "CancelKeyDeletion";
  public static final String ENCRYPT = "Encrypt";
  public static final String DECRYPT = "Decrypt";
  public static final String RE_ENCRYPT = "ReEncrypt";
  public static final String GENERATE_DATA_KEY = "GenerateDataKey";
  public static final String GENERATE_DATA_KEY_WITHOUT_PLAINTEXT =
      "GenerateDataKeyWithoutPlaintext";
  public static final String GENERATE_RANDOM = "GenerateRandom";
  public static final String SIGN = "Sign";
  public static final String VERIFY = "Verify";
  public static final String GENERATE_MAC = "GenerateMac";
  public static final String VERIFY_MAC = "VerifyMac";
  public static final String GET_PUBLIC_KEY = "GetPublicKey";
  public static final String GENERATE_DATA_KEY_PAIR = "GenerateDataKeyPair";
  public static final String GENERATE_DATA_KEY_PAIR_WITHOUT_PLAINTEXT =
      "GenerateDataKeyPairWithoutPlaintext";
  /**
   * Coffer extension (not an AWS operation): attaches an X.509 certificate chain to an
   * asymmetric key. Input {@code {"KeyId", "CertificateChain": [base64 DER, leaf first]}},
   * output {@code {"KeyId": arn}}.
   */
  public static final String PUT_CERTIFICATE_CHAIN = "PutCertificateChain";
  /**
   * Coffer extension: the certificate chain attached to a key. Input {@code {"KeyId"}}, output
   * {@code {"KeyId": arn, "CertificateChain": [base64 DER, leaf first]}} (empty when none).
   */
  public static final String GET_CERTIFICATE_CHAIN = "GetCertificateChain";
}
