package dev.coffer.daemon.cli;

import dev.coffer.daemon.config.DaemonConfig;
import dev.coffer.daemon.config.StorageSettings;
import dev.coffer.daemon.migration.MigrationException;
import dev.coffer.daemon.migration.PostgresTarget;
import dev.coffer.daemon.migration.SqliteMigration;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;

/**
 * {@code coffer storage migrate}: copies a stopped SQLite home into an empty PostgreSQL database
 * ({@link SqliteMigration}; docs/cluster.md, "Migrating a SQLite home"). It runs without the
 * daemon, which must be stopped; it writes nothing into the home, and prints the settings that
 * move the home onto the new database.
 *
 * <p>Exit status: 0 migrated and verified; 1 refused or a check failed, nothing committed; 252
 * the command line is wrong; 2 the home or the password file could not be read.
 */
final class StorageCommands {
  private StorageCommands() {}

  static final int EXIT_REFUSED = 1;
  static final int EXIT_IO = 2;
  static final int DEFAULT_SAMPLE_KEYS = 20;

  static CommandLine command() {
    CommandSpec storage = CommandSpec.create().name("storage");
    storage.usageMessage().description("Move a home's durable state between storage engines.");
    storage.mixinStandardHelpOptions(true);
    CommandLine cl = new CommandLine(storage);

    CommandSpec migrate = CommandSpec.create().name("migrate");
    migrate.usageMessage().description(
        "Copy a stopped daemon's SQLite home into an empty PostgreSQL database in one",
        "transaction; commit only when every table's rows and sample ciphertexts match.",
        "The home is only read. The password comes from --jdbc-password-file (mode",
        "0600 or 0400) or $COFFER_JDBC_PASSWORD, never from the command line.");
    migrate.addOption(OptionSpec.builder("--home").paramLabel("DIR").type(Path.class)
        .description("data directory (default $COFFER_HOME, else ~/.coffer)").build());
    migrate.addOption(OptionSpec.builder("--to").paramLabel("ENGINE").type(String.class)
        .required(true).description("the engine to migrate to: postgresql").build());
    migrate.addOption(OptionSpec.builder("--jdbc-url").paramLabel("URL").type(String.class)
        .required(true).description("e.g. jdbc:postgresql://db:5432/coffer").build());
    migrate.addOption(OptionSpec.builder("--jdbc-user").paramLabel("USER").type(String.class)
        .required(true).description("the database role").build());
    migrate.addOption(OptionSpec.builder("--jdbc-password-file").paramLabel("FILE")
        .type(Path.class).description("file holding the role's password (mode 0600 or 0400);"
            + " default: $COFFER_JDBC_PASSWORD").build());
    // Accepted only to refuse it with the way to pass a password (picocli would echo it).
    migrate.addOption(OptionSpec.builder("--jdbc-password").paramLabel("NEVER").type(String.class)
        .hidden(true).build());
    migrate.addOption(OptionSpec.builder("--socket").paramLabel("PATH").type(Path.class)
        .description("the socket the home's daemon listens on, checked to be silent (default:"
            + " where `coffer serve` would listen)").build());
    migrate.addOption(OptionSpec.builder("--sample-keys").paramLabel("N").type(int.class)
        .defaultValue(Integer.toString(DEFAULT_SAMPLE_KEYS))
        .description("enabled symmetric keys whose versions are probed (default "
            + DEFAULT_SAMPLE_KEYS + ")").build());
    migrate.mixinStandardHelpOptions(true);
    cl.addSubcommand("migrate", new CommandLine(migrate));
    return cl;
  }

  static int run(ParseResult storage, PrintWriter out, PrintWriter err) {
    if (!storage.hasSubcommand()) {
      storage.commandSpec().commandLine().usage(out);
      return 0;
    }
    ParseResult sub = storage.subcommand();
    if (sub.hasMatchedOption("--jdbc-password")) {
      err.println("coffer storage migrate: the password is never a command-line argument (other"
          + " users can read a process's arguments); use --jdbc-password-file or "
          + StorageSettings.PASSWORD_VARIABLE);
      return CofferCli.EXIT_USAGE;
    }
    String to = sub.matchedOptionValue("--to", "");
    if (!to.equals("postgresql")) {
      err.println("coffer storage migrate: --to must be postgresql (the only engine a SQLite"
          + " home migrates to); got '" + to + "'");
      return CofferCli.EXIT_USAGE;
    }
    int sample = sub.matchedOptionValue("--sample-keys", DEFAULT_SAMPLE_KEYS);
    if (sample < 1) {
      err.println("coffer storage migrate: --sample-keys must be at least 1");
      return CofferCli.EXIT_USAGE;
    }
    Path given = sub.matchedOptionValue("--home", (Path) null);
    Path home = given != null ? given : DaemonConfig.defaultHome();
    PostgresTarget target;
    try {
      target = new PostgresTarget(sub.matchedOptionValue("--jdbc-url", (String) null),
          sub.matchedOptionValue("--jdbc-user", (String) null),
          sub.matchedOptionValue("--jdbc-password-file", (Path) null));
    } catch (IllegalArgumentException e) {
      err.println("coffer storage migrate: " + e.getMessage());
      return CofferCli.EXIT_USAGE;
    }
    try {
      Path socket = sub.matchedOptionValue("--socket", (Path) null);
      if (socket == null) {
        socket = DaemonConfig.fromEnvironment(home, null).socket();
      }
      SqliteMigration.Report r = new SqliteMigration(home, socket, target, sample,
          new SecureRandom()).run();
      print(r, home, target, out);
      return 0;
    } catch (MigrationException | IllegalArgumentException e) {
      err.println("coffer storage migrate: " + e.getMessage());
      return EXIT_REFUSED;
    } catch (IOException e) {
      err.println("coffer storage migrate: " + e.getMessage());
      return EXIT_IO;
    }
  }

  private static void print(SqliteMigration.Report r, Path home, PostgresTarget target,
      PrintWriter out) {
    out.println("Migrated " + home.resolve("coffer.db") + " into " + target.jdbcUrl() + ":");
    for (Map.Entry<String, Long> t : r.tables().entrySet()) {
      out.printf("  %-32s %d rows%n", t.getKey(), t.getValue());
    }
    out.println("Verified: each table's rows are equal on both sides; " + r.sampledVersions()
        + " key version(s) of " + r.sampledKeys() + " enabled symmetric key(s) decrypt,"
        + " in PostgreSQL, probes encrypted with the SQLite copy, and the other way round.");
    out.println("The SQLite home was only read and still works as it was. To run this home on"
        + " PostgreSQL, stop");
    out.println("using it on SQLite and set in " + home.resolve("coffer.properties") + ":");
    out.println();
    out.println("storage = postgresql");
    out.println("jdbc-url = " + target.jdbcUrl());
    out.println("jdbc-user = " + target.user());
    if (target.passwordFile() != null) {
      out.println("jdbc-password-file = " + target.passwordFile().toAbsolutePath());
    } else {
      out.println("# password: set " + StorageSettings.PASSWORD_VARIABLE
          + " in the daemon's environment, or name a jdbc-password-file");
    }
    out.flush();
  }
}
