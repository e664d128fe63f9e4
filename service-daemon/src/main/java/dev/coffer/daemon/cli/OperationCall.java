package dev.coffer.daemon.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.coffer.daemon.cli.CliOperations.Command;
import dev.coffer.daemon.cli.output.CliOutput;
import dev.coffer.daemon.cli.output.PyValues;
import dev.coffer.protocol.DaemonClient;
import dev.coffer.protocol.ErrorType;
import dev.coffer.protocol.Json;
import dev.coffer.protocol.KmsException;
import dev.coffer.protocol.SocketLocator;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.ParseResult;

/**
 * One {@code coffer <operation>} run: options and {@code --cli-input-json} into the request,
 * the call (every page of a paginated list), and the response printed with {@code --query} and
 * {@code --output}. Exit status as in {@link CofferCli}.
 */
final class OperationCall {

  private final Command command;
  private final ParseResult sub;
  private final GlobalOptions globals;
  private final PrintWriter out;
  private final PrintWriter err;

  OperationCall(Command command, ParseResult sub, GlobalOptions globals, PrintWriter out,
      PrintWriter err) {
    this.command = command;
    this.sub = sub;
    this.globals = globals;
    this.out = out;
    this.err = err;
  }

  int run() {
    CliOutput output;
    ObjectNode input;
    Path socket;
    Duration timeout;
    try {
      output = new CliOutput(globals.output(), globals.value("--query"),
          globals.iso8601Timestamps(), OptionTable.KMS.outputTimestamps(), terminalWidth(),
          globals.color());
      if (sub.hasMatchedOption("--generate-cli-skeleton")) {
        String kind = sub.matchedOptionValue("--generate-cli-skeleton", "input");
        if (kind.isEmpty() || kind.equals("input")) {
          out.println(PyValues.json(RequestBuilder.skeleton(command)));
          return 0;
        }
        throw new IllegalArgumentException("--generate-cli-skeleton " + kind + ": coffer"
            + " generates 'input' skeletons only; the output shapes are in the AWS KMS API"
            + " reference");
      }
      input = RequestBuilder.build(command, sub, globals.rawBlobs(), cliInput());
      List<String> missing = RequestBuilder.missingRequired(command, input);
      if (!missing.isEmpty()) {
        throw new IllegalArgumentException("the following arguments are required: "
            + String.join(", ", missing));
      }
      Path endpoint = globals.endpointSocket();
      socket = sub.hasMatchedOption("--socket") ? sub.matchedOptionValue("--socket", (Path) null)
          : endpoint != null ? endpoint : SocketLocator.forClient();
      timeout = globals.readTimeout();
    } catch (IllegalArgumentException | IOException e) {
      err.println("coffer " + command.name() + ": " + e.getMessage());
      return CofferCli.EXIT_USAGE;
    }
    try (DaemonClient client = new DaemonClient(socket, 1, timeout)) {
      JsonNode response;
      if (paginate()) {
        response = Pagination.fetchAll(input, command.resultKey(), intOption("--page-size"),
            intOption("--max-items"), sub.matchedOptionValue("--starting-token", (String) null),
            req -> call(client, req, socket));
      } else {
        response = call(client, input, socket);
      }
      out.print(output.render(command.operation(), response));
      out.flush();
      return 0;
    } catch (KmsException e) {
      err.println("An error occurred (" + e.errorType() + ") when calling the "
          + command.operation() + " operation: " + e.getMessage());
      return e.errorType().equals(ErrorType.DAEMON_UNAVAILABLE) ? CofferCli.EXIT_UNREACHABLE
          : CofferCli.EXIT_SERVICE_ERROR;
    } catch (IllegalArgumentException e) {
      err.println("coffer " + command.name() + ": " + e.getMessage());
      return CofferCli.EXIT_USAGE;
    }
  }

  private ObjectNode call(DaemonClient client, ObjectNode input, Path socket) {
    long start = System.nanoTime();
    if (globals.flag("--debug")) {
      // Field names only: values may be plaintext, keys or tokens.
      List<String> fields = new java.util.ArrayList<>();
      input.fieldNames().forEachRemaining(fields::add);
      err.println("coffer: calling " + command.operation() + " on " + socket + " with fields "
          + fields);
    }
    // Printed as the AWS CLI prints what botocore parsed: members in the model's order.
    ObjectNode response = (ObjectNode) OptionTable.KMS.inModelOrder(command.operation(),
        client.call(command.operation(), input));
    if (globals.flag("--debug")) {
      err.printf("coffer: %s answered in %.1f ms%n", command.operation(),
          (System.nanoTime() - start) / 1e6);
    }
    return response;
  }

  /**
   * Whether to fetch every page, as the AWS CLI does for a paginated operation unless {@code
   * --no-paginate}, {@code --limit} or {@code --marker} is given.
   */
  private boolean paginate() {
    if (!command.paginated()) {
      return false;
    }
    boolean paging = sub.hasMatchedOption("--starting-token")
        || sub.hasMatchedOption("--page-size") || sub.hasMatchedOption("--max-items");
    if (globals.flag("--no-paginate")) {
      if (paging) {
        throw new IllegalArgumentException("Cannot specify --no-paginate along with pagination"
            + " arguments: --starting-token, --page-size, --max-items");
      }
      return false;
    }
    return !(sub.hasMatchedOption("--limit") || sub.hasMatchedOption("--marker"));
  }

  private Integer intOption(String name) {
    String v = sub.matchedOptionValue(name, (String) null);
    if (v == null) {
      return null;
    }
    try {
      int n = Integer.parseInt(v.trim());
      if (n < 1) {
        throw new NumberFormatException();
      }
      return n;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + " takes a positive whole number, got '" + v + "'");
    }
  }

  /** {@code --cli-input-json} or {@code --cli-input-yaml}: a JSON/YAML object, or file://FILE. */
  private ObjectNode cliInput() throws IOException {
    String json = sub.matchedOptionValue("--cli-input-json", (String) null);
    String yaml = sub.matchedOptionValue("--cli-input-yaml", (String) null);
    if (json != null && yaml != null) {
      throw new IllegalArgumentException("give --cli-input-json or --cli-input-yaml, not both");
    }
    if (json == null && yaml == null) {
      return Json.object();
    }
    String name = json != null ? "--cli-input-json" : "--cli-input-yaml";
    String text = CofferCli.readTextArgument(json != null ? json : yaml);
    JsonNode n;
    try {
      n = (json != null ? Json.MAPPER : new ObjectMapper(new YAMLFactory())).readTree(text);
    } catch (IOException e) {
      throw new IllegalArgumentException(name + " is not valid " + (json != null ? "JSON" : "YAML")
          + ": " + e.getMessage().lines().findFirst().orElse(""));
    }
    if (!(n instanceof ObjectNode o)) {
      throw new IllegalArgumentException(name + " must be an object of request fields");
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = o.fields(); it.hasNext(); ) {
      String field = it.next().getKey();
      if (command.params().stream().noneMatch(p -> p.field().equals(field))) {
        throw new IllegalArgumentException(name + ": " + field + " is not a parameter of "
            + command.operation() + " (see coffer " + command.name()
            + " --generate-cli-skeleton)");
      }
    }
    return o;
  }

  /** The terminal's width when output is a terminal, else 80 (as the AWS CLI's table does). */
  private static int terminalWidth() {
    if (System.console() == null) {
      return 80;
    }
    try {
      Process p = new ProcessBuilder("stty", "size").redirectInput(
          ProcessBuilder.Redirect.from(new java.io.File("/dev/tty"))).start();
      String[] f = new String(p.getInputStream().readAllBytes()).trim().split("\\s+");
      p.waitFor();
      return f.length == 2 ? Integer.parseInt(f[1]) : 80;
    } catch (IOException | NumberFormatException e) {
      return 80;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 80;
    }
  }
}
