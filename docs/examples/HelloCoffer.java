import java.nio.charset.StandardCharsets;
import java.security.Key;
import java.security.KeyStore;
import java.util.Arrays;
import javax.crypto.Cipher;

/**
 * An unchanged JCA application: it knows nothing about Coffer. With the Coffer provider
 * registered in java.security and its jar on the class path, the key it loads is a KMS key
 * handle and the cipher is Coffer's envelope encryption.
 *
 * <p>Run: java -cp provider/target/coffer-provider.jar \
 *           -Djava.security.properties=META-INF-templates/java.security.coffer \
 *           docs/examples/HelloCoffer.java alias/quickstart
 */
public class HelloCoffer {
  public static void main(String[] args) throws Exception {
    String alias = args.length > 0 ? args[0] : "alias/quickstart";
    KeyStore ks = KeyStore.getInstance("KMS");
    ks.load(null, null);
    Key key = ks.getKey(alias, null);
    System.out.println("key " + alias + ": " + key.getAlgorithm() + ", getEncoded() = "
        + Arrays.toString(key.getEncoded()));

    byte[] message = "Hello from an unchanged JCA app".getBytes(StandardCharsets.UTF_8);
    Cipher enc = Cipher.getInstance("AES/GCM/NoPadding");
    enc.init(Cipher.ENCRYPT_MODE, key);
    byte[] ciphertext = enc.doFinal(message);
    System.out.println("encrypted " + message.length + " bytes into " + ciphertext.length
        + " with provider " + enc.getProvider().getName());

    Cipher dec = Cipher.getInstance("AES/GCM/NoPadding");
    dec.init(Cipher.DECRYPT_MODE, key, enc.getParameters());
    String back = new String(dec.doFinal(ciphertext), StandardCharsets.UTF_8);
    System.out.println("decrypted: " + back);
    if (!back.equals(new String(message, StandardCharsets.UTF_8))) {
      throw new AssertionError("round trip failed");
    }
  }
}
