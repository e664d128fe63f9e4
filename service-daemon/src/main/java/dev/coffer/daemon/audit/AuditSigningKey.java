package dev.coffer.daemon.audit;

import dev.coffer.daemon.files.SecureFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;

/**
 * The daemon's Ed25519 key that signs audit digests.
 *
 * <p>Security contract: the private key is not KMS key material and never leaves the daemon's
 * data directory ({@code audit-signing-key.p8}, PKCS#8 DER, mode 0600, written atomically); the
 * public key is published as {@code audit/signing-public.pem} (SubjectPublicKeyInfo PEM, mode
 * 0644) so auditors can check digests with {@code coffer audit verify} or {@code openssl pkeyutl
 * -verify -rawin}. Anyone who can read the private key can forge digests, so auditors should pin
 * the public key's fingerprint out of band rather than trust the copy beside the logs.
 */
final class AuditSigningKey {

  static final String PRIVATE_FILE = "audit-signing-key.p8";
  static final String ALGORITHM = "Ed25519";

  private final PrivateKey privateKey;
  private final PublicKey publicKey;

  private AuditSigningKey(PrivateKey privateKey, PublicKey publicKey) {
    this.privateKey = privateKey;
    this.publicKey = publicKey;
  }

  /**
   * Loads the existing key from {@code home} ({@code coffer audit archive}); never creates one.
   *
   * @throws IOException if it is missing, too open, or does not match {@code signing-public.pem}
   */
  static AuditSigningKey load(Path home, Path auditDir) throws IOException {
    if (!Files.exists(home.resolve(PRIVATE_FILE))) {
      throw new IOException("no audit signing key at " + home.resolve(PRIVATE_FILE));
    }
    return loadOrCreate(home, auditDir);
  }

  /** Loads the key from {@code home}, creating it on first use; writes the public PEM. */
  static AuditSigningKey loadOrCreate(Path home, Path auditDir) throws IOException {
    Path file = home.resolve(PRIVATE_FILE);
    try {
      KeyFactory kf = KeyFactory.getInstance(ALGORITHM);
      AuditSigningKey key;
      if (Files.exists(file)) {
        SecureFiles.requireOwnerOnly(file, "the audit signing key");
        byte[] der = Files.readAllBytes(file);
        PrivateKey priv = kf.generatePrivate(new PKCS8EncodedKeySpec(der));
        java.util.Arrays.fill(der, (byte) 0);
        Path pem = auditDir.resolve(AuditFiles.PUBLIC_KEY);
        if (!Files.exists(pem)) {
          throw new IOException(file + " exists but " + pem + " is missing; restore it (the"
              + " public key cannot be derived portably) or move both aside to start a new key");
        }
        key = new AuditSigningKey(priv, readPublic(pem));
      } else {
        KeyPair kp = KeyPairGenerator.getInstance(ALGORITHM).generateKeyPair();
        // Public half first: a private key never exists without the PEM auditors check with.
        writePublic(auditDir, kp.getPublic());
        byte[] der = kp.getPrivate().getEncoded();
        try {
          if (!SecureFiles.createNew(file, der, SecureFiles.OWNER_ONLY)) {
            return loadOrCreate(home, auditDir); // another process created it first
          }
        } finally {
          java.util.Arrays.fill(der, (byte) 0);
        }
        key = new AuditSigningKey(kp.getPrivate(), kp.getPublic());
      }
      key.checkPair();
      return key;
    } catch (GeneralSecurityException e) {
      throw new IOException("audit signing key " + file + " is unusable: " + e.getMessage(), e);
    }
  }

  private static void writePublic(Path auditDir, PublicKey pub) throws IOException {
    String pem = "-----BEGIN PUBLIC KEY-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
            .encodeToString(pub.getEncoded())
        + "\n-----END PUBLIC KEY-----\n";
    SecureFiles.replace(auditDir.resolve(AuditFiles.PUBLIC_KEY),
        pem.getBytes(StandardCharsets.US_ASCII), SecureFiles.PUBLIC_READ);
  }

  /** Reads a SubjectPublicKeyInfo PEM (or DER) Ed25519 public key. */
  static PublicKey readPublic(Path file) throws IOException {
    byte[] raw = Files.readAllBytes(file);
    String text = new String(raw, StandardCharsets.US_ASCII);
    byte[] der = text.contains("-----BEGIN PUBLIC KEY-----")
        ? Base64.getMimeDecoder().decode(text.replaceAll("-----[A-Z ]+-----", "").trim())
        : raw;
    try {
      return KeyFactory.getInstance(ALGORITHM).generatePublic(new X509EncodedKeySpec(der));
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw new IOException(file + " is not an Ed25519 public key: " + e.getMessage(), e);
    }
  }

  /** A wrong public key beside the logs would make every digest fail: catch it at start-up. */
  private void checkPair() throws GeneralSecurityException, IOException {
    byte[] probe = "coffer audit key check".getBytes(StandardCharsets.US_ASCII);
    if (!verify(publicKey, probe, sign(probe))) {
      throw new IOException("audit/signing-public.pem does not match " + PRIVATE_FILE);
    }
  }

  byte[] sign(byte[] data) throws GeneralSecurityException {
    Signature s = Signature.getInstance(ALGORITHM);
    s.initSign(privateKey);
    s.update(data);
    return s.sign();
  }

  PublicKey publicKey() {
    return publicKey;
  }

  static boolean verify(PublicKey key, byte[] data, byte[] signature) {
    try {
      Signature s = Signature.getInstance(ALGORITHM);
      s.initVerify(key);
      s.update(data);
      return s.verify(signature);
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  /** SHA-256 of the SubjectPublicKeyInfo DER, as {@code openssl pkey -pubin -outform DER}. */
  static String fingerprint(PublicKey key) {
    return AuditFiles.sha256Hex(key.getEncoded());
  }
}
