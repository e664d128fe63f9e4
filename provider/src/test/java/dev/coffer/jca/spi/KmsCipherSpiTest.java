package dev.coffer.jca.spi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coffer.jca.TestDaemon;
import dev.coffer.jca.core.KmsCipherException;
import dev.coffer.jca.key.KmsEncryptionContextSpec;
import dev.coffer.jca.key.KmsKey;
import java.security.InvalidAlgorithmParameterException;
import java.security.InvalidKeyException;
import java.util.Map;
import javax.crypto.BadPaddingException;
import javax.crypto.Cipher;
import javax.crypto.IllegalBlockSizeException;
import javax.crypto.KeyGenerator;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class KmsCipherSpiTest {

  private static KmsKey key;
  private static final KmsEncryptionContextSpec CTX =
      KmsEncryptionContextSpec.of(Map.of("purpose", "test", "tenant", "a"));

  @BeforeAll
  static void setUp() {
    key = TestDaemon.newKey();
  }

  private static Cipher kms(int mode, KmsKey k, KmsEncryptionContextSpec ctx) throws Exception {
    Cipher c = Cipher.getInstance("KMS", "Coffer");
    c.init(mode, k, ctx);
    return c;
  }

  @Test
  void encryptDecrypt_roundTripsWithContext() throws Exception {
    byte[] ct = kms(Cipher.ENCRYPT_MODE, key, CTX).doFinal("secret".getBytes());
    assertArrayEquals("secret".getBytes(), kms(Cipher.DECRYPT_MODE, key, CTX).doFinal(ct));
  }

  @Test
  void updateThenDoFinal_roundTrips() throws Exception {
    Cipher c = kms(Cipher.ENCRYPT_MODE, key, null);
    assertEquals(0, c.update("sec".getBytes()).length);
    byte[] ct = c.doFinal("ret".getBytes());
    assertArrayEquals("secret".getBytes(), kms(Cipher.DECRYPT_MODE, key, null).doFinal(ct));
  }

  @Test
  void exactly4096Bytes_encrypts() throws Exception {
    byte[] ct = kms(Cipher.ENCRYPT_MODE, key, null).doFinal(new byte[4096]);
    assertEquals(4096, kms(Cipher.DECRYPT_MODE, key, null).doFinal(ct).length);
  }

  @Test
  void over4096Bytes_throwsIllegalBlockSize() throws Exception {
    Cipher c = kms(Cipher.ENCRYPT_MODE, key, null);
    IllegalBlockSizeException e =
        assertThrows(IllegalBlockSizeException.class, () -> c.doFinal(new byte[4097]));
    assertTrue(e.getMessage().contains("4096"));
  }

  @Test
  void wrongContext_failsAsBadPadding() throws Exception {
    byte[] ct = kms(Cipher.ENCRYPT_MODE, key, CTX).doFinal("x".getBytes());
    assertThrows(BadPaddingException.class,
        () -> kms(Cipher.DECRYPT_MODE, key, KmsEncryptionContextSpec.of(Map.of("purpose", "no")))
            .doFinal(ct));
    assertThrows(BadPaddingException.class, () -> kms(Cipher.DECRYPT_MODE, key, null).doFinal(ct));
  }

  @Test
  void tamperedBlob_failsAsBadPadding() throws Exception {
    byte[] ct = kms(Cipher.ENCRYPT_MODE, key, null).doFinal("x".getBytes());
    ct[ct.length - 1] ^= 1;
    assertThrows(BadPaddingException.class, () -> kms(Cipher.DECRYPT_MODE, key, null).doFinal(ct));
  }

  @Test
  void disabledKey_failsNamingDisabledException() throws Exception {
    KmsKey k = TestDaemon.newKey();
    TestDaemon.disable(k);
    KmsCipherException e = assertThrows(KmsCipherException.class,
        () -> kms(Cipher.ENCRYPT_MODE, k, null).doFinal("x".getBytes()));
    assertEquals("DisabledException", e.errorType());
  }

  @Test
  void wrapUnwrap_returnsSameKey() throws Exception {
    KeyGenerator g = KeyGenerator.getInstance("AES", "SunJCE");
    g.init(256);
    SecretKey dataKey = g.generateKey();
    byte[] wrapped = kms(Cipher.WRAP_MODE, key, CTX).wrap(dataKey);
    SecretKey back =
        (SecretKey) kms(Cipher.UNWRAP_MODE, key, CTX).unwrap(wrapped, "AES", Cipher.SECRET_KEY);
    assertArrayEquals(dataKey.getEncoded(), back.getEncoded());
    assertEquals("AES", back.getAlgorithm());
  }

  @Test
  void wrapKmsHandle_refused() throws Exception {
    assertThrows(InvalidKeyException.class, () -> kms(Cipher.WRAP_MODE, key, null).wrap(key));
  }

  @Test
  void unwrapGarbage_throwsInvalidKey() throws Exception {
    assertThrows(InvalidKeyException.class,
        () -> kms(Cipher.UNWRAP_MODE, key, null).unwrap(new byte[80], "AES", Cipher.SECRET_KEY));
  }

  @Test
  void unwrapAsPrivateKey_refused() throws Exception {
    byte[] wrapped = kms(Cipher.WRAP_MODE, key, null).wrap(new SecretKeySpec(new byte[16], "AES"));
    assertThrows(InvalidKeyException.class,
        () -> kms(Cipher.UNWRAP_MODE, key, null).unwrap(wrapped, "RSA", Cipher.PRIVATE_KEY));
  }

  @Test
  void otherParameterSpec_refused() throws Exception {
    Cipher c = Cipher.getInstance("KMS", "Coffer");
    assertThrows(InvalidAlgorithmParameterException.class,
        () -> c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, new byte[12])));
  }

  @Test
  void ordinaryKey_refused() throws Exception {
    Cipher c = Cipher.getInstance("KMS", "Coffer");
    assertThrows(InvalidKeyException.class,
        () -> c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(new byte[16], "AES")));
  }
}
