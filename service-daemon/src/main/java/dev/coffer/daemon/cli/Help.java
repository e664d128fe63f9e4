package dev.coffer.daemon.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * {@code coffer help}, {@code coffer <command> help} and {@code coffer help <command>} as the
 * AWS CLI offers them, and command-line mistakes explained in a few lines with "did you mean"
 * suggestions instead of the whole usage text.
 */
final class Help {
  private Help() {}

  /**
   * The arguments with a {@code help} word turned into {@code --help}: a leading {@code help}
   * ({@code coffer help encrypt}), or a trailing one after command names only ({@code coffer
   * encrypt help}, {@code coffer audit lookup help}); a {@code help} that is an option's value
   * is left alone.
   */
  static String[] rewrite(CommandLine root, String[] args) {
    if (args.length > 0 && args[0].equals("help")) {
      List<String> a = new ArrayList<>(Arrays.asList(args).subList(1, args.length));
      a.add("--help");
      return a.toArray(String[]::new);
    }
    if (args.length > 1 && args[args.length - 1].equals("help")) {
      CommandLine c = root;
      for (int i = 0; i < args.length - 1; i++) {
        c = c.getSubcommands().get(args[i]);
        if (c == null) {
          return args;
        }
      }
      String[] a = args.clone();
      a[a.length - 1] = "--help";
      return a;
    }
    return args;
  }

  /** Prints what is wrong with the command line, suggestions, and where help is. */
  static void explain(CommandLine.ParameterException e, PrintWriter err) {
    CommandLine c = e.getCommandLine();
    String path = c.getCommandSpec().qualifiedName();
    if (e instanceof UnmatchedArgumentException u) {
      List<String> unmatched = u.getUnmatched();
      String first = unmatched.isEmpty() ? "" : unmatched.get(0);
      if (!first.startsWith("-") && !c.getSubcommands().isEmpty()) {
        err.println(path + ": '" + first + "' is not a command of " + path + ".");
      } else if (first.startsWith("-")) {
        err.println(path + ": unknown option " + first + ".");
      } else {
        err.println(path + ": unexpected argument" + (unmatched.size() > 1 ? "s " : " ")
            + String.join(" ", unmatched) + " (options are --name value).");
      }
      List<String> suggestions = u.getSuggestions();
      if (!suggestions.isEmpty()) {
        err.println("Did you mean: " + String.join(", ", suggestions) + "?");
      }
    } else {
      err.println(path + ": " + e.getMessage());
    }
    err.println("To see help text, you can run: coffer help"
        + (c.getParent() == null ? ", coffer <command> help" : ", " + path + " help"));
  }
}
