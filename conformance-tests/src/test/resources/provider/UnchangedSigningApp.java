import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Key;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.Certificate;
import java.util.HexFormat;
import javax.crypto.Cipher;
import javax.crypto.Mac;

/**
 * A JDK-only application (compiled with no class path): it signs, MACs and decrypts with keys
 * from {@code KeyStore.getInstance("KMS")}, picking algorithms by standard names only. Which
 * provider serves it is the operator's registration (java.security). Prints key=value lines.
 *
 * <pre>
 * java UnchangedSigningApp sign ALIAS DIR      (DIR/data.bin in; sig.bin, cert.der out)
 * java UnchangedSigningApp mac ALIAS DIR       (DIR/data.bin in; mac.bin out)
 * java UnchangedSigningApp decrypt ALIAS DIR   (DIR/ct.bin in; pt.bin out)
 * </pre>
 */
public final class UnchangedSigningApp {
  public static void main(String[] args) throws Exception {
    String mode = args[0];
    String alias = args[1];
    Path dir = Path.of(args[2]);
    KeyStore ks = KeyStore.getInstance("KMS");
    ks.load(null, null);
    Key key = ks.getKey(alias, null);
    System.out.println("key.algorithm=" + key.getAlgorithm());
    System.out.println("key.encodedIsNull=" + (key.getEncoded() == null));
    switch (mode) {
      case "sign" -> {
        byte[] data = Files.readAllBytes(dir.resolve("data.bin"));
        Signature s = Signature.getInstance("SHA256withECDSA");
        s.initSign((PrivateKey) key);
        s.update(data);
        byte[] sig = s.sign();
        System.out.println("sign.provider=" + s.getProvider().getName());
        Files.write(dir.resolve("sig.bin"), sig);
        Certificate cert = ks.getCertificate(alias);
        Files.write(dir.resolve("cert.der"), cert.getEncoded());
        Signature v = Signature.getInstance("SHA256withECDSA");
        v.initVerify(cert);
        v.update(data);
        System.out.println("verified=" + v.verify(sig));
        System.out.println("verify.provider=" + v.getProvider().getName());
        v.initVerify(cert);
        data[0] ^= 1;
        v.update(data);
        System.out.println("tamperedVerified=" + v.verify(sig));
      }
      case "mac" -> {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(key);
        byte[] tag = mac.doFinal(Files.readAllBytes(dir.resolve("data.bin")));
        System.out.println("mac.provider=" + mac.getProvider().getName());
        System.out.println("mac=" + HexFormat.of().formatHex(tag));
        Files.write(dir.resolve("mac.bin"), tag);
      }
      case "decrypt" -> {
        Cipher c = Cipher.getInstance("RSA/ECB/OAEPWithSHA-256AndMGF1Padding");
        c.init(Cipher.DECRYPT_MODE, key);
        byte[] pt = c.doFinal(Files.readAllBytes(dir.resolve("ct.bin")));
        System.out.println("decrypt.provider=" + c.getProvider().getName());
        Files.write(dir.resolve("pt.bin"), pt);
      }
      default -> throw new IllegalArgumentException(mode);
    }
    System.out.println("done=true");
  }
}
