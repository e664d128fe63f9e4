package dev.coffer.daemon.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.ScopeType;

/**
 * The AWS CLI's global options, accepted before or after the command so that a script written
 * for {@code aws kms} runs unchanged. What each does in Coffer (act, map or no-op) is in
 * docs/cli.md; the short form is each option's help text below.
 */
final class GlobalOptions {

  /** One global option; {@code label} is null for a flag. */
  record Spec(String name, String label, String help) {}

  static final List<Spec> ALL = List.of(
      new Spec("--output", "FORMAT", "json (default), text, table, yaml or yaml-stream"),
      new Spec("--query", "JMESPATH", "JMESPath expression applied to the response"),
      new Spec("--no-paginate", null, "one call only: no automatic fetching of further pages"),
      new Spec("--debug", null, "log the call (operation, socket, field names; never values)"
          + " to stderr"),
      new Spec("--endpoint-url", "URL", "unix:///path/to/coffer.sock (same as --socket);"
          + " https:// endpoints are refused"),
      new Spec("--cli-binary-format", "FORMAT", "base64 (default): blob options take base64;"
          + " raw-in-base64-out: they take the text itself"),
      new Spec("--cli-read-timeout", "SECONDS", "seconds to wait for the answer (0: no limit;"
          + " default 60)"),
      new Spec("--color", "on|off|auto", "colour table output (auto: when a terminal)"),
      new Spec("--profile", "NAME", "AWS config profile read for cli_timestamp_format"
          + " (default $AWS_PROFILE, else default)"),
      new Spec("--region", "REGION", "no-op: the daemon's configured region names its ARNs"),
      new Spec("--no-verify-ssl", null, "no-op: the Unix socket has no TLS"),
      new Spec("--ca-bundle", "FILE", "no-op: the Unix socket has no TLS"),
      new Spec("--no-sign-request", null, "no-op: the kernel's peer credentials identify you"),
      new Spec("--cli-connect-timeout", "SECONDS", "no-op: a Unix socket connects at once"),
      new Spec("--no-cli-pager", null, "no-op: coffer never pages its output"),
      new Spec("--cli-auto-prompt", null, "no-op: coffer does not prompt"),
      new Spec("--no-cli-auto-prompt", null, "no-op: coffer does not prompt"),
      new Spec("--v2-debug", null, "no-op: AWS CLI v1's v2-migration warnings"));

  /** Adds the global options to the root command; picocli copies them into every subcommand. */
  static void addTo(CommandSpec root) {
    for (Spec s : ALL) {
      OptionSpec.Builder b = OptionSpec.builder(s.name()).description(s.help()).hidden(true)
          .scopeType(ScopeType.INHERIT);
      if (s.label() == null) {
        b.arity("0").type(boolean.class);
      } else {
        b.arity("1").type(String.class).paramLabel(s.label());
      }
      root.addOption(b.build());
    }
  }

  /** Usage text listing the global options (they are hidden from each command's own list). */
  static String[] usageSection() {
    List<String> lines = new ArrayList<>();
    lines.add("");
    lines.add("Global options (AWS CLI's; before or after the command):");
    for (Spec s : ALL) {
      String n = s.label() == null ? s.name() : s.name() + " " + s.label();
      lines.add(String.format("  %-28s %s", n, s.help()));
    }
    lines.add("");
    lines.add("Help: coffer help, coffer <command> help (or --help). Details: docs/cli.md");
    return lines.toArray(String[]::new);
  }

  /** Parse results from the leaf command up to the root: a value nearer the leaf wins. */
  private final List<ParseResult> chain;

  private GlobalOptions(List<ParseResult> chain) {
    this.chain = chain;
  }

  /** The global options given anywhere on the command line parsed into {@code root}. */
  static GlobalOptions of(ParseResult root) {
    List<ParseResult> c = new ArrayList<>();
    c.add(root);
    for (ParseResult r = root; r.hasSubcommand(); ) {
      r = r.subcommand();
      c.add(0, r);
    }
    return new GlobalOptions(c);
  }

  /** The value of an option with a parameter, from the command nearest the leaf, or null. */
  String value(String name) {
    for (ParseResult r : chain) {
      if (r.hasMatchedOption(name)) {
        return r.matchedOptionValue(name, (String) null);
      }
    }
    return null;
  }

  boolean flag(String name) {
    for (ParseResult r : chain) {
      if (r.hasMatchedOption(name)) {
        return true;
      }
    }
    return false;
  }

  String output() {
    String o = value("--output");
    return o != null ? o : "json";
  }

  /** --color: true to colour table output. */
  boolean color() {
    String c = value("--color");
    if (c == null || c.equals("auto")) {
      return System.console() != null;
    }
    if (c.equals("on") || c.equals("off")) {
      return c.equals("on");
    }
    throw new IllegalArgumentException("argument --color: Invalid choice: '" + c
        + "' (choose from 'on', 'off', 'auto')");
  }

  /** --cli-binary-format: true when blob options take raw text (raw-in-base64-out). */
  boolean rawBlobs() {
    String f = value("--cli-binary-format");
    if (f == null || f.equals("base64")) {
      return false;
    }
    if (f.equals("raw-in-base64-out")) {
      return true;
    }
    throw new IllegalArgumentException("argument --cli-binary-format: Invalid choice: '" + f
        + "' (choose from 'base64', 'raw-in-base64-out')");
  }

  /** The socket --endpoint-url names, or null; refuses anything but a Unix socket. */
  Path endpointSocket() {
    String url = value("--endpoint-url");
    if (url == null) {
      return null;
    }
    if (url.startsWith("unix://")) {
      return Path.of(url.substring("unix://".length()));
    }
    if (url.startsWith("/")) {
      return Path.of(url);
    }
    throw new IllegalArgumentException("--endpoint-url " + url + ": coffer reaches the daemon"
        + " over its Unix socket; give --endpoint-url unix:///path/to/coffer.sock or --socket"
        + " PATH (an HTTPS endpoint is for AWS SDKs, not for this CLI)");
  }

  Duration readTimeout() {
    String t = value("--cli-read-timeout");
    if (t == null) {
      return Duration.ofSeconds(60);
    }
    try {
      long s = Long.parseLong(t.trim());
      if (s < 0) {
        throw new NumberFormatException();
      }
      return s == 0 ? Duration.ofDays(3650) : Duration.ofSeconds(s);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("argument --cli-read-timeout: expected a whole number"
          + " of seconds (0 for no limit), got '" + t + "'");
    }
  }

  /**
   * True when the AWS config file's {@code cli_timestamp_format} for the profile in use is
   * {@code iso8601}; the AWS CLI v1 default ({@code none}) prints timestamps as received.
   */
  boolean iso8601Timestamps() {
    String profile = value("--profile");
    if (profile == null) {
      profile = System.getenv("AWS_PROFILE");
    }
    if (profile == null) {
      profile = "default";
    }
    String file = System.getenv("AWS_CONFIG_FILE");
    Path config = file != null ? Path.of(file)
        : Path.of(System.getProperty("user.home"), ".aws", "config");
    String section = profile.equals("default") ? "[default]" : "[profile " + profile + "]";
    try {
      if (!Files.isReadable(config)) {
        return false;
      }
      boolean in = false;
      for (String line : Files.readAllLines(config)) {
        String l = line.trim();
        if (l.startsWith("[")) {
          in = l.replaceAll("\\s+", " ").equals(section);
        } else if (in && l.contains("=")) {
          String k = l.substring(0, l.indexOf('=')).trim();
          if (k.equals("cli_timestamp_format")) {
            return l.substring(l.indexOf('=') + 1).trim().toLowerCase(Locale.ROOT)
                .equals("iso8601");
          }
        }
      }
    } catch (IOException e) {
      return false;
    }
    return false;
  }
}
