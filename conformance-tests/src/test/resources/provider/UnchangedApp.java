import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Key;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.Provider;
import java.security.SecureRandom;
import java.security.Security;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.KeyGenerator;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * An ordinary application written against the JDK alone: it names no provider and no
 * non-JDK type. Whoever runs it decides, through java.security, where KeyStore "KMS" comes
 * from. Prints key=value lines; exits 3 with error= and cause= lines on any exception.
 *
 * <pre>
 * UnchangedApp roundtrip ALIAS DIR   encrypt/decrypt a small and a large message, save them
 * UnchangedApp decrypt   ALIAS DIR   decrypt the saved messages (in a fresh JVM)
 * UnchangedApp tamper    ALIAS DIR   decrypt altered copies of the saved small message
 * </pre>
 */
public class UnchangedApp {

  static final byte[] AAD = "invoice-2024-0042".getBytes(StandardCharsets.UTF_8);
  static final byte[] SMALL = "attack at dawn; bring the good coffee beans"
      .getBytes(StandardCharsets.UTF_8);

  public static void main(String[] args) {
    try {
      String mode = args[0];
      String alias = args[1];
      Path dir = Path.of(args[2]);
      switch (mode) {
        case "roundtrip" -> roundTrip(alias, dir);
        case "decrypt" -> decryptSaved(alias, dir);
        case "tamper" -> tamper(alias, dir);
        default -> throw new IllegalArgumentException("unknown mode " + mode);
      }
      out("done", true);
    } catch (Exception e) {
      out("error", e.getClass().getName() + ": " + e.getMessage());
      for (Throwable c = e.getCause(); c != null; c = c.getCause()) {
        out("cause", c.getClass().getName() + ": " + c.getMessage());
      }
      System.out.flush();
      System.exit(3);
    }
  }

  /** A little over 1 MiB, odd length: several envelope segments. */
  static byte[] large() {
    byte[] b = new byte[(1 << 20) + 4099];
    new java.util.Random(42).nextBytes(b);
    return b;
  }

  static Key loadKey(String alias) throws Exception {
    KeyStore ks = KeyStore.getInstance("KMS");
    ks.load(null, null);
    out("keystore.provider", ks.getProvider().getName());
    List<String> aliases = new ArrayList<>(Collections.list(ks.aliases()));
    Collections.sort(aliases);
    out("keystore.aliases", String.join(",", aliases));
    out("keystore.containsAlias", ks.containsAlias(alias));
    out("keystore.isKeyEntry", ks.isKeyEntry(alias));
    Key key = ks.getKey(alias, null);
    out("key.algorithm", key.getAlgorithm());
    out("key.format", key.getFormat());
    out("key.encodedIsNull", key.getEncoded() == null);
    out("key.isSecretKey", key instanceof SecretKey);
    return key;
  }

  static void roundTrip(String alias, Path dir) throws Exception {
    Provider[] providers = Security.getProviders();
    for (int i = 0; i < providers.length; i++) {
      out("provider." + providers[i].getName(), i + 1);
    }
    Key key = loadKey(alias);
    save(dir, "small", seal(key, SMALL, "small"));
    byte[] large = large();
    save(dir, "large", seal(key, large, "large"));
    out("small.sha256", sha256(SMALL));
    out("large.sha256", sha256(large));

    // An ordinary key in the same JVM, the same call: must still be SunJCE's business.
    byte[] raw = new byte[32];
    new SecureRandom().nextBytes(raw);
    SecretKey plain = new SecretKeySpec(raw, "AES");
    Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
    c.init(Cipher.ENCRYPT_MODE, plain);
    out("plainKey.encrypt.provider", c.getProvider().getName());
    c.updateAAD(AAD);
    byte[] ct = c.doFinal(SMALL);
    Cipher d = Cipher.getInstance("AES/GCM/NoPadding");
    d.init(Cipher.DECRYPT_MODE, plain, new GCMParameterSpec(128, c.getIV()));
    out("plainKey.decrypt.provider", d.getProvider().getName());
    d.updateAAD(AAD);
    out("plainKey.roundtrip", Arrays.equals(SMALL, d.doFinal(ct)));
    out("keyGenerator.AES.provider", KeyGenerator.getInstance("AES").getProvider().getName());
  }

  /** Encrypts, decrypts in the same JVM, returns {ciphertext, iv}. */
  static byte[][] seal(Key key, byte[] plaintext, String label) throws Exception {
    Cipher enc = Cipher.getInstance("AES/GCM/NoPadding");
    enc.init(Cipher.ENCRYPT_MODE, key);
    out(label + ".encrypt.provider", enc.getProvider().getName());
    int predicted = enc.getOutputSize(plaintext.length);
    enc.updateAAD(AAD);
    byte[] ct = enc.doFinal(plaintext);
    byte[] iv = enc.getIV();
    out(label + ".outputSizeExact", predicted == ct.length);
    out(label + ".ciphertextContainsPlaintext", indexOf(ct, plaintext) >= 0);
    Cipher dec = Cipher.getInstance("AES/GCM/NoPadding");
    dec.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(128, iv));
    out(label + ".decrypt.provider", dec.getProvider().getName());
    dec.updateAAD(AAD);
    out(label + ".roundtrip", Arrays.equals(plaintext, dec.doFinal(ct)));
    return new byte[][] {ct, iv};
  }

  static void decryptSaved(String alias, Path dir) throws Exception {
    Key key = loadKey(alias);
    for (String label : List.of("small", "large")) {
      byte[] ct = Files.readAllBytes(dir.resolve(label + ".ct"));
      byte[] iv = Files.readAllBytes(dir.resolve(label + ".iv"));
      Cipher dec = Cipher.getInstance("AES/GCM/NoPadding");
      dec.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(128, iv));
      out(label + ".decrypt.provider", dec.getProvider().getName());
      dec.updateAAD(AAD);
      out(label + ".sha256", sha256(dec.doFinal(ct)));
    }
  }

  /** Each alteration must fail the same way SunJCE's does: AEADBadTagException, no output. */
  static void tamper(String alias, Path dir) throws Exception {
    Key key = loadKey(alias);
    byte[] ct = Files.readAllBytes(dir.resolve("small.ct"));
    byte[] iv = Files.readAllBytes(dir.resolve("small.iv"));
    int overhead = ct.length - SMALL.length;
    out("small.overhead", overhead);
    // The header precedes the data: half-way into the overhead is inside it (the encrypted
    // data key), clear of a leading format-version byte. The tag is last.
    tryOpen("header", key, flip(ct, overhead / 2), iv, AAD);
    tryOpen("ciphertext", key, flip(ct, ct.length - 16 - SMALL.length / 2), iv, AAD);
    tryOpen("tag", key, flip(ct, ct.length - 1), iv, AAD);
    tryOpen("aad", key, ct, iv, "invoice-2024-0043".getBytes(StandardCharsets.UTF_8));
    tryOpen("truncated", key, Arrays.copyOf(ct, ct.length - 1), iv, AAD);
    tryOpen("untouched", key, ct, iv, AAD);
  }

  static void tryOpen(String label, Key key, byte[] ct, byte[] iv, byte[] aad) {
    try {
      Cipher dec = Cipher.getInstance("AES/GCM/NoPadding");
      dec.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(128, iv));
      dec.updateAAD(aad);
      byte[] pt = dec.doFinal(ct);
      out("tamper." + label, Arrays.equals(pt, SMALL) ? "decrypted" : "wrong-plaintext");
    } catch (AEADBadTagException e) {
      out("tamper." + label, e.getClass().getName());
    } catch (Exception e) {
      out("tamper." + label, e.getClass().getName() + ": " + e.getMessage());
    }
  }

  static byte[] flip(byte[] b, int i) {
    byte[] c = b.clone();
    c[i] ^= 0x01;
    return c;
  }

  static void save(Path dir, String label, byte[][] sealed) throws Exception {
    Files.write(dir.resolve(label + ".ct"), sealed[0]);
    Files.write(dir.resolve(label + ".iv"), sealed[1]);
  }

  static String sha256(byte[] b) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
  }

  static int indexOf(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  static void out(String k, Object v) {
    System.out.println(k + "=" + v);
  }
}
