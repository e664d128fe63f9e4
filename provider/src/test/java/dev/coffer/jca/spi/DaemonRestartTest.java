package dev.coffer.jca.spi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.coffer.daemon.Daemon;
import dev.coffer.jca.TestDaemon;
import dev.coffer.jca.core.DataKeyCaches;
import dev.coffer.jca.core.KmsCipherException;
import dev.coffer.jca.key.KmsKey;
import dev.coffer.jca.key.KmsKeySpec;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.util.Arrays;
import javax.crypto.Cipher;
import javax.crypto.SecretKeyFactory;
import org.junit.jupiter.api.Test;

/** A daemon of its own, stopped and restarted while a message is being decrypted. */
class DaemonRestartTest {

  @Test
  void daemonRestartedMidStream_decryptionCompletes() throws Exception {
    TestDaemon.provider();
    Path home = TestDaemon.newHome();
    Daemon d = TestDaemon.startIn(home);
    byte[] pt = new byte[200_000];
    Arrays.fill(pt, (byte) 7);
    byte[] ct;
    KmsKey key;
    try {
      key = createKey(d.socket());
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding", "Coffer");
      c.init(Cipher.ENCRYPT_MODE, key);
      ct = c.doFinal(pt);
    } finally {
      d.close();
    }
    DataKeyCaches.clearShared();
    Cipher dec = Cipher.getInstance("AES/GCM/NoPadding", "Coffer");
    dec.init(Cipher.DECRYPT_MODE, key);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(dec.update(ct, 0, 3)); // header incomplete: no daemon call yet
    Daemon again = TestDaemon.startIn(home);
    try {
      out.write(dec.update(ct, 3, ct.length - 3));
      out.write(dec.doFinal());
      assertArrayEquals(pt, out.toByteArray());
    } finally {
      again.close();
    }
  }

  @Test
  void daemonStoppedMidStream_doFinalNamesUnavailable() throws Exception {
    TestDaemon.provider();
    Path home = TestDaemon.newHome();
    Daemon d = TestDaemon.startIn(home);
    KmsKey key;
    byte[] ct;
    try {
      key = createKey(d.socket());
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding", "Coffer");
      c.init(Cipher.ENCRYPT_MODE, key);
      ct = c.doFinal(new byte[1000]);
    } finally {
      d.close();
    }
    DataKeyCaches.clearShared();
    Cipher dec = Cipher.getInstance("AES/GCM/NoPadding", "Coffer");
    dec.init(Cipher.DECRYPT_MODE, key);
    dec.update(ct, 0, ct.length);
    KmsCipherException e = assertThrows(KmsCipherException.class, dec::doFinal);
    org.junit.jupiter.api.Assertions.assertEquals(
        "CofferDaemonUnavailableException", e.errorType());
  }

  private static KmsKey createKey(Path socket) throws Exception {
    String prev = System.getProperty("coffer.socket");
    System.setProperty("coffer.socket", socket.toString());
    try {
      javax.crypto.KeyGenerator g = javax.crypto.KeyGenerator.getInstance("KMS", "Coffer");
      g.init(256);
      KmsKey k = (KmsKey) g.generateKey();
      SecretKeyFactory f = SecretKeyFactory.getInstance("KMS", "Coffer");
      return (KmsKey) f.generateSecret(KmsKeySpec.of(k.keyId()).withSocket(socket));
    } finally {
      System.setProperty("coffer.socket", prev);
    }
  }
}
