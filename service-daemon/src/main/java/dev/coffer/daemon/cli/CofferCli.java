package dev.coffer.daemon.cli;

import com.fasterxml.jackson.databind.node.TextNode;
import dev.coffer.daemon.Daemon;
import dev.coffer.daemon.cli.CliOperations.Command;
import dev.coffer.daemon.cli.CliOperations.Param;
import dev.coffer.daemon.config.DaemonConfig;
import dev.coffer.protocol.Json;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;

/**
 * {@code coffer}: the daemon ({@code coffer serve}) and the admin CLI, whose commands, options
 * and output formats are those of {@code aws kms} (docs/cli.md).
 *
 * <p>Exit status: 0 success; 254 the daemon refused the request (the AWS exception name is
 * printed); 252 the command line is wrong; 255 the daemon could not be reached.
 */
public final class CofferCli {

  static final int EXIT_SERVICE_ERROR = 254;
  static final int EXIT_USAGE = 252;
  static final int EXIT_UNREACHABLE = 255;

  private final PrintWriter out;
  private final PrintWriter err;

  CofferCli(PrintWriter out, PrintWriter err) {
    this.out = out;
    this.err = err;
  }

  /** The JDK's property for {@code SimpleFormatter}'s format (java.util.logging). */
  private static final String LOG_FORMAT = "java.util.logging.SimpleFormatter.format";

  public static void main(String[] args) {
    // One line per log record (time with offset, level, logger: message) instead of the JDK's
    // two; a format the operator gives with -D (COFFER_JAVA_OPTS) wins.
    if (System.getProperty(LOG_FORMAT) == null) {
      System.setProperty(LOG_FORMAT, "%1$tFT%1$tT.%1$tL%1$tz %4$s %3$s: %5$s%6$s%n");
    }
    PrintWriter out = new PrintWriter(System.out, true, StandardCharsets.UTF_8);
    PrintWriter err = new PrintWriter(System.err, true, StandardCharsets.UTF_8);
    int code = new CofferCli(out, err).run(args);
    out.flush();
    err.flush();
    if (code != 0 || !servingForever) {
      System.exit(code);
    }
  }

  private static volatile boolean servingForever;

  CommandLine build() {
    CommandSpec root = CommandSpec.create().name("coffer");
    root.usageMessage().description(
        "Coffer: a key management service for the JVM, modelled on AWS KMS.",
        "Commands and options are those of `aws kms`; output is the AWS response, formatted as"
            + " the AWS CLI formats it.");
    root.usageMessage().footer(GlobalOptions.usageSection());
    root.mixinStandardHelpOptions(true);
    root.version("coffer 0.1.0");
    GlobalOptions.addTo(root);
    CommandLine cl = new CommandLine(root);

    CommandSpec serve = CommandSpec.create().name("serve");
    serve.usageMessage().description("Run the daemon in the foreground.");
    serve.addOption(OptionSpec.builder("--home").paramLabel("DIR").type(Path.class)
        .description("data directory (default $COFFER_HOME, else ~/.coffer)").build());
    serve.addOption(socketOption());
    serve.addOption(OptionSpec.builder("--https-listen").paramLabel("HOST:PORT").type(String.class)
        .description("Also serve the AWS-compatible HTTPS endpoint here (overrides https-listen"
            + " in coffer.properties), e.g. 0.0.0.0:8443").build());
    serve.mixinStandardHelpOptions(true);
    cl.addSubcommand("serve", new CommandLine(serve));
    cl.addSubcommand("audit", AuditCommands.command());
    cl.addSubcommand("cluster", ClusterCommands.command());
    cl.addSubcommand("encrypt-file", new CommandLine(FileCommands.encryptSpec()));
    cl.addSubcommand("decrypt-file", new CommandLine(FileCommands.decryptSpec()));
    cl.addSubcommand("storage", StorageCommands.command());

    for (Command c : CliOperations.ALL) {
      cl.addSubcommand(c.name(), new CommandLine(operationSpec(c)));
    }
    cl.setOut(out);
    cl.setErr(err);
    return cl;
  }

  private static CommandSpec operationSpec(Command c) {
    CommandSpec spec = CommandSpec.create().name(c.name());
    spec.usageMessage().description(c.help() + " (AWS operation " + c.operation() + ")");
    spec.usageMessage().footer("", "Global options such as --output and --query: coffer help.");
    for (Param p : c.params()) {
      String help = p.required() ? p.help() + " (required)" : p.help();
      OptionSpec.Builder b = OptionSpec.builder(p.option()).description(help);
      switch (p.type()) {
        case BOOL -> b.arity("0").type(boolean.class);
        case LIST, TAGS -> b.arity("1..*").type(List.class).auxiliaryTypes(String.class)
            .paramLabel("VALUE");
        default -> b.arity("1").type(String.class).paramLabel("VALUE");
      }
      spec.addOption(b.build());
      if (p.type() == CliOperations.Type.BOOL) {
        spec.addOption(OptionSpec.builder(RequestBuilder.negated(p.option())).arity("0")
            .type(boolean.class).description("sets " + p.field() + " to false").build());
      }
    }
    if (c.paginated()) {
      spec.addOption(text("--starting-token", "TOKEN", "NextToken printed by an earlier call"));
      spec.addOption(text("--page-size", "N", "items per call to the daemon (Limit)"));
      spec.addOption(text("--max-items", "N", "print at most N items, then a NextToken"));
    }
    spec.addOption(text("--cli-input-json", "JSON",
        "the request as JSON (or file://FILE); options given as well override it"));
    spec.addOption(text("--cli-input-yaml", "YAML", "the request as YAML (or file://FILE)"));
    spec.addOption(OptionSpec.builder("--generate-cli-skeleton").arity("0..1")
        .type(String.class).paramLabel("input").description(
            "print an empty request for --cli-input-json instead of calling the daemon")
        .build());
    spec.addOption(socketOption());
    spec.mixinStandardHelpOptions(true);
    return spec;
  }

  private static OptionSpec text(String name, String label, String help) {
    return OptionSpec.builder(name).paramLabel(label).type(String.class).description(help).build();
  }

  private static OptionSpec socketOption() {
    return OptionSpec.builder("--socket").paramLabel("PATH").type(Path.class)
        .description("daemon socket (default: $COFFER_SOCKET, /run/coffer, $XDG_RUNTIME_DIR,"
            + " ~/.coffer)").build();
  }

  int run(String[] args) {
    CommandLine cl = build();
    if (args.length > 0 && args[0].equals("kms")) {
      // `aws kms list-keys` with only `aws` replaced: the service name is implied.
      args = java.util.Arrays.copyOfRange(args, 1, args.length);
    }
    args = Help.rewrite(cl, args);
    ParseResult parsed;
    try {
      parsed = cl.parseArgs(args);
    } catch (CommandLine.ParameterException e) {
      Help.explain(e, err);
      return EXIT_USAGE;
    }
    if (CommandLine.printHelpIfRequested(parsed)) {
      return 0;
    }
    if (!parsed.hasSubcommand()) {
      cl.usage(out);
      return 0;
    }
    ParseResult sub = parsed.subcommand();
    String name = sub.commandSpec().name();
    GlobalOptions globals = GlobalOptions.of(parsed);
    if (name.equals("serve")) {
      return serve(sub);
    }
    if (name.equals("storage")) {
      return StorageCommands.run(sub, out, err);
    }
    if (name.equals("audit")) {
      return AuditCommands.run(sub, globals, out, err);
    }
    if (name.equals("cluster")) {
      return ClusterCommands.run(sub, out, err);
    }
    if (name.equals("encrypt-file") || name.equals("decrypt-file")) {
      return FileCommands.run(sub, globals, err);
    }
    Command command = CliOperations.ALL.stream().filter(c -> c.name().equals(name)).findFirst()
        .orElseThrow();
    return new OperationCall(command, sub, globals, out, err).run();
  }

  private int serve(ParseResult sub) {
    Path home = sub.matchedOptionValue("--home", (Path) null);
    Path socket = sub.matchedOptionValue("--socket", (Path) null);
    try {
      DaemonConfig config = DaemonConfig.fromEnvironment(home, socket);
      String httpsListen = sub.matchedOptionValue("--https-listen", (String) null);
      if (httpsListen != null) {
        config = config.withHttps(config.https().withHttpsListen(
            dev.coffer.daemon.config.HttpsSettings.HostPort.parse(httpsListen)));
      }
      Daemon daemon;
      try (StartupLog log = new StartupLog()) {
        daemon = Daemon.start(config);
        log.started();
      }
      CountDownLatch stopped = new CountDownLatch(1);
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        daemon.close();
        stopped.countDown();
      }, "coffer-shutdown"));
      err.println("coffer: serving on " + daemon.socket() + " (data in " + config.home() + ")");
      for (String url : daemon.endpointUrls()) {
        err.println("coffer: AWS-compatible endpoint " + url
            + (url.startsWith("https:") && config.https().pkcs12File() == null
                && config.https().certificateFile() == null
                ? " (certificate for AWS_CA_BUNDLE: " + config.home().resolve("https/cert.pem") + ")"
                : ""));
      }
      daemon.metricsUrl().ifPresent(url -> err.println("coffer: metrics at " + url));
      err.flush();
      servingForever = true;
      stopped.await();
      return 0;
    } catch (IOException | RuntimeException e) {
      // One line, never a stack trace: what failed and what to do (StartFailure).
      err.println("coffer serve: " + StartFailure.describe(e,
          home != null ? home : DaemonConfig.defaultHome()));
      return 1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 1;
    }
  }

  /**
   * A blob option's bytes: {@code fileb://FILE} is the file's bytes; otherwise the text (or the
   * text of {@code file://FILE}) is base64, or with {@code raw} ({@code --cli-binary-format
   * raw-in-base64-out}) the text's UTF-8 bytes, as in AWS CLI v2.
   */
  static byte[] readBlobArgument(String value, boolean raw) throws IOException {
    if (value.startsWith("fileb://")) {
      return Files.readAllBytes(Path.of(value.substring("fileb://".length())));
    }
    value = readTextArgument(value);
    if (raw) {
      return value.getBytes(StandardCharsets.UTF_8);
    }
    // The daemon's own check (Json.bytes): only the one canonical encoding of the bytes, so the
    // CLI never sends something other than what was typed ('QR==' or 'QQ' is not 'QQ==').
    try {
      return Json.bytes(TextNode.valueOf(value.strip()));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "binary parameters take fileb://FILE or canonical base64 text; '" + abbreviate(value)
              + "' " + e.getMessage());
    }
  }

  static String readTextArgument(String value) throws IOException {
    if (value.startsWith("file://")) {
      return Files.readString(Path.of(value.substring("file://".length())));
    }
    return value;
  }

  private static String abbreviate(String s) {
    return s.length() > 20 ? s.substring(0, 20) + "..." : s;
  }
}
