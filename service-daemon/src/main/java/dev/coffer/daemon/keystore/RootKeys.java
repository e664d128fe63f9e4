package dev.coffer.daemon.keystore;

import dev.coffer.daemon.keystore.pkcs11.Pkcs11Config;
import dev.coffer.daemon.keystore.pkcs11.Pkcs11RootKey;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Properties;

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

  public static RootKey load(Path home, SecureRandom random) throws IOException {
    Properties p = new Properties();
    Path file = home.resolve("coffer.properties");
    if (Files.isRegularFile(file)) {
      try (InputStream in = Files.newInputStream(file)) {
        p.load(in);
      }
    }
    String kind = p.getProperty("root-key-store", "software").trim();
    switch (kind) {
      case "software":
        return SoftwareRootKey.loadOrCreate(home, random);
      case "pkcs11":
        break;
      default:
        throw new IOException("coffer.properties: root-key-store must be software or pkcs11, got "
            + kind);
    }
    String library = required(p, "root-key-pkcs11-library");
    String label = p.getProperty("root-key-pkcs11-token-label");
    String index = p.getProperty("root-key-pkcs11-slot-list-index");
    Pkcs11Config config;
    try {
      config = new Pkcs11Config(library, label == null ? null : label.trim(),
          index == null ? null : Integer.valueOf(index.trim()));
    } catch (IllegalArgumentException e) {
      throw new IOException("coffer.properties: root-key-pkcs11-*: " + e.getMessage(), e);
    }
    Path pinFile = Path.of(required(p, "root-key-pkcs11-pin-file"));
    String perms = java.nio.file.attribute.PosixFilePermissions.toString(
        Files.getPosixFilePermissions(pinFile));
    if (!perms.substring(3).equals("------")) {
      throw new IOException(pinFile + " is readable by others (" + perms + "); run `chmod 600 "
          + pinFile + "` and restart");
    }
    byte[] raw = Files.readAllBytes(pinFile);
    char[] pin = new String(raw, StandardCharsets.UTF_8).strip().toCharArray();
    Arrays.fill(raw, (byte) 0);
    try {
      return Pkcs11RootKey.open(config, pin, random);
    } finally {
      Arrays.fill(pin, '\0');
    }
  }

  private static String required(Properties p, String name) throws IOException {
    String v = p.getProperty(name);
    if (v == null || v.isBlank()) {
      throw new IOException("coffer.properties: root-key-store=pkcs11 needs " + name);
    }
    return v.trim();
  }
}
