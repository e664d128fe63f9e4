package dev.coffer.daemon.keystore;

import dev.coffer.daemon.config.Settings;
import dev.coffer.daemon.files.SecureFiles;
import dev.coffer.daemon.keystore.pkcs11.Pkcs11Config;
import dev.coffer.daemon.keystore.pkcs11.Pkcs11RootKey;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Arrays;

/**
 * Chooses the root key from {@code $COFFER_HOME/coffer.properties}:
 *
 * <pre>
 * root-key-store = software          # default: root.key, mode 0600, in the data directory
 * root-key-store = pkcs11            # a non-extractable key generated in a PKCS#11 token
 * root-key-pkcs11-library = /usr/lib/softhsm/libsofthsm2.so
 * root-key-pkcs11-token-label = coffer-root     # or root-key-pkcs11-slot-list-index = 0
 * root-key-pkcs11-pin-file = /etc/coffer/root-token.pin   # mode 0600 or 0400
 * </pre>
 */
public final class RootKeys {
  private RootKeys() {}

  /**
   * Opens the root key {@code coffer.properties} names, creating a software one on first start.
   *
   * @throws IOException if it cannot be opened, or a file holding it (or its token's PIN) is
   *     accessible by other users
   * @throws IllegalArgumentException naming the setting for an invalid or missing value
   */
  public static RootKey load(Path home, SecureRandom random) throws IOException {
    Settings p = Settings.read(home.resolve("coffer.properties"));
    String kind = p.get("root-key-store", "software");
    switch (kind) {
      case "software":
        requireNoPkcs11Settings(p);
        return SoftwareRootKey.loadOrCreate(home, random);
      case "pkcs11":
        break;
      default:
        throw p.invalid("root-key-store", kind, "must be software or pkcs11");
    }
    String library = required(p, "root-key-pkcs11-library");
    String label = p.get("root-key-pkcs11-token-label", null);
    int index = p.getInt("root-key-pkcs11-slot-list-index", -1, 0, Integer.MAX_VALUE);
    Pkcs11Config config;
    try {
      config = new Pkcs11Config(library, label, index < 0 ? null : index);
    } catch (IllegalArgumentException e) {
      throw new IOException(p.source() + ": root-key-pkcs11-*: " + e.getMessage(), e);
    }
    Path pinFile = Path.of(required(p, "root-key-pkcs11-pin-file"));
    SecureFiles.requireOwnerOnly(pinFile, "the PIN of the root key's token");
    byte[] raw = Files.readAllBytes(pinFile);
    char[] pin = new String(raw, StandardCharsets.UTF_8).strip().toCharArray();
    Arrays.fill(raw, (byte) 0);
    try {
      return Pkcs11RootKey.open(config, pin, random);
    } finally {
      Arrays.fill(pin, '\0');
    }
  }

  /**
   * Whether {@link #load} would create a new software root key: the store is software and
   * {@code home} has no {@code root.key}. The daemon then first checks that the database has
   * not been used with another root key ({@link RootKeyProbe#refuseNewRootKey}).
   *
   * @throws IllegalArgumentException naming the setting for an invalid {@code root-key-store}
   */
  public static boolean wouldCreate(Path home) throws IOException {
    Settings p = Settings.read(home.resolve("coffer.properties"));
    String kind = p.get("root-key-store", "software");
    if (!kind.equals("software") && !kind.equals("pkcs11")) {
      throw p.invalid("root-key-store", kind, "must be software or pkcs11");
    }
    return kind.equals("software") && !Files.exists(SoftwareRootKey.file(home));
  }

  /**
   * Refuses {@code root-key-pkcs11-*} settings under the software root key: an operator who
   * wrote them believes the root key is in a token, and it would silently not be.
   */
  private static void requireNoPkcs11Settings(Settings p) {
    for (String key : new java.util.TreeSet<>(p.stringPropertyNames())) {
      if (key.startsWith("root-key-pkcs11-")) {
        throw new IllegalArgumentException("setting '" + key + "' in " + p.source()
            + " applies only with root-key-store=pkcs11, but the root key store is "
            + p.get("root-key-store", "software (the default)")
            + "; add root-key-store=pkcs11 to keep the root key in the token, or remove the"
            + " root-key-pkcs11-* lines");
      }
    }
  }

  private static String required(Settings p, String name) {
    String v = p.get(name, "");
    if (v.isEmpty()) {
      throw p.invalid(name, v, "root-key-store=pkcs11 needs it");
    }
    return v;
  }
}
