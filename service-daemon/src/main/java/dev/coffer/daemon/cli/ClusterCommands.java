package dev.coffer.daemon.cli;

import dev.coffer.daemon.config.DaemonConfig;
import dev.coffer.daemon.config.Settings;
import dev.coffer.daemon.crypto.Bytes;
import dev.coffer.daemon.files.SecureFiles;
import dev.coffer.daemon.keystore.RootKeyTransfer;
import dev.coffer.daemon.keystore.RootKeyTransfer.Refused;
import dev.coffer.daemon.keystore.SoftwareRootKey;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.SecureRandom;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;

/**
 * {@code coffer cluster join-request}, {@code export-root-key} and {@code join}: give a new
 * node the cluster's software root key wrapped for a key pair only the new node holds
 * ({@link RootKeyTransfer}; docs/cluster.md, "Joining a node"). They read and write the homes'
 * files directly, without a daemon.
 *
 * <p>Exit status: 0 done; 1 refused (the message says why and what to do), nothing written;
 * 252 the command line is wrong; 2 a file could not be read or written.
 */
final class ClusterCommands {
  private ClusterCommands() {}

  static final int EXIT_REFUSED = 1;
  static final int EXIT_IO = 2;

  /** The joining node's private key, PKCS#8 DER, mode 0600, deleted by {@code join}. */
  static final String JOIN_KEY_FILE = "cluster-join.p8";

  static CommandLine command() {
    CommandSpec cluster = CommandSpec.create().name("cluster");
    cluster.usageMessage().description(
        "Give a new node the cluster's root key (docs/cluster.md, \"Joining a node\").");
    cluster.mixinStandardHelpOptions(true);
    CommandLine cl = new CommandLine(cluster);

    CommandSpec request = CommandSpec.create().name("join-request");
    request.usageMessage().description(
        "On the NEW node: make an RSA-3072 key pair; the private half stays in",
        "HOME/" + JOIN_KEY_FILE + " (mode 0600), the public half is printed as PEM (or --out).");
    request.addOption(home("data directory of the joining node"));
    request.addOption(path("--out", "write the public key here instead of printing it"));
    request.mixinStandardHelpOptions(true);
    cl.addSubcommand("join-request", new CommandLine(request));

    CommandSpec export = CommandSpec.create().name("export-root-key");
    export.usageMessage().description(
        "On a node of the cluster: wrap its root key for the joining node's public key",
        "(RSA-OAEP-SHA-256 + AES key wrap, AWS RSA_AES_KEY_WRAP_SHA_256); print it (or --out).",
        "Software root key only: with root-key-store=pkcs11 every node uses the same token.");
    export.addOption(home("data directory of a node of the cluster"));
    export.addOption(OptionSpec.builder("--public-key").paramLabel("FILE").type(Path.class)
        .required(true).description("the public key `coffer cluster join-request` wrote")
        .build());
    export.addOption(path("--out", "write the wrapped root key here instead of printing it"));
    export.mixinStandardHelpOptions(true);
    cl.addSubcommand("export-root-key", new CommandLine(export));

    CommandSpec join = CommandSpec.create().name("join");
    join.usageMessage().description(
        "On the NEW node: unwrap the root key with HOME/" + JOIN_KEY_FILE + ", write",
        "HOME/root.key (mode 0600, atomically) and delete the join key. Run before its first start.");
    join.addOption(home("data directory of the joining node"));
    join.addOption(OptionSpec.builder("--wrapped-root-key").paramLabel("FILE").type(Path.class)
        .required(true).description("the file `coffer cluster export-root-key` wrote").build());
    join.mixinStandardHelpOptions(true);
    cl.addSubcommand("join", new CommandLine(join));
    return cl;
  }

  private static OptionSpec home(String what) {
    return OptionSpec.builder("--home").paramLabel("DIR").type(Path.class)
        .description(what + " (default $COFFER_HOME, else ~/.coffer)").build();
  }

  private static OptionSpec path(String name, String description) {
    return OptionSpec.builder(name).paramLabel("FILE").type(Path.class).description(description)
        .build();
  }

  static int run(ParseResult cluster, PrintWriter out, PrintWriter err) {
    if (!cluster.hasSubcommand()) {
      cluster.commandSpec().commandLine().usage(out);
      return 0;
    }
    ParseResult sub = cluster.subcommand();
    String name = sub.commandSpec().name();
    Path given = sub.matchedOptionValue("--home", (Path) null);
    Path home = given != null ? given : DaemonConfig.defaultHome();
    Path outFile = sub.matchedOptionValue("--out", (Path) null);
    SecureRandom random = new SecureRandom();
    try {
      switch (name) {
        case "join-request" -> joinRequest(home, outFile, random, out, err);
        case "export-root-key" -> exportRootKey(home,
            sub.matchedOptionValue("--public-key", (Path) null), outFile, random, out, err);
        default -> join(home, sub.matchedOptionValue("--wrapped-root-key", (Path) null), out);
      }
      return 0;
    } catch (Refused e) {
      err.println("coffer cluster " + name + ": " + e.getMessage());
      return EXIT_REFUSED;
    } catch (NoSuchFileException e) {
      err.println("coffer cluster " + name + ": no such file: " + e.getFile());
      return EXIT_IO;
    } catch (IOException e) {
      err.println("coffer cluster " + name + ": " + e.getMessage());
      return EXIT_IO;
    } catch (GeneralSecurityException e) {
      err.println("coffer cluster " + name + ": " + e.getMessage());
      return EXIT_IO;
    }
  }

  private static void joinRequest(Path home, Path outFile, SecureRandom random, PrintWriter out,
      PrintWriter err) throws IOException, GeneralSecurityException {
    SecureFiles.createPrivateDirectory(home);
    KeyPair pair = RootKeyTransfer.newJoinKeyPair(random);
    byte[] pkcs8 = pair.getPrivate().getEncoded();
    try {
      // A new request replaces an older one: only the newest public key can be joined with.
      SecureFiles.replace(home.resolve(JOIN_KEY_FILE), pkcs8, SecureFiles.OWNER_ONLY);
    } finally {
      Bytes.zero(pkcs8);
    }
    String pem = RootKeyTransfer.pem("PUBLIC KEY", pair.getPublic().getEncoded());
    write(pem, outFile, SecureFiles.PUBLIC_READ, out);
    err.println("coffer cluster join-request: join key in " + home.resolve(JOIN_KEY_FILE)
        + " (fingerprint " + fingerprint(pair.getPublic()) + "); on a node of the cluster run"
        + " `coffer cluster export-root-key --public-key FILE`");
  }

  private static void exportRootKey(Path home, Path publicKeyFile, Path outFile,
      SecureRandom random, PrintWriter out, PrintWriter err) throws IOException, Refused {
    Settings settings = Settings.read(home.resolve("coffer.properties"));
    if (settings.get("root-key-store", "software").equals("pkcs11")) {
      throw new Refused("this node's root key is in a PKCS#11 token (root-key-store=pkcs11) and"
          + " cannot leave it; give every node the same token and key: the same"
          + " root-key-pkcs11-library, root-key-pkcs11-token-label (or slot) and PIN file, so"
          + " they all use its keys coffer-root-aes-v1 and coffer-root-hmac-v1");
    }
    java.security.PublicKey recipient =
        RootKeyTransfer.publicKey(Files.readAllBytes(publicKeyFile));
    byte[] rootKey;
    try {
      rootKey = SoftwareRootKey.readMaterial(home);
    } catch (NoSuchFileException e) {
      throw new Refused(SoftwareRootKey.file(home) + " does not exist: run this on a node of"
          + " the cluster (its --home), which has started at least once");
    }
    byte[] wrapped;
    String check;
    try {
      wrapped = RootKeyTransfer.wrap(rootKey, recipient, random);
      check = RootKeyTransfer.shortCheckValue(RootKeyTransfer.checkValue(rootKey));
    } finally {
      Bytes.zero(rootKey);
    }
    write(RootKeyTransfer.armour(wrapped), outFile, SecureFiles.OWNER_ONLY, out);
    err.println("coffer cluster export-root-key: root key (check value " + check + ") wrapped"
        + " for public key " + fingerprint(recipient) + "; on the new node run `coffer cluster"
        + " join --wrapped-root-key FILE`");
  }

  private static void join(Path home, Path wrappedFile, PrintWriter out)
      throws IOException, GeneralSecurityException, Refused {
    byte[] wrapped = RootKeyTransfer.dearmour(Files.readString(wrappedFile,
        StandardCharsets.US_ASCII));
    Path keyFile = home.resolve(JOIN_KEY_FILE);
    if (!Files.exists(keyFile)) {
      throw new Refused(keyFile + " does not exist: run `coffer cluster join-request --home "
          + home + "` first and export the root key for the public key it writes (a join that"
          + " succeeded deletes it: then " + SoftwareRootKey.file(home) + " is in place)");
    }
    SecureFiles.requireOwnerOnly(keyFile, "this node's join key");
    byte[] pkcs8 = Files.readAllBytes(keyFile);
    PrivateKey joinKey;
    try {
      joinKey = RootKeyTransfer.privateKey(pkcs8);
    } finally {
      Bytes.zero(pkcs8);
    }
    byte[] rootKey = RootKeyTransfer.unwrap(wrapped, joinKey);
    String check = RootKeyTransfer.shortCheckValue(RootKeyTransfer.checkValue(rootKey));
    Path target = SoftwareRootKey.file(home);
    try {
      if (!SecureFiles.createNew(target, rootKey, SecureFiles.OWNER_ONLY)) {
        byte[] existing = SoftwareRootKey.readMaterial(home);
        try {
          if (!Bytes.equal(existing, rootKey)) {
            throw new Refused(target + " already holds a different root key (check value "
                + RootKeyTransfer.shortCheckValue(RootKeyTransfer.checkValue(existing))
                + ", the cluster's is " + check + "); it was not changed. If this home has"
                + " never served keys, remove its root.key and coffer.db and run join again;"
                + " if it has, it belongs to another cluster: use a new home for this node");
          }
        } finally {
          Bytes.zero(existing);
        }
      }
    } finally {
      Bytes.zero(rootKey);
    }
    Files.delete(keyFile);
    SecureFiles.fsyncDirectory(home);
    out.println("root key (check value " + check + ") installed in " + target
        + "; start the node with `coffer serve --home " + home + "`");
  }

  private static String fingerprint(java.security.PublicKey key) {
    return "SHA-256 " + java.util.HexFormat.of().formatHex(RootKeyTransfer.fingerprint(key));
  }

  private static void write(String text, Path outFile, java.util.Set<
      java.nio.file.attribute.PosixFilePermission> mode, PrintWriter out) throws IOException {
    if (outFile == null) {
      out.print(text);
      out.flush();
    } else {
      SecureFiles.replace(outFile, text.getBytes(StandardCharsets.US_ASCII), mode);
    }
  }
}
