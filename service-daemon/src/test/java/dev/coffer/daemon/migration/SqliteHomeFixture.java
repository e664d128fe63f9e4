package dev.coffer.daemon.migration;

import com.fasterxml.jackson.databind.JsonNode;
import dev.coffer.daemon.TestDaemon;
import dev.coffer.daemon.storage.Database;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.X509EncodedKeySpec;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import javax.crypto.Cipher;
import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PSource;

/**
 * A SQLite home populated through a real daemon with every kind of state, and ciphertexts taken
 * from it.
 */
public final class SqliteHomeFixture {

  static final byte[] SECRET = "migrated secret".getBytes(java.nio.charset.StandardCharsets.UTF_8);
  private static final SecureRandom RANDOM = new SecureRandom();

  /** Ciphertext blob -> the key that made it. */
  public final Map<byte[], String> ciphertexts = new LinkedHashMap<>();
  public final List<String> keys = new ArrayList<>();
  /** The key scheduled for deletion, 7 days after the fixture's clock. */
  public String pendingDeletion;

  /** Creates keys (rotated, imported, asymmetric, HMAC, one pending deletion) and more. */
  public void populate(TestDaemon d) throws Exception {
    String rotated = d.createKey();
    keys.add(rotated);
    encrypt(d, rotated);
    d.call("RotateKeyOnDemand", "KeyId", rotated);
    encrypt(d, rotated);
    d.call("EnableKeyRotation", "KeyId", rotated);
    d.call("TagResource", "KeyId", rotated, "Tags",
        List.of(Map.of("TagKey", "team", "TagValue", "payments")));
    d.call("CreateAlias", "AliasName", "alias/payments", "TargetKeyId", rotated);
    d.call("CreateGrant", "KeyId", rotated, "GranteePrincipal",
        "arn:aws:iam::000000000000:user/alice", "Operations", List.of("Decrypt"));
    String policy = d.call("GetKeyPolicy", "KeyId", rotated, "PolicyName", "default")
        .get("Policy").asText();
    d.call("PutKeyPolicy", "KeyId", rotated, "PolicyName", "default", "Policy", policy);

    for (int i = 0; i < 3; i++) {
      String k = d.createKey();
      keys.add(k);
      encrypt(d, k);
    }

    String imported = d.call("CreateKey", "Origin", "EXTERNAL").get("KeyMetadata")
        .get("KeyId").asText();
    JsonNode p = d.call("GetParametersForImport", "KeyId", imported, "WrappingAlgorithm",
        "RSAES_OAEP_SHA_256", "WrappingKeySpec", "RSA_2048");
    PublicKey pub = KeyFactory.getInstance("RSA").generatePublic(
        new X509EncodedKeySpec(TestDaemon.bytes(p.get("PublicKey"))));
    byte[] material = new byte[32];
    RANDOM.nextBytes(material);
    Cipher oaep = Cipher.getInstance("RSA/ECB/OAEPPadding");
    oaep.init(Cipher.ENCRYPT_MODE, pub, new OAEPParameterSpec("SHA-256", "MGF1",
        MGF1ParameterSpec.SHA256, PSource.PSpecified.DEFAULT));
    d.call("ImportKeyMaterial", "KeyId", imported, "ImportToken",
        TestDaemon.bytes(p.get("ImportToken")), "EncryptedKeyMaterial", oaep.doFinal(material),
        "ExpirationModel", "KEY_MATERIAL_DOES_NOT_EXPIRE");
    keys.add(imported);
    encrypt(d, imported);

    d.call("CreateKey", "KeySpec", "RSA_2048", "KeyUsage", "SIGN_VERIFY");
    d.call("CreateKey", "KeySpec", "HMAC_256", "KeyUsage", "GENERATE_VERIFY_MAC");
    String doomed = d.createKey();
    pendingDeletion = doomed;
    encrypt(d, doomed);
    d.call("ScheduleKeyDeletion", "KeyId", doomed, "PendingWindowInDays", 7);
    d.call("CreateAccessKey", "UserName", "carol");
  }

  private void encrypt(TestDaemon d, String key) {
    ciphertexts.put(TestDaemon.bytes(d.call("Encrypt", "KeyId", key, "Plaintext", SECRET)
        .get("CiphertextBlob")), key);
  }

  /** SHA-256 of a file's bytes, hex. */
  public static String sha256(Path file) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
        .digest(Files.readAllBytes(file)));
  }

  /** A plain connection, for checks. */
  public static Connection connect(String url) throws SQLException {
    Properties p = new Properties();
    p.setProperty("user", "postgres");
    p.setProperty("password", "");
    return DriverManager.getConnection(url, p);
  }
}
