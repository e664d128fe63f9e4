package dev.coffer.esdk;

/**
 * The two AWS Encryption SDK algorithm suites Coffer writes and reads: both message format
 * version 2, AES-256-GCM with a 12-byte IV and 16-byte tag, HKDF-SHA512 key derivation salted
 * with the message ID, and a 32-byte commitment key in the header (the "committing" suites that
 * the ESDK's default {@code RequireEncryptRequireDecrypt} policy accepts). Source: the ESDK
 * specification, framework/algorithm-suites.md.
 */
public enum AlgorithmSuite {
  /** {@code ALG_AES_256_GCM_HKDF_SHA512_COMMIT_KEY}, ID 0x0478: no signature. */
  AES_256_GCM_HKDF_SHA512_COMMIT_KEY(0x0478, false),
  /**
   * {@code ALG_AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384}, ID 0x0578: as 0x0478 plus an
   * ECDSA P-384/SHA-384 signature over the whole message in a footer.
   */
  AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384(0x0578, true);

  /** Bytes of the data key KMS generates, of the derived key and of the commitment key. */
  public static final int KEY_BYTES = 32;
  public static final int IV_BYTES = 12;
  public static final int TAG_BYTES = 16;
  public static final int MESSAGE_ID_BYTES = 32;
  public static final int COMMIT_KEY_BYTES = 32;

  private final int id;
  private final boolean signed;

  AlgorithmSuite(int id, boolean signed) {
    this.id = id;
    this.signed = signed;
  }

  /** The two-byte suite ID as written in the header. */
  public int id() {
    return id;
  }

  /** Whether messages carry the {@code aws-crypto-public-key} context entry and a footer. */
  public boolean signed() {
    return signed;
  }

  /**
   * The suite with this ID.
   *
   * @throws BadCiphertextException for any other ID: Coffer reads only the committing version-2
   *     suites (older suites lack key commitment, which this reader requires, as the ESDK's
   *     default commitment policy does)
   */
  public static AlgorithmSuite byId(int id) throws BadCiphertextException {
    for (AlgorithmSuite s : values()) {
      if (s.id == id) {
        return s;
      }
    }
    throw new BadCiphertextException(String.format("algorithm suite 0x%04X is not one Coffer"
        + " reads: only the committing suites 0x0478 and 0x0578 (message format version 2)"
        + " are accepted, as under the ESDK's RequireEncryptRequireDecrypt policy", id));
  }
}
