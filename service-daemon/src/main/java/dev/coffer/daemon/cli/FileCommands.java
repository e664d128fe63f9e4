package dev.coffer.daemon.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.daemon.cli.files.AtomicOutput;
import dev.coffer.daemon.cli.files.KmsDataKeys;
import dev.coffer.daemon.cli.files.ProgressBars;
import dev.coffer.esdk.AlgorithmSuite;
import dev.coffer.esdk.BadCiphertextException;
import dev.coffer.esdk.EncryptionContext;
import dev.coffer.esdk.MessageDecryptor;
import dev.coffer.esdk.MessageEncryptor;
import dev.coffer.esdk.MessageHeader;
import dev.coffer.protocol.DaemonClient;
import dev.coffer.protocol.ErrorType;
import dev.coffer.protocol.SocketLocator;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;

/**
 * {@code coffer encrypt-file} and {@code coffer decrypt-file}: files and streams in the AWS
 * Encryption SDK message format (version 2, framed, committing suite; docs/file-encryption.md),
 * with data keys from the daemon's {@code GenerateDataKey} and {@code Decrypt}, so the files
 * interoperate with the Encryption SDK's AWS KMS keyring pointed at Coffer.
 *
 * <p>Exit status: 0 success; 1 the message was refused (truncated, altered, wrong context or
 * key); 2 a file could not be read or written; 252 the command line is wrong; 254 the daemon
 * refused a data key request; 255 the daemon could not be reached. On any failure the
 * destination is untouched.
 */
final class FileCommands {
  private FileCommands() {}

  static final int EXIT_REFUSED = 1;
  static final int EXIT_IO = 2;
  /**
   * 256 KiB, not the ESDK's 4096: every frame costs one AES-GCM {@code init} and tag, which at
   * 4 KiB frames takes about half the time of the encryption itself; at 256 KiB the framing
   * costs a few per cent. Every ESDK reads any frame length (the header carries it), and its
   * streams hold one frame at a time, so a reader's memory grows by a quarter MiB at most.
   * docs/file-encryption.md gives the measurement.
   */
  static final int DEFAULT_FRAME_SIZE = 256 * 1024;

  private static final CliOperations.Param CONTEXT = new CliOperations.Param(
      "--encryption-context", "EncryptionContext", CliOperations.Type.MAP, false, "");

  static CommandSpec encryptSpec() {
    CommandSpec s = CommandSpec.create().name("encrypt-file");
    s.usageMessage().description(
        "Encrypt a file to an AWS Encryption SDK message (client side).",
        "Format version 2, framed, suite ALG_AES_256_GCM_HKDF_SHA512_COMMIT_KEY (with --signed"
            + " the ECDSA P-384 suite), under a data key from GenerateDataKey. Streams in"
            + " constant memory; the output appears only when complete."
            + " Details: docs/file-encryption.md");
    s.addOption(text("--key-id", "KEY", "key id, key ARN, alias name or alias ARN (required)"));
    s.addOption(text("--encryption-context", "CONTEXT",
        "encryption context: k=v,k2=v2 or JSON {\"k\":\"v\"}; authenticated, stored in clear"));
    s.addOption(text("--in", "FILE", "plaintext file, or - for stdin (required)"));
    s.addOption(text("--out", "FILE", "encrypted file to write, or - for stdout (required)"));
    s.addOption(text("--frame-size", "BYTES", "plaintext bytes per frame, 1 to "
        + MessageHeader.MAX_FRAME_LENGTH + " (default " + DEFAULT_FRAME_SIZE
        + "; the ESDK's is 4096)"));
    s.addOption(flag("--signed", "add an ECDSA P-384 signature (suite"
        + " ALG_AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384)"));
    common(s);
    return s;
  }

  static CommandSpec decryptSpec() {
    CommandSpec s = CommandSpec.create().name("decrypt-file");
    s.usageMessage().description(
        "Decrypt an AWS Encryption SDK message to a file (client side).",
        "Format version 2, committing suite, written by encrypt-file or the Encryption SDK with"
            + " a KMS keyring. Nothing is written to --out unless the whole message"
            + " authenticates. Details: docs/file-encryption.md");
    s.addOption(text("--in", "FILE", "encrypted file, or - for stdin (required)"));
    s.addOption(text("--out", "FILE", "plaintext file to write (required)"));
    s.addOption(text("--encryption-context", "CONTEXT",
        "pairs the message's encryption context must contain: k=v,k2=v2 or JSON"));
    s.addOption(text("--key-id", "KEY_ARN",
        "only use a data key encrypted under this key ARN (default: any aws-kms entry)"));
    common(s);
    return s;
  }

  private static void common(CommandSpec s) {
    s.addOption(flag("--quiet", "no progress bar (there is none unless on a terminal)"));
    s.addOption(OptionSpec.builder("--socket").paramLabel("PATH").type(Path.class)
        .description("daemon socket (default: $COFFER_SOCKET, /run/coffer, $XDG_RUNTIME_DIR,"
            + " ~/.coffer)").build());
    s.usageMessage().footer("", "Global options such as --cli-read-timeout: coffer help.");
    s.mixinStandardHelpOptions(true);
  }

  private static OptionSpec text(String name, String label, String help) {
    return OptionSpec.builder(name).paramLabel(label).type(String.class).description(help).build();
  }

  private static OptionSpec flag(String name, String help) {
    return OptionSpec.builder(name).arity("0").type(boolean.class).description(help).build();
  }

  static int run(ParseResult sub, GlobalOptions globals, PrintWriter err) {
    String name = sub.commandSpec().name();
    boolean encrypt = name.equals("encrypt-file");
    String in;
    String out;
    Map<String, String> context;
    Path socket;
    int frameSize;
    try {
      in = required(sub, "--in");
      out = required(sub, "--out");
      if (encrypt) {
        required(sub, "--key-id");
      } else if (out.equals("-")) {
        throw new IllegalArgumentException("--out - is refused: decrypt-file releases plaintext"
            + " only once the whole message authenticates, so it writes a file; give --out FILE");
      }
      context = context(sub);
      if (encrypt) {
        EncryptionContext.of(context); // the reserved-prefix check, before any daemon call
      }
      frameSize = frameSize(sub);
      Path endpoint = globals.endpointSocket();
      socket = sub.hasMatchedOption("--socket") ? sub.matchedOptionValue("--socket", (Path) null)
          : endpoint != null ? endpoint : SocketLocator.forClient();
    } catch (IllegalArgumentException | IOException e) {
      err.println("coffer " + name + ": " + e.getMessage());
      return CofferCli.EXIT_USAGE;
    }
    boolean quiet = sub.hasMatchedOption("--quiet");
    String keyId = sub.matchedOptionValue("--key-id", (String) null);
    try (DaemonClient client = new DaemonClient(socket, 1, globals.readTimeout());
        InputStream input = open(in)) {
      KmsDataKeys keys = new KmsDataKeys(client, keyId);
      long total = in.equals("-") ? -1 : Files.size(Path.of(in));
      try (ProgressBars bar = ProgressBars.open(encrypt ? "Encrypting" : "Decrypting", total,
          quiet)) {
        if (encrypt) {
          MessageEncryptor enc = new MessageEncryptor(sub.hasMatchedOption("--signed")
              ? AlgorithmSuite.AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384
              : AlgorithmSuite.AES_256_GCM_HKDF_SHA512_COMMIT_KEY, frameSize);
          EncryptionContext ctx = EncryptionContext.of(context);
          if (out.equals("-")) {
            OutputStream stdout = new BufferedOutputStream(System.out, 1 << 20);
            enc.encrypt(input, stdout, ctx, keys, bar.listener());
          } else {
            try (AtomicOutput output = new AtomicOutput(Path.of(out))) {
              enc.encrypt(input, output.stream(), ctx, keys, bar.listener());
              output.commit();
            }
          }
        } else {
          try (AtomicOutput output = new AtomicOutput(Path.of(out))) {
            MessageDecryptor.decrypt(input, output.stream(), context, keys, bar.listener());
            output.commit();
          }
        }
      }
      return 0;
    } catch (KmsDataKeys.CallFailed e) {
      err.println("An error occurred (" + e.error.errorType() + ") when calling the "
          + e.operation + " operation: " + e.getMessage());
      err.println("coffer " + name + ": nothing was written to " + out);
      return e.error.errorType().equals(ErrorType.DAEMON_UNAVAILABLE)
          ? CofferCli.EXIT_UNREACHABLE : CofferCli.EXIT_SERVICE_ERROR;
    } catch (BadCiphertextException | KmsDataKeys.NoUsableKeyException e) {
      // BadCiphertextException is the Encryption SDK's name for the same refusal.
      err.println("coffer " + name + ": " + in + " refused (" + e.getClass().getSimpleName()
          + "): " + e.getMessage() + "; nothing was written to " + out);
      return EXIT_REFUSED;
    } catch (NoSuchFileException e) {
      err.println("coffer " + name + ": no such file: " + e.getFile());
      return EXIT_IO;
    } catch (IOException e) {
      err.println("coffer " + name + ": " + e.getMessage() + "; nothing was written to " + out);
      return EXIT_IO;
    } catch (IllegalArgumentException e) {
      err.println("coffer " + name + ": " + e.getMessage());
      return CofferCli.EXIT_USAGE;
    } catch (Exception e) {
      err.println("coffer " + name + ": " + e);
      return EXIT_IO;
    }
  }

  private static InputStream open(String in) throws IOException {
    // Opening a directory succeeds; its first read fails with the JDK's bare "Is a directory",
    // which names no file.
    if (!in.equals("-") && Files.isDirectory(Path.of(in))) {
      throw new IOException(in + " is a directory; give a file name for --in");
    }
    return new BufferedInputStream(in.equals("-") ? System.in
        : Files.newInputStream(Path.of(in)), 1 << 20);
  }

  private static String required(ParseResult sub, String option) {
    String v = sub.matchedOptionValue(option, (String) null);
    if (v == null || v.isEmpty()) {
      throw new IllegalArgumentException("the following arguments are required: " + option);
    }
    return v;
  }

  private static Map<String, String> context(ParseResult sub) throws IOException {
    String v = sub.matchedOptionValue("--encryption-context", (String) null);
    Map<String, String> m = new LinkedHashMap<>();
    if (v == null) {
      return m;
    }
    ObjectNode o = RequestBuilder.map(CONTEXT, CofferCli.readTextArgument(v));
    for (Map.Entry<String, JsonNode> e : o.properties()) {
      if (!e.getValue().isTextual()) {
        throw new IllegalArgumentException("--encryption-context values must be strings; '"
            + e.getKey() + "' is not");
      }
      m.put(e.getKey(), e.getValue().asText());
    }
    return m;
  }

  private static int frameSize(ParseResult sub) {
    String v = sub.matchedOptionValue("--frame-size", (String) null);
    if (v == null) {
      return DEFAULT_FRAME_SIZE;
    }
    try {
      int n = Integer.parseInt(v.trim());
      if (n >= 1 && n <= MessageHeader.MAX_FRAME_LENGTH) {
        return n;
      }
    } catch (NumberFormatException e) {
      // Falls through to the message below.
    }
    throw new IllegalArgumentException("--frame-size takes a whole number of bytes from 1 to "
        + MessageHeader.MAX_FRAME_LENGTH + ", got '" + v + "'");
  }
}
