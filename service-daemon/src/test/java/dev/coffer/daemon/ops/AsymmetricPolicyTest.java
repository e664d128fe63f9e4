package dev.coffer.daemon.ops;

import static dev.coffer.daemon.TestDaemon.bytes;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coffer.daemon.TestDaemon;
import dev.coffer.daemon.config.DaemonConfig;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Key policies, condition keys and grants for the asymmetric and HMAC operations, through the
 * real socket, with the test user an ordinary key creator whom only policies and grants allow.
 */
class AsymmetricPolicyTest {

  private static final String ME = "arn:coffer:iam::000000000000:user/"
      + System.getProperty("user.name");
  private static final byte[] DATA = "policy".getBytes(StandardCharsets.UTF_8);
  private TestDaemon d;

  @BeforeEach
  void start() throws Exception {
    d = new TestDaemon(c -> c.withAccess(new DaemonConfig.Access(List.of("user/coffer-nobody"),
        List.of("user/" + System.getProperty("user.name")), "rw-------", null)));
  }

  @AfterEach
  void stop() throws Exception {
    d.close();
  }

  private static String policy(String... statements) {
    return "{\"Version\":\"2012-10-17\",\"Statement\":[" + String.join(",", statements) + "]}";
  }

  private static String stmt(String effect, String actions, String condition) {
    return "{\"Effect\":\"" + effect + "\",\"Principal\":{\"AWS\":\"" + ME + "\"},"
        + "\"Action\":" + actions + ",\"Resource\":\"*\""
        + (condition == null ? "" : ",\"Condition\":" + condition) + "}";
  }

  private String key(String spec, String usage, String policy) {
    return d.call("CreateKey", "KeySpec", spec, "KeyUsage", usage, "Policy", policy,
        "BypassPolicyLockoutSafetyCheck", true).get("KeyMetadata").get("KeyId").asText();
  }

  @Test
  void signVerifyGetPublicKey_eachNeedsItsAction() {
    String key = key("ECC_NIST_P256", "SIGN_VERIFY", policy(stmt("Allow", "\"kms:Sign\"", null)));
    byte[] sig = bytes(d.call("Sign", "KeyId", key, "Message", DATA, "SigningAlgorithm",
        "ECDSA_SHA_256").get("Signature"));
    String msg = d.fails("AccessDeniedException", "Verify", "KeyId", key, "Message", DATA,
        "Signature", sig, "SigningAlgorithm", "ECDSA_SHA_256").getMessage();
    assertTrue(msg.contains("kms:Verify"), msg);
    d.fails("AccessDeniedException", "GetPublicKey", "KeyId", key);
    d.fails("AccessDeniedException", "GetCertificateChain", "KeyId", key);
    d.fails("AccessDeniedException", "PutCertificateChain", "KeyId", key, "CertificateChain",
        List.of());
  }

  @Test
  void conditionKeys_signingAlgorithmAndMessageType() throws Exception {
    String key = key("RSA_2048", "SIGN_VERIFY", policy(stmt("Allow", "\"kms:Sign\"",
        "{\"StringEquals\":{\"kms:SigningAlgorithm\":\"RSASSA_PSS_SHA_256\","
            + "\"kms:MessageType\":\"DIGEST\"}}")));
    byte[] digest = MessageDigest.getInstance("SHA-256").digest(DATA);
    d.call("Sign", "KeyId", key, "Message", digest, "MessageType", "DIGEST",
        "SigningAlgorithm", "RSASSA_PSS_SHA_256");
    d.fails("AccessDeniedException", "Sign", "KeyId", key, "Message", DATA,
        "SigningAlgorithm", "RSASSA_PSS_SHA_256");
    d.fails("AccessDeniedException", "Sign", "KeyId", key, "Message", digest, "MessageType",
        "DIGEST", "SigningAlgorithm", "RSASSA_PKCS1_V1_5_SHA_256");
  }

  @Test
  void conditionKeys_macAlgorithmKeySpecAndEncryptionAlgorithm() {
    String hmac = key("HMAC_256", "GENERATE_VERIFY_MAC", policy(stmt("Allow",
        "[\"kms:GenerateMac\",\"kms:VerifyMac\"]",
        "{\"StringEquals\":{\"kms:MacAlgorithm\":\"HMAC_SHA_256\",\"kms:KeySpec\":\"HMAC_256\","
            + "\"kms:KeyUsage\":\"GENERATE_VERIFY_MAC\"}}")));
    d.call("GenerateMac", "KeyId", hmac, "Message", DATA, "MacAlgorithm", "HMAC_SHA_256");
    String rsa = key("RSA_2048", "ENCRYPT_DECRYPT", policy(stmt("Allow", "\"kms:Encrypt\"",
        "{\"StringEquals\":{\"kms:EncryptionAlgorithm\":\"RSAES_OAEP_SHA_256\"}}")));
    d.call("Encrypt", "KeyId", rsa, "Plaintext", DATA, "EncryptionAlgorithm",
        "RSAES_OAEP_SHA_256");
    d.fails("AccessDeniedException", "Encrypt", "KeyId", rsa, "Plaintext", DATA,
        "EncryptionAlgorithm", "RSAES_OAEP_SHA_1");
  }

  @Test
  void rsaDecrypt_isAuthorizedAgainstTheNamedKey() {
    String rsa = key("RSA_2048", "ENCRYPT_DECRYPT", policy(stmt("Allow", "\"kms:Encrypt\"",
        null)));
    byte[] blob = bytes(d.call("Encrypt", "KeyId", rsa, "Plaintext", DATA,
        "EncryptionAlgorithm", "RSAES_OAEP_SHA_256").get("CiphertextBlob"));
    String msg = d.fails("AccessDeniedException", "Decrypt", "KeyId", rsa, "CiphertextBlob",
        blob, "EncryptionAlgorithm", "RSAES_OAEP_SHA_256").getMessage();
    assertTrue(msg.contains("kms:Decrypt"), msg);
  }

  @Test
  void grants_allowSignAndGenerateMac() {
    String ec = key("ECC_NIST_P384", "SIGN_VERIFY", policy(stmt("Allow",
        "[\"kms:CreateGrant\"]", null)));
    d.fails("AccessDeniedException", "Sign", "KeyId", ec, "Message", DATA, "SigningAlgorithm",
        "ECDSA_SHA_384");
    d.call("CreateGrant", "KeyId", ec, "GranteePrincipal", ME, "Operations",
        List.of("Sign", "GetPublicKey"));
    d.call("Sign", "KeyId", ec, "Message", DATA, "SigningAlgorithm", "ECDSA_SHA_384");
    d.call("GetPublicKey", "KeyId", ec);
    d.fails("AccessDeniedException", "Verify", "KeyId", ec, "Message", DATA, "Signature",
        new byte[8], "SigningAlgorithm", "ECDSA_SHA_384");
    // Operations the key's type does not serve are refused in the grant.
    d.fails("ValidationException", "CreateGrant", "KeyId", ec, "GranteePrincipal", ME,
        "Operations", List.of("Encrypt"));
    d.fails("ValidationException", "CreateGrant", "KeyId", ec, "GranteePrincipal", ME,
        "Operations", List.of("GenerateMac"));
    String hmac = key("HMAC_512", "GENERATE_VERIFY_MAC", policy(stmt("Allow",
        "[\"kms:CreateGrant\"]", null)));
    d.call("CreateGrant", "KeyId", hmac, "GranteePrincipal", ME, "Operations",
        List.of("GenerateMac"));
    d.call("GenerateMac", "KeyId", hmac, "Message", DATA, "MacAlgorithm", "HMAC_SHA_512");
    d.fails("ValidationException", "CreateGrant", "KeyId", hmac, "GranteePrincipal", ME,
        "Operations", List.of("GetPublicKey"));
    d.fails("ValidationException", "CreateGrant", "KeyId", hmac, "GranteePrincipal", ME,
        "Operations", List.of("GenerateMac"), "Constraints",
        java.util.Map.of("EncryptionContextSubset", java.util.Map.of("a", "b")));
  }
}
