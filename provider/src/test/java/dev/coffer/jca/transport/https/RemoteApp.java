package dev.coffer.jca.transport.https;

import java.nio.charset.StandardCharsets;
import java.security.Key;
import java.security.KeyStore;
import java.util.Arrays;
import javax.crypto.Cipher;

/**
 * Plain JCA application code (no Coffer import), run in its own JVM by {@link
 * RemoteAppProcessTest}: the provider is registered by a {@code java.security} file and
 * configured by the environment only.
 */
public final class RemoteApp {
  private RemoteApp() {}

  public static void main(String[] args) {
    try {
      KeyStore ks = KeyStore.getInstance("KMS");
      ks.load(null, null);
      Key key = ks.getKey(args[0], null);
      byte[] message = "remote application".getBytes(StandardCharsets.UTF_8);
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.ENCRYPT_MODE, key);
      byte[] sealed = c.doFinal(message);
      c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.DECRYPT_MODE, key);
      System.out.println(Arrays.equals(message, c.doFinal(sealed)) ? "ROUNDTRIP OK" : "MISMATCH");
    } catch (Exception e) {
      System.out.println("FAILED " + e);
      System.exit(2);
    }
  }
}
