package dev.coffer.daemon.cli;

import dev.coffer.daemon.audit.AuditArchiver;
import dev.coffer.daemon.audit.AuditLookup;
import dev.coffer.daemon.audit.AuditSource;
import dev.coffer.daemon.audit.AuditVerifier;
import dev.coffer.daemon.cli.output.CliOutput;
import dev.coffer.daemon.config.DaemonConfig;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.protocol.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;

/**
 * {@code coffer audit verify}, {@code lookup} and {@code archive}: read {@code
 * $COFFER_HOME/audit} (or, with {@code --dir}, an archive directory) directly, without the
 * daemon, so an auditor can run them on a copy of the directory. {@code archive} moves closed
 * files out ({@link AuditArchiver}); the daemon records it in the log on its next maintenance
 * pass. {@code verify} and {@code lookup} take {@code --home} and {@code --dir} several times,
 * one node's log each, and report across them ({@link NodesReport}); with one log their output
 * is what it always was.
 *
 * <p>Exit status of {@code verify}: 0 the log verified; 1 a problem was found (the first one is
 * printed); 252 the command line is wrong; 2 the files could not be read. Of {@code archive}: 0
 * archived (or nothing to archive); 1 refused, nothing removed; 252; 2.
 */
final class AuditCommands {
  private AuditCommands() {}

  static final int EXIT_PROBLEM = 1;
  static final int EXIT_IO = 2;

  static CommandLine command() {
    CommandSpec audit = CommandSpec.create().name("audit");
    audit.usageMessage().description("Check and search the audit log (reads the files directly).");
    audit.mixinStandardHelpOptions(true);
    CommandLine cl = new CommandLine(audit);

    CommandSpec verify = CommandSpec.create().name("verify");
    verify.usageMessage().description(
        "Verify record hashes, the chain across files, digests and their signatures;",
        "print OK with counts or the first problem (exit 1). With several --home/--dir:",
        "each node's log on its own, one line per node and a total.");
    verify.addOption(sources(home()));
    verify.addOption(sources("verify this archive directory on its own (written by"
        + " `coffer audit archive`) instead of the live log"));
    verify.addOption(OptionSpec.builder("--public-key").paramLabel("FILE")
        .description("pinned Ed25519 public key (PEM or DER); default: audit/signing-public.pem;"
            + " with several logs: the key each node's log must be signed with (repeatable)")
        .type(List.class).auxiliaryTypes(Path.class).build());
    verify.mixinStandardHelpOptions(true);
    cl.addSubcommand("verify", new CommandLine(verify));

    CommandSpec lookup = CommandSpec.create().name("lookup");
    lookup.usageMessage().description(
        "Print matching audit records, oldest first: a table of time, principal, operation, key",
        "and result; with --output json|text|table|yaml the records as {\"Records\": [...]}"
            + " (--query applies), with --output jsonl the raw JSON lines. With several",
        "--home/--dir: all nodes' records merged by time, each labelled with its node.");
    lookup.addOption(sources(home()));
    lookup.addOption(sources("search this archive directory instead of the live log"));
    lookup.addOption(text("--key-id", "KEY", "key id, key ARN or alias name"));
    lookup.addOption(text("--event-name", "NAME", "operation, e.g. Decrypt"));
    lookup.addOption(text("--start-time", "TIME", "ISO-8601 instant or date, inclusive"));
    lookup.addOption(text("--end-time", "TIME", "ISO-8601 instant or date, exclusive"));
    lookup.addOption(text("--principal", "USER", "Unix user name or its principal ARN"));
    lookup.mixinStandardHelpOptions(true);
    cl.addSubcommand("lookup", new CommandLine(lookup));

    CommandSpec archive = CommandSpec.create().name("archive");
    archive.usageMessage().description(
        "Move the closed log files sealed before DATE, and their digests, to DIR: copy, fsync,",
        "verify the copy, write a signed archive point, then delete them from the live log.",
        "Run as the daemon's user (it signs with the audit signing key); safe while it runs.");
    archive.addOption(home());
    archive.addOption(OptionSpec.builder("--before").paramLabel("DATE").type(String.class)
        .required(true).description("ISO-8601 instant or date (UTC): files sealed before it go")
        .build());
    archive.addOption(OptionSpec.builder("--to").paramLabel("DIR").type(Path.class)
        .required(true).description("archive directory: new or empty, or the archive the live"
            + " log continues").build());
    archive.mixinStandardHelpOptions(true);
    cl.addSubcommand("archive", new CommandLine(archive));
    return cl;
  }

  /**
   * The {@code --output}/{@code --query} form of lookup's records; null for the summary table.
   *
   * @throws IllegalArgumentException naming an unknown {@code --output} or a bad {@code --query}
   */
  static CliOutput structuredOutput(GlobalOptions globals) {
    String format = globals.value("--output");
    String query = globals.value("--query");
    if (format == null && query == null) {
      return null;
    }
    return new CliOutput(format == null ? "json" : format, query, globals.iso8601Timestamps(),
        java.util.Set.of(), 80, globals.color());
  }

  /**
   * Prints the records {@code q} finds in the chosen form: the summary table by default, the
   * raw lines for {@code --output jsonl}, else {@code {"Records": [...]}} (CloudTrail's log file
   * shape) through {@code --query} and {@code --output} like any response.
   */
  private static int lookup(AuditLookup q, Path dir, GlobalOptions globals, PrintWriter out,
      PrintWriter err) throws IOException {
    String format = globals.value("--output");
    if ("jsonl".equals(format)) {
      q.run(dir, out::println);
      return 0;
    }
    CliOutput output;
    try {
      output = AuditCommands.structuredOutput(globals);
    } catch (IllegalArgumentException e) {
      err.println("coffer audit lookup: " + e.getMessage() + "; or 'jsonl' for raw lines");
      return CofferCli.EXIT_USAGE;
    }
    ArrayNode records = Json.MAPPER.createArrayNode();
    q.run(dir, line -> records.add(Json.parseObject(line.getBytes(StandardCharsets.UTF_8))));
    if (output != null) {
      ObjectNode all = Json.object();
      all.set("Records", records);
      out.print(output.render("LookupEvents", all));
    } else {
      out.print(AuditSummary.table(records));
    }
    out.flush();
    return 0;
  }

  private static OptionSpec home() {
    return OptionSpec.builder("--home").paramLabel("DIR").type(Path.class)
        .description("data directory (default $COFFER_HOME, else ~/.coffer)").build();
  }

  /** {@code --home} or {@code --dir} of verify and lookup: repeatable, one node's log each. */
  private static OptionSpec sources(OptionSpec one) {
    return OptionSpec.builder(one.longestName()).paramLabel("DIR").type(List.class)
        .auxiliaryTypes(Path.class)
        .description(one.description()[0] + "; repeat --home/--dir to read several nodes' logs")
        .build();
  }

  private static OptionSpec sources(String dirDescription) {
    return sources(OptionSpec.builder("--dir").paramLabel("DIR").type(Path.class)
        .description(dirDescription).build());
  }

  private static OptionSpec text(String name, String label, String description) {
    return OptionSpec.builder(name).paramLabel(label).type(String.class).description(description)
        .build();
  }

  /**
   * {@code coffer audit archive}: prints what was archived (exit 0), or why nothing was (exit 1,
   * nothing removed).
   */
  private static int archive(ParseResult sub, Path home, PrintWriter out, PrintWriter err)
      throws IOException {
    Instant before;
    try {
      before = AuditLookup.parseTime(sub.matchedOptionValue("--before", (String) null));
    } catch (DateTimeParseException e) {
      err.println("coffer audit archive: --before is ISO-8601, e.g. 2026-01-01T10:00:00Z or"
          + " 2026-01-01: " + e.getParsedString());
      return CofferCli.EXIT_USAGE;
    }
    ObjectNode by = Json.object();
    by.put("uid", new com.sun.security.auth.module.UnixSystem().getUid());
    by.put("userName", System.getProperty("user.name"));
    try {
      AuditArchiver.Result r = AuditArchiver.open(home, java.time.Clock.systemUTC())
          .archive(before, sub.matchedOptionValue("--to", (Path) null), by);
      out.println(r.message());
      return 0;
    } catch (AuditArchiver.Refused e) {
      err.println("coffer audit archive: " + e.getMessage());
      return EXIT_PROBLEM;
    }
  }

  static int run(ParseResult audit, GlobalOptions globals, PrintWriter out, PrintWriter err) {
    if (!audit.hasSubcommand()) {
      audit.commandSpec().commandLine().usage(out);
      return 0;
    }
    ParseResult sub = audit.subcommand();
    String name = sub.commandSpec().name();
    if (name.equals("archive")) {
      Path home = sub.matchedOptionValue("--home", (Path) null);
      try {
        return archive(sub, home != null ? home : DaemonConfig.defaultHome(), out, err);
      } catch (IOException e) {
        err.println("coffer audit archive: cannot read " + home + ": " + e.getMessage());
        return EXIT_IO;
      }
    }
    List<AuditSource> sources;
    try {
      sources = sources(sub);
    } catch (IOException e) {
      err.println("coffer audit " + name + ": cannot read the node id: " + e.getMessage());
      return EXIT_IO;
    }
    Path dir = sources.get(0).dir();
    try {
      if (sources.size() > 1) {
        String twice = AuditSource.sameLogGivenTwice(sources);
        if (twice != null) {
          err.println((name.equals("verify") ? "FAILED: " : "coffer audit lookup: ") + twice);
          return name.equals("verify") ? EXIT_PROBLEM : CofferCli.EXIT_USAGE;
        }
      }
      if (name.equals("verify")) {
        List<Path> pinned = sub.matchedOptionValue("--public-key", List.<Path>of());
        if (sources.size() == 1 && pinned.size() <= 1) {
          java.security.PublicKey key =
              pinned.isEmpty() ? null : AuditVerifier.readKey(pinned.get(0));
          AuditVerifier.Result r = sources.get(0).archive()
              ? AuditVerifier.verifyArchive(dir, key) : AuditVerifier.verify(dir, key);
          (r.ok() ? out : err).println(r.summary());
          return r.ok() ? 0 : EXIT_PROBLEM;
        }
        return NodesReport.verify(sources, pinned, out, err) ? 0 : EXIT_PROBLEM;
      }
      Instant start;
      Instant end;
      String option = "--start-time";
      try {
        start = AuditLookup.parseTime(sub.matchedOptionValue(option, (String) null));
        option = "--end-time";
        end = AuditLookup.parseTime(sub.matchedOptionValue(option, (String) null));
      } catch (DateTimeParseException e) {
        err.println("coffer audit lookup: " + option + " '" + e.getParsedString() + "' is not a"
            + " time; give an ISO-8601 instant (2026-01-01T10:00:00Z, 2026-01-01T11:00:00+01:00)"
            + " or a date (2026-01-01, midnight UTC)");
        return CofferCli.EXIT_USAGE;
      }
      if (start != null && end != null && !end.isAfter(start)) {
        err.println("coffer audit lookup: --end-time " + end + " is not after --start-time "
            + start + " (the range is [start, end)); give an end after the start");
        return CofferCli.EXIT_USAGE;
      }
      AuditLookup q = new AuditLookup(sub.matchedOptionValue("--key-id", (String) null),
          sub.matchedOptionValue("--event-name", (String) null), start, end,
          sub.matchedOptionValue("--principal", (String) null));
      return sources.size() == 1 ? lookup(q, dir, globals, out, err)
          : NodesReport.lookup(q, sources, globals, out, err);
    } catch (IOException e) {
      err.println("coffer audit " + name + ": cannot read " + dir + ": " + e.getMessage());
      return EXIT_IO;
    }
  }

  /**
   * The logs named by {@code --home} and {@code --dir}, in the order given on the command line;
   * without either, the live log of $COFFER_HOME (else ~/.coffer).
   */
  private static List<AuditSource> sources(ParseResult sub) throws IOException {
    List<Path> homes = sub.matchedOptionValue("--home", List.<Path>of());
    List<Path> dirs = sub.matchedOptionValue("--dir", List.<Path>of());
    List<AuditSource> out = new ArrayList<>();
    int h = 0;
    int d = 0;
    for (String arg : sub.originalArgs()) {
      // picocli keeps the values of each option in order; the arguments give the mix's order
      if ((arg.equals("--home") || arg.startsWith("--home=")) && h < homes.size()) {
        out.add(AuditSource.ofHome(homes.get(h++)));
      } else if ((arg.equals("--dir") || arg.startsWith("--dir=")) && d < dirs.size()) {
        out.add(AuditSource.ofDir(dirs.get(d++)));
      }
    }
    while (h < homes.size()) {
      out.add(AuditSource.ofHome(homes.get(h++)));
    }
    while (d < dirs.size()) {
      out.add(AuditSource.ofDir(dirs.get(d++)));
    }
    if (out.isEmpty()) {
      out.add(AuditSource.ofHome(DaemonConfig.defaultHome()));
    }
    return out;
  }
}
