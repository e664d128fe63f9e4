package dev.coffer.jca.spi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coffer.jca.KeyPairs;
import dev.coffer.jca.TestData;
import dev.coffer.jca.key.KmsKeyGenParameterSpec;
import java.security.InvalidAlgorithmParameterException;
import java.security.InvalidKeyException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.MGF1ParameterSpec;
import javax.crypto.BadPaddingException;
import javax.crypto.Cipher;
import javax.crypto.IllegalBlockSizeException;
import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PSource;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class KmsRsaOaepCipherSpiTest {

  private static final String SHA256 = "RSA/ECB/OAEPWithSHA-256AndMGF1Padding";
  private static final String SHA1 = "RSA/ECB/OAEPWithSHA-1AndMGF1Padding";
  private static final OAEPParameterSpec AWS_SHA256 = new OAEPParameterSpec(
      "SHA-256", "MGF1", MGF1ParameterSpec.SHA256, PSource.PSpecified.DEFAULT);

  private static KeyPair pair;

  @BeforeAll
  static void setUp() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("RSA",
        dev.coffer.jca.TestDaemon.provider());
    g.initialize(2048);
    g.initialize(KmsKeyGenParameterSpec.builder().keyUsage("ENCRYPT_DECRYPT").build());
    pair = g.generateKeyPair();
  }

  @Test
  void jdkEncryptsWithThePublicKey_cofferDecryptsInTheDaemon() throws Exception {
    byte[] secret = TestData.data(190);
    Cipher enc = Cipher.getInstance(SHA256);
    enc.init(Cipher.ENCRYPT_MODE, pair.getPublic(), AWS_SHA256);
    byte[] ct = enc.doFinal(secret);
    Cipher dec = Cipher.getInstance(SHA256); // delayed selection: the handle goes to Coffer
    dec.init(Cipher.DECRYPT_MODE, pair.getPrivate());
    assertArrayEquals(secret, dec.doFinal(ct));
    assertEquals("Coffer", dec.getProvider().getName());
  }

  @Test
  void sha1_roundTripsWithTheJdkDefaults() throws Exception {
    Cipher enc = Cipher.getInstance(SHA1);
    enc.init(Cipher.ENCRYPT_MODE, pair.getPublic());
    byte[] ct = enc.doFinal(new byte[] {1, 2, 3});
    Cipher dec = Cipher.getInstance(SHA1);
    dec.init(Cipher.DECRYPT_MODE, pair.getPrivate());
    assertArrayEquals(new byte[] {1, 2, 3}, dec.doFinal(ct));
  }

  @Test
  void encryptModeWithTheHandle_usesItsPublicKeyLocally() throws Exception {
    Cipher enc = Cipher.getInstance(SHA256, "Coffer");
    enc.init(Cipher.ENCRYPT_MODE, pair.getPrivate());
    byte[] ct = enc.doFinal(new byte[] {9});
    Cipher dec = Cipher.getInstance(SHA256, "Coffer");
    dec.init(Cipher.DECRYPT_MODE, pair.getPrivate(), AWS_SHA256);
    assertArrayEquals(new byte[] {9}, dec.doFinal(ct));
  }

  @Test
  void jdkDefaultSha256Parameters_mgf1Sha1_doNotDecrypt() throws Exception {
    // The JDK's OAEPWithSHA-256AndMGF1Padding uses MGF1-SHA-1 by default; AWS uses SHA-256.
    Cipher enc = Cipher.getInstance(SHA256, "SunJCE");
    enc.init(Cipher.ENCRYPT_MODE, pair.getPublic());
    byte[] ct = enc.doFinal(new byte[] {1});
    Cipher dec = Cipher.getInstance(SHA256);
    dec.init(Cipher.DECRYPT_MODE, pair.getPrivate());
    assertThrows(BadPaddingException.class, () -> dec.doFinal(ct));
    InvalidAlgorithmParameterException e = assertThrows(InvalidAlgorithmParameterException.class,
        () -> Cipher.getInstance(SHA256, "Coffer").init(Cipher.DECRYPT_MODE, pair.getPrivate(),
            new OAEPParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA1,
                PSource.PSpecified.DEFAULT)));
    assertTrue(e.getMessage().contains("MGF1 with SHA-256"), e.getMessage());
  }

  @Test
  void wrongLengthAndWrongKeys_areRefused() throws Exception {
    Cipher dec = Cipher.getInstance(SHA256, "Coffer");
    dec.init(Cipher.DECRYPT_MODE, pair.getPrivate());
    assertThrows(IllegalBlockSizeException.class, () -> dec.doFinal(new byte[255]));
    KeyPair ec = KeyPairs.generate("EC", new java.security.spec.ECGenParameterSpec("secp256r1"));
    assertThrows(InvalidKeyException.class,
        () -> Cipher.getInstance(SHA256, "Coffer").init(Cipher.DECRYPT_MODE, ec.getPrivate()));
    KeyPairGenerator local = KeyPairGenerator.getInstance("RSA", "SunRsaSign");
    local.initialize(2048);
    assertThrows(InvalidKeyException.class, () -> Cipher.getInstance(SHA256, "Coffer")
        .init(Cipher.DECRYPT_MODE, local.generateKeyPair().getPrivate()));
  }

  @Test
  void keysOfTheOtherUsage_areRefusedAtInit() throws Exception {
    // A SIGN_VERIFY RSA key cannot decrypt (AWS: InvalidKeyUsageException), so Cipher.init
    // refuses it, in ENCRYPT_MODE too: a local encryption under it would make a ciphertext that
    // no one can ever decrypt. Likewise an ENCRYPT_DECRYPT key cannot sign.
    KeyPair signing = KeyPairs.generate("RSA", new java.security.spec.RSAKeyGenParameterSpec(
        2048, java.security.spec.RSAKeyGenParameterSpec.F4));
    for (int mode : new int[] {Cipher.DECRYPT_MODE, Cipher.ENCRYPT_MODE}) {
      InvalidKeyException e = assertThrows(InvalidKeyException.class,
          () -> Cipher.getInstance(SHA256, "Coffer").init(mode, signing.getPrivate()));
      assertTrue(e.getMessage().contains("SIGN_VERIFY"), e.getMessage());
    }
    InvalidKeyException e = assertThrows(InvalidKeyException.class,
        () -> java.security.Signature.getInstance("SHA256withRSA", "Coffer")
            .initSign(pair.getPrivate()));
    assertTrue(e.getMessage().contains("ENCRYPT_DECRYPT"), e.getMessage());
  }
}
