package dev.coffer.daemon.asymmetric;

import static dev.coffer.daemon.TestDaemon.bytes;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coffer.daemon.TestDaemon;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * How private and HMAC keys are stored (docs/key-hierarchy.md), checked from outside the daemon
 * with the software root key file: each is a key version row holding AES-256-GCM under the root
 * key with the documented associated data; unwrapped it is the key the daemon uses (the private
 * key signs what the public key verifies; the HMAC key gives the daemon's MACs); and its plaintext
 * appears in no file of the data directory, before or after a restart.
 */
class AsymmetricKeyStorageTest {

  private static final byte[] DATA = "stored only wrapped".getBytes();
  private TestDaemon d;

  @BeforeEach
  void start() throws Exception {
    d = new TestDaemon();
  }

  @AfterEach
  void stop() throws Exception {
    d.close();
  }

  private String create(String spec, String usage) {
    return d.call("CreateKey", "KeySpec", spec, "KeyUsage", usage).get("KeyMetadata")
        .get("KeyId").asText();
  }

  /** The stored form of version 1 of {@code keyId}, unwrapped with root.key and the AAD. */
  private byte[] unwrapStored(String keyId, KmsKeySpec spec) throws Exception {
    byte[] stored;
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + d.home.resolve("coffer.db"));
        PreparedStatement p = c.prepareStatement(
            "SELECT stored FROM key_versions WHERE key_id = ? AND version = 1")) {
      p.setString(1, keyId);
      try (ResultSet r = p.executeQuery()) {
        assertTrue(r.next(), "a key version row for " + keyId);
        stored = r.getBytes(1);
      }
    }
    byte[] root = Files.readAllBytes(d.home.resolve("root.key"));
    Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding");
    gcm.init(Cipher.DECRYPT_MODE, new SecretKeySpec(root, "AES"),
        new GCMParameterSpec(128, Arrays.copyOf(stored, 12)));
    gcm.updateAAD(AsymmetricKeys.aad(UUID.fromString(keyId), 1, spec));
    return gcm.doFinal(stored, 12, stored.length - 12);
  }

  @Test
  void privateAndHmacKeys_storedOnlyWrappedUnderTheRootKey() throws Exception {
    String ec = create("ECC_NIST_P256", "SIGN_VERIFY");
    String rsa = create("RSA_2048", "SIGN_VERIFY");
    String hmac = create("HMAC_256", "GENERATE_VERIFY_MAC");
    byte[] ecPkcs8 = unwrapStored(ec, KmsKeySpec.ECC_NIST_P256);
    byte[] rsaPkcs8 = unwrapStored(rsa, KmsKeySpec.RSA_2048);
    byte[] hmacKey = unwrapStored(hmac, KmsKeySpec.HMAC_256);
    assertEquals(32, hmacKey.length);

    // The unwrapped private key is the key's: it signs what the published public key verifies.
    PublicKey ecPub = KeyFactory.getInstance("EC").generatePublic(new X509EncodedKeySpec(
        bytes(d.call("GetPublicKey", "KeyId", ec).get("PublicKey"))));
    Signature s = Signature.getInstance("SHA256withECDSA");
    s.initSign(KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(ecPkcs8)));
    s.update(DATA);
    byte[] sig = s.sign();
    d.call("Verify", "KeyId", ec, "Message", DATA, "Signature", sig, "SigningAlgorithm",
        "ECDSA_SHA_256");
    s.initVerify(ecPub);
    s.update(DATA);
    assertTrue(s.verify(sig));
    // The unwrapped HMAC key gives the daemon's MAC.
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(hmacKey, "HmacSHA256"));
    assertArrayEquals(mac.doFinal(DATA), bytes(d.call("GenerateMac", "KeyId", hmac, "Message",
        DATA, "MacAlgorithm", "HMAC_SHA_256").get("Mac")));

    // The secret scalars and key bytes appear nowhere in the data directory in plaintext.
    ECPrivateKey ecPriv = (ECPrivateKey) KeyFactory.getInstance("EC")
        .generatePrivate(new PKCS8EncodedKeySpec(ecPkcs8));
    RSAPrivateCrtKey rsaPriv = (RSAPrivateCrtKey) KeyFactory.getInstance("RSA")
        .generatePrivate(new PKCS8EncodedKeySpec(rsaPkcs8));
    // (Not the whole PKCS#8 encodings: an RSA one holds the public modulus, which the database
    // keeps in the clear as part of the public key.)
    List<byte[]> secrets = List.of(hmacKey, ecPriv.getS().toByteArray(),
        rsaPriv.getPrivateExponent().toByteArray(), rsaPriv.getPrimeP().toByteArray(),
        rsaPriv.getPrimeQ().toByteArray(), rsaPriv.getPrimeExponentP().toByteArray(),
        rsaPriv.getPrimeExponentQ().toByteArray(), rsaPriv.getCrtCoefficient().toByteArray());
    assertClean(secrets);
    d.restart();
    assertClean(secrets);
    // A stored key does not open as another spec (the AAD binds it).
    assertThrowsBadTag(() -> unwrapStored(ec, KmsKeySpec.ECC_SECG_P256K1));
  }

  /** A deleted key pair leaves neither its wrapped private key nor its public key behind. */
  @Test
  void deletedKey_removesPrivateAndPublicKey() throws Exception {
    String ec = create("ECC_NIST_P384", "SIGN_VERIFY");
    String kept = create("RSA_2048", "ENCRYPT_DECRYPT");
    d.call("ScheduleKeyDeletion", "KeyId", ec, "PendingWindowInDays", 7);
    d.clock.advance(java.time.Duration.ofDays(8));
    d.restart(); // maintenance runs at start-up and deletes keys whose window ended
    d.fails("NotFoundException", "GetPublicKey", "KeyId", ec);
    d.call("GetPublicKey", "KeyId", kept);
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + d.home.resolve("coffer.db"))) {
      for (String table : List.of("key_versions", "key_pairs")) {
        try (PreparedStatement p = c.prepareStatement(
            "SELECT count(*) FROM " + table + " WHERE key_id = ?")) {
          p.setString(1, ec);
          try (ResultSet r = p.executeQuery()) {
            r.next();
            assertEquals(0, r.getInt(1), table);
          }
          p.setString(1, kept);
          try (ResultSet r = p.executeQuery()) {
            r.next();
            assertEquals(1, r.getInt(1), table);
          }
        }
      }
    }
  }

  private static void assertThrowsBadTag(org.junit.jupiter.api.function.Executable e) {
    org.junit.jupiter.api.Assertions.assertThrows(javax.crypto.AEADBadTagException.class, e);
  }

  private void assertClean(List<byte[]> secrets) throws Exception {
    List<Path> files;
    try (Stream<Path> s = Files.walk(d.home)) {
      files = s.filter(Files::isRegularFile).toList();
    }
    for (Path f : files) {
      byte[] content = Files.readAllBytes(f);
      for (byte[] secret : secrets) {
        for (int off = 0; off + 16 <= secret.length; off += 16) {
          byte[] window = Arrays.copyOfRange(secret, off, off + 16);
          assertFalse(contains(content, window), f + " holds plaintext key bytes");
        }
      }
    }
  }

  private static boolean contains(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }
}
