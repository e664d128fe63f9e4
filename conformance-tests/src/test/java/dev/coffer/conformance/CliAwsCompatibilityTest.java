package dev.coffer.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.conformance.DaemonProcess.CliResult;
import dev.coffer.protocol.DaemonClient;
import dev.coffer.protocol.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code bin/coffer} as someone who knows {@code aws kms} types it: JMESPath queries, the AWS
 * CLI's output formats byte for byte (compared with the installed AWS CLI's own formatting code
 * on the same recorded response), help and "did you mean", and every option the AWS CLI has for
 * each implemented operation accepted.
 */
class CliAwsCompatibilityTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  /** Spaces past column 80 (YAML folding), a non-ASCII letter (table widths), a quote. */
  private static final String DESCRIPTION = "Orders of the shop's customers in Zürich, kept for"
      + " ten years as the law requires; rotate yearly and never share the key";

  private static DaemonProcess daemon;
  private static String keyId;
  private static Path scripts;

  @BeforeAll
  static void start() throws Exception {
    daemon = DaemonProcess.start();
    keyId = ok("create-key", "--description", DESCRIPTION, "--tags", "TagKey=team,TagValue=shop",
        "TagKey=cost-center,TagValue=42", "--query", "KeyMetadata.KeyId", "--output", "text")
        .trim();
    ok("create-alias", "--alias-name", "alias/orders", "--target-key-id", keyId);
    ok("create-alias", "--alias-name", "alias/other", "--target-key-id", keyId);
    ok("create-key", "--description", "second");
    scripts = Files.createTempDirectory(Path.of("/tmp"), "awscli");
    for (String s : List.of("aws_format.py", "aws_options.py")) {
      try (var in = CliAwsCompatibilityTest.class.getResourceAsStream("/awscli/" + s)) {
        Files.write(scripts.resolve(s), in.readAllBytes());
      }
    }
  }

  @AfterAll
  static void stop() throws Exception {
    daemon.close();
    DaemonProcess.deleteTree(scripts);
  }

  private static String ok(String... args) throws Exception {
    CliResult r = daemon.cli(args);
    assertEquals(0, r.exitCode(), () -> String.join(" ", args) + ": " + r.stderr());
    return r.stdout();
  }

  private static boolean awsCliInstalled() {
    try {
      return run(List.of("python3", "-c", "import awscli, botocore, jmespath"), null).exitCode()
          == 0;
    } catch (IOException e) {
      return false;
    }
  }

  private static CliResult run(List<String> cmd, Map<String, String> env) throws IOException {
    ProcessBuilder pb = new ProcessBuilder(cmd);
    if (env != null) {
      pb.environment().putAll(env);
    }
    Process p = pb.start();
    try {
      byte[] out = p.getInputStream().readAllBytes();
      byte[] err = p.getErrorStream().readAllBytes();
      if (!p.waitFor(120, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException(cmd + " hung");
      }
      return new CliResult(p.exitValue(), new String(out, StandardCharsets.UTF_8),
          new String(err, StandardCharsets.UTF_8));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
  }

  /**
   * Runs the tasks two at a time (each starts processes that mostly spend CPU starting up, and
   * the daemon serves them concurrently); their results in the tasks' order.
   */
  private static <T> List<T> twoAtATime(List<Callable<T>> tasks) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      List<T> out = new ArrayList<>();
      for (Future<T> f : pool.invokeAll(tasks)) {
        try {
          out.add(f.get());
        } catch (ExecutionException e) {
          if (e.getCause() instanceof Error failed) {
            throw failed; // an assertion inside the task
          }
          throw (Exception) e.getCause();
        }
      }
      return out;
    } finally {
      pool.shutdownNow();
    }
  }

  /** One call: the coffer command line, and the AWS operation and request behind it. */
  private record Call(List<String> args, String operation, ObjectNode input) {}

  private static Call call(String operation, String input, String... args) throws IOException {
    return new Call(List.of(args), operation, (ObjectNode) JSON.readTree(input));
  }

  @Test
  void queryAndOutput_byteIdenticalToTheAwsCliOnTheSameResponse() throws Exception {
    assumeTrue(awsCliInstalled(), "the AWS CLI (python3 awscli) is not installed");
    String key = "{\"KeyId\":\"" + keyId + "\"}";
    // Each whole response in every format; queries in the formats where their result's layout
    // differs (a machine this size runs each case in about 3 s).
    List<String> all = List.of("json", "text", "table", "yaml");
    Map<Call, Map<String, List<String>>> cases = new LinkedHashMap<>();
    cases.put(call("DescribeKey", key, "describe-key", "--key-id", keyId), Map.of("", all,
        "KeyMetadata.KeyId", List.of("json", "text"),
        "KeyMetadata.{id: KeyId, algs: EncryptionAlgorithms, on: Enabled}", all,
        "KeyMetadata.NoSuchField", List.of("json", "text", "table"),
        "KeyMetadata.[CreationDate, Description]", List.of("text")));
    cases.put(call("ListKeys", "{}", "list-keys", "--no-paginate"), Map.of("", all,
        "Keys[?KeyId=='" + keyId + "'].KeyArn | [0]", List.of("json"),
        "length(Keys)", List.of("text")));
    cases.put(call("ListAliases", "{}", "list-aliases", "--no-paginate"), Map.of("", all,
        "Aliases[?starts_with(AliasName, 'alias/o')].[AliasName, TargetKeyId]",
        List.of("text", "table"),
        "Aliases[?TargetKeyId=='" + keyId + "'] | sort_by(@, &AliasName)[].AliasName",
        List.of("json")));
    cases.put(call("ListResourceTags", key, "list-resource-tags", "--key-id", keyId,
        "--no-paginate"), Map.of("", List.of("text", "table")));
    cases.put(call("GetKeyPolicy", key, "get-key-policy", "--key-id", keyId), Map.of("", all));
    List<Callable<String>> comparisons = new ArrayList<>();
    try (DaemonClient client = new DaemonClient(daemon.socket(), 1, Duration.ofSeconds(30))) {
      for (Map.Entry<Call, Map<String, List<String>>> c : cases.entrySet()) {
        Call call = c.getKey();
        Path saved = scripts.resolve(call.operation() + ".json");
        Files.write(saved, Json.toBytes(client.call(call.operation(), call.input())));
        for (Map.Entry<String, List<String>> q : c.getValue().entrySet()) {
          String query = q.getKey();
          for (String format : q.getValue()) {
            List<String> args = new ArrayList<>(call.args());
            args.addAll(List.of("--output", format));
            if (!query.isEmpty()) {
              args.addAll(List.of("--query", query));
            }
            comparisons.add(() -> {
              CliResult coffer = daemon.cli(args.toArray(String[]::new));
              CliResult aws = run(List.of("python3", scripts.resolve("aws_format.py").toString(),
                  format, call.operation(), query, saved.toString()), null);
              assertEquals(0, aws.exitCode(), aws.stderr());
              return coffer.exitCode() == 0 && aws.stdout().equals(coffer.stdout()) ? null
                  : "coffer " + String.join(" ", args) + " (exit " + coffer.exitCode() + " "
                      + coffer.stderr() + ")\n--- aws:\n" + aws.stdout() + "--- coffer:\n"
                      + coffer.stdout();
            });
          }
        }
      }
    }
    int compared = comparisons.size();
    List<String> failures = twoAtATime(comparisons).stream().filter(f -> f != null).toList();
    assertTrue(failures.isEmpty(), failures.size() + " of " + compared + " differ:\n"
        + String.join("\n", failures));
  }

  @Test
  void iso8601TimestampFormat_fromTheAwsConfigProfile_likeTheAwsCli() throws Exception {
    assumeTrue(awsCliInstalled(), "the AWS CLI (python3 awscli) is not installed");
    Path config = scripts.resolve("aws-config");
    Files.writeString(config, "[profile iso]\ncli_timestamp_format = iso8601\n");
    Path saved = scripts.resolve("describe-iso.json");
    try (DaemonClient client = new DaemonClient(daemon.socket(), 1, Duration.ofSeconds(30))) {
      Files.write(saved, Json.toBytes(client.call("DescribeKey",
          (ObjectNode) JSON.readTree("{\"KeyId\":\"" + keyId + "\"}"))));
    }
    CliResult coffer = daemon.cli(Map.of("AWS_CONFIG_FILE", config.toString(), "TZ", "UTC"),
        "describe-key", "--key-id", keyId, "--profile", "iso");
    CliResult aws = run(List.of("python3", scripts.resolve("aws_format.py").toString(), "json",
        "DescribeKey", "", saved.toString(), "iso8601"), Map.of("TZ", "UTC"));
    assertEquals(aws.stdout(), coffer.stdout());
    assertTrue(coffer.stdout().contains("+00:00\""), coffer.stdout());
  }

  @Test
  void timestamps_plainDecimalEpochSeconds_inOutputAndAuditRecords() throws Exception {
    String created = ok("describe-key", "--key-id", keyId, "--query", "KeyMetadata.CreationDate");
    assertTrue(created.trim().matches("[0-9]{10}\\.[0-9]{1,3}"), created);
    ok("schedule-key-deletion", "--key-id", ok("create-key", "--query", "KeyMetadata.KeyId",
        "--output", "text").trim(), "--pending-window-in-days", "7");
    String records = ok("audit", "lookup", "--event-name", "ScheduleKeyDeletion", "--output",
        "jsonl");
    assertTrue(records.contains("\"deletionDate\"") || records.contains("\"DeletionDate\""),
        records);
    assertFalse(records.matches("(?s).*[0-9]E[0-9].*"), records);
  }

  @Test
  void query_nestedPathsAndFilters_andNoMatchPrintsWhatAwsPrints() throws Exception {
    assertEquals(keyId + "\n", ok("describe-key", "--key-id", "alias/orders", "--query",
        "KeyMetadata.KeyId", "--output", "text"));
    assertEquals("\"" + keyId + "\"\n", ok("list-aliases", "--query",
        "Aliases[?AliasName=='alias/orders'].TargetKeyId | [0]"));
    assertEquals("shop\n", ok("list-resource-tags", "--key-id", keyId, "--query",
        "Tags[?TagKey=='team'].TagValue", "--output", "text"));
    assertEquals("null\n", ok("describe-key", "--key-id", keyId, "--query", "KeyMetadata.Nope"));
    assertEquals("None\n", ok("describe-key", "--key-id", keyId, "--query", "KeyMetadata.Nope",
        "--output", "text"));
    CliResult bad = daemon.cli("list-keys", "--query", "Keys[0");
    assertEquals(252, bad.exitCode());
    assertTrue(bad.stderr().contains("Bad value for --query"), bad.stderr());
  }

  @Test
  void unknownOutputFormat_refused() throws Exception {
    CliResult r = daemon.cli("list-keys", "--output", "bogus");
    assertEquals(252, r.exitCode());
    assertTrue(r.stderr().contains("'bogus'") && r.stderr().contains("'table'"), r.stderr());
    assertEquals("", r.stdout());
  }

  @Test
  void help_andDidYouMean_forCommandsAndOptions() throws Exception {
    CliResult help = daemon.cli("help");
    assertEquals(0, help.exitCode());
    assertTrue(help.stdout().contains("list-keys") && help.stdout().contains("--query"),
        help.stdout());
    CliResult encryptHelp = daemon.cli("encrypt", "help");
    assertEquals(0, encryptHelp.exitCode());
    assertTrue(encryptHelp.stdout().contains("--plaintext"), encryptHelp.stdout());
    assertEquals(encryptHelp.stdout(), daemon.cli("help", "encrypt").stdout());

    for (String[] typo : new String[][] {{"list-key", "list-keys"}, {"ecnrypt", "encrypt"},
        {"descibe-key", "describe-key"}}) {
      CliResult r = daemon.cli(typo[0]);
      assertEquals(252, r.exitCode());
      assertTrue(r.stderr().contains("Did you mean") && r.stderr().contains(typo[1]), r.stderr());
      assertTrue(r.stderr().lines().count() <= 5, "no usage dump: " + r.stderr());
    }
    CliResult option = daemon.cli("encrypt", "--key-idd", keyId, "--plaintext", "aGk=");
    assertEquals(252, option.exitCode());
    assertTrue(option.stderr().contains("Did you mean: --key-id"), option.stderr());
  }

  /**
   * Coffer's own commands, which `aws kms` does not have (access keys are IAM's operations; the
   * file commands are the Encryption SDK's work, on the client; certificates are Coffer's).
   */
  private static final List<String> COFFER_COMMANDS = List.of("serve", "audit", "storage", "metrics", "get-usage",
      "help",
      "create-access-key", "list-access-keys", "update-access-key", "delete-access-key",
      "encrypt-file", "decrypt-file", "put-certificate-chain", "get-certificate-chain", "cluster");

  @Test
  void everyOptionTheAwsCliHas_isAccepted_forEveryImplementedOperation() throws Exception {
    assumeTrue(awsCliInstalled(), "the AWS CLI (python3 awscli) is not installed");
    List<String> commands = new ArrayList<>();
    java.util.regex.Pattern commandLine = java.util.regex.Pattern.compile(
        "^  ([a-z][a-z0-9-]+)  +\\S.*");
    for (String line : ok("help").lines().toList()) {
      var m = commandLine.matcher(line);
      if (m.matches() && !COFFER_COMMANDS.contains(m.group(1))) {
        commands.add(m.group(1));
      }
    }
    assertTrue(commands.size() > 40, commands.toString());
    List<String> cmd = new ArrayList<>(List.of("python3",
        scripts.resolve("aws_options.py").toString()));
    cmd.addAll(commands);
    CliResult table = run(cmd, null);
    assertEquals(0, table.exitCode(), table.stderr());
    List<String> globals = new ArrayList<>();
    Map<String, List<String>> perCommand = new LinkedHashMap<>();
    for (String line : table.stdout().lines().toList()) {
      String[] f = line.split(" ");
      List<String> args = f[0].equals("-") ? globals
          : perCommand.computeIfAbsent(f[0], k -> new ArrayList<>());
      if (f[1].equals("--generate-cli-skeleton")) {
        continue; // given last, below: it prints the request skeleton instead of calling
      }
      args.add(f[1]);
      if (f[2].equals("VALUE")) {
        args.add(value(f[1]));
      }
    }
    List<Callable<String>> calls = new ArrayList<>();
    for (Map.Entry<String, List<String>> e : perCommand.entrySet()) {
      List<String> args = new ArrayList<>();
      args.add(e.getKey());
      args.addAll(e.getValue());
      args.addAll(globals);
      args.add("--generate-cli-skeleton");
      calls.add(() -> {
        CliResult r = daemon.cli(args.toArray(String[]::new));
        return r.exitCode() == 0 ? null : String.join(" ", args) + "\n  -> " + r.stderr();
      });
    }
    List<String> refused = twoAtATime(calls).stream().filter(f -> f != null).toList();
    assertTrue(refused.isEmpty(), String.join("\n", refused));
  }

  /** A well-formed value for an option, so that only the option's name is on trial. */
  private static String value(String option) {
    return switch (option) {
      case "--output" -> "json";
      case "--query" -> "@";
      case "--color" -> "off";
      case "--cli-read-timeout", "--cli-connect-timeout", "--limit", "--page-size",
          "--max-items", "--pending-window-in-days", "--rotation-period-in-days",
          "--number-of-bytes" -> "7";
      case "--endpoint-url" -> "unix://" + daemon.socket();
      case "--cli-input-json" -> "{}";
      default -> "x";
    };
  }
}
