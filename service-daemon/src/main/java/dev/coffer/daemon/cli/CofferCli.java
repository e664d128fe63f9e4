package dev.coffer.daemon.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.daemon.Daemon;
import dev.coffer.daemon.cli.CliOperations.Command;
import dev.coffer.daemon.cli.CliOperations.Param;
import dev.coffer.daemon.config.DaemonConfig;
import dev.coffer.protocol.DaemonClient;
import dev.coffer.protocol.ErrorType;
import dev.coffer.protocol.Json;
import dev.coffer.protocol.KmsException;
import dev.coffer.protocol.SocketLocator;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;

/**
 * {@code coffer}: the daemon ({@code coffer serve}) and the admin CLI, whose commands and
 * parameters are those of {@code aws kms} and whose output is the AWS JSON response.
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

  public static void main(String[] args) {
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
        "Commands and parameters follow `aws kms`; output is the AWS JSON response.");
    root.mixinStandardHelpOptions(true);
    root.version("coffer 0.1.0");
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

    for (Command c : CliOperations.ALL) {
      CommandSpec spec = CommandSpec.create().name(c.name());
      spec.usageMessage().description(c.help() + " (AWS operation " + c.operation() + ")");
      for (Param p : c.params()) {
        OptionSpec.Builder b = OptionSpec.builder(p.option()).required(p.required())
            .description(p.help());
        switch (p.type()) {
          case BOOL -> b.arity("0").type(boolean.class);
          case LIST, TAGS -> b.arity("1..*").type(List.class).auxiliaryTypes(String.class)
              .paramLabel("VALUE");
          default -> b.arity("1").type(String.class).paramLabel("VALUE");
        }
        spec.addOption(b.build());
      }
      spec.addOption(socketOption());
      spec.addOption(OptionSpec.builder("--query").paramLabel("FIELD").type(String.class)
          .description("print only this top-level field of the response").build());
      spec.addOption(OptionSpec.builder("--output").paramLabel("json|text").type(String.class)
          .description("json (default) or text (a bare string for a --query field)").build());
      spec.mixinStandardHelpOptions(true);
      cl.addSubcommand(c.name(), new CommandLine(spec));
    }
    cl.setOut(out);
    cl.setErr(err);
    return cl;
  }

  private static OptionSpec socketOption() {
    return OptionSpec.builder("--socket").paramLabel("PATH").type(Path.class)
        .description("daemon socket (default: $COFFER_SOCKET, /run/coffer, $XDG_RUNTIME_DIR,"
            + " ~/.coffer)").build();
  }

  int run(String[] args) {
    CommandLine cl = build();
    ParseResult parsed;
    try {
      parsed = cl.parseArgs(args);
    } catch (CommandLine.ParameterException e) {
      err.println(e.getMessage());
      e.getCommandLine().usage(err);
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
    if (name.equals("serve")) {
      return serve(sub);
    }
    if (name.equals("audit")) {
      return AuditCommands.run(sub, out, err);
    }
    Command command = CliOperations.ALL.stream().filter(c -> c.name().equals(name)).findFirst()
        .orElseThrow();
    ObjectNode input;
    try {
      input = RequestBuilder.build(command, sub);
    } catch (IllegalArgumentException | IOException e) {
      err.println("coffer " + name + ": " + e.getMessage());
      return EXIT_USAGE;
    }
    Path socket = sub.hasMatchedOption("--socket")
        ? sub.matchedOptionValue("--socket", (Path) null) : SocketLocator.forClient();
    try (DaemonClient client = new DaemonClient(socket, 1, Duration.ofSeconds(60))) {
      ObjectNode response = client.call(command.operation(), input);
      print(response, sub.matchedOptionValue("--query", (String) null),
          sub.matchedOptionValue("--output", "json"));
      return 0;
    } catch (KmsException e) {
      err.println("An error occurred (" + e.errorType() + ") when calling the "
          + command.operation() + " operation: " + e.getMessage());
      return e.errorType().equals(ErrorType.DAEMON_UNAVAILABLE) ? EXIT_UNREACHABLE
          : EXIT_SERVICE_ERROR;
    }
  }

  private void print(ObjectNode response, String query, String output) {
    JsonNode selected = response;
    if (query != null) {
      selected = response.get(query);
      if (selected == null) {
        selected = Json.MAPPER.nullNode();
      }
    }
    if ("text".equals(output)) {
      if (selected.isValueNode()) {
        out.println(selected.asText());
      } else if (selected instanceof ArrayNode a) {
        a.forEach(e -> out.println(e.isValueNode() ? e.asText() : e.toString()));
      } else {
        selected.fields().forEachRemaining(e -> out.println(e.getKey() + "\t" + e.getValue().asText()));
      }
    } else if (!(selected.isObject() && selected.isEmpty())) {
      // Like the AWS CLI, an operation with an empty response prints nothing.
      out.println(Json.pretty(selected));
    }
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
      Daemon daemon = Daemon.start(config);
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
      err.flush();
      servingForever = true;
      stopped.await();
      return 0;
    } catch (IOException | IllegalArgumentException e) {
      err.println("coffer serve: " + e.getMessage());
      return 1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 1;
    }
  }

  static byte[] readBlobArgument(String value) throws IOException {
    if (value.startsWith("fileb://")) {
      return Files.readAllBytes(Path.of(value.substring("fileb://".length())));
    }
    try {
      return Base64.getDecoder().decode(value.trim());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "binary parameters take fileb://FILE or base64 text; '" + abbreviate(value)
              + "' is neither");
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
