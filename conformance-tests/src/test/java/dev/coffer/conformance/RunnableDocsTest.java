package dev.coffer.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Runs every shell block of {@code README.md} and {@code docs/*.md} marked runnable ({@code
 * <!-- run -->} on the line before the fence), file by file, in a temporary home against a real
 * daemon, and fails on a non-zero exit or on an output that contradicts a {@code # => TEXT}
 * claim. The convention and the adaptations are in docs/cli.md ("Runnable documentation").
 */
class RunnableDocsTest {

  private static final Pattern MARKER = Pattern.compile("^<!--\\s*run(?::\\s*given\\s+(.*?))?\\s*-->\\s*$");
  private static final Pattern FENCE = Pattern.compile("^(\\s*)```(sh|bash|shell)\\s*$");
  /**
   * {@code <!-- run-daemon: https KEY=VALUE ... -->} anywhere in a file: the settings of the
   * daemon its blocks run against ({@code $USER} in a value is the test's user); {@code https}
   * opens the AWS-compatible endpoint on a free loopback port, given to the blocks as {@code
   * $ENDPOINT} with its certificate as {@code $CA}.
   */
  private static final Pattern DAEMON = Pattern.compile("^<!--\\s*run-daemon:\\s*(.*?)\\s*-->\\s*$");
  private static final Pattern EXPECT = Pattern.compile("^(.*?)\\s+# => (.+?)\\s*$");

  /** One marked block: where it starts, what runs first, its lines. */
  record Block(Path file, int line, String given, List<String> lines) {}

  static List<Block> blocks(Path file) throws IOException {
    List<String> all = Files.readAllLines(file, StandardCharsets.UTF_8);
    List<Block> blocks = new ArrayList<>();
    for (int i = 0; i + 1 < all.size(); i++) {
      Matcher m = MARKER.matcher(all.get(i).trim());
      if (!m.matches()) {
        continue;
      }
      Matcher fence = FENCE.matcher(all.get(i + 1));
      if (!fence.matches()) {
        throw new IllegalStateException(file + ":" + (i + 1)
            + ": <!-- run --> must be followed by a ```sh fence");
      }
      // A block inside a list item is indented: its lines lose the fence's indentation.
      String indent = fence.group(1);
      List<String> lines = new ArrayList<>();
      int j = i + 2;
      while (j < all.size() && !all.get(j).trim().startsWith("```")) {
        String l = all.get(j++);
        lines.add(l.startsWith(indent) ? l.substring(indent.length()) : l);
      }
      blocks.add(new Block(file, i + 3, m.group(1), lines));
      i = j;
    }
    return blocks;
  }

  private static List<Path> documents() throws IOException {
    List<Path> docs = new ArrayList<>();
    docs.add(DaemonProcess.ROOT.resolve("README.md"));
    try (Stream<Path> s = Files.list(DaemonProcess.ROOT.resolve("docs"))) {
      s.filter(p -> p.toString().endsWith(".md")).sorted().forEach(docs::add);
    }
    return docs;
  }

  /**
   * Files whose blocks run at once. Each file has its own daemon, home and scratch directory,
   * and most of its time is JVMs starting for its commands, which two files at a time spread
   * over two cores.
   */
  private static final int FILES_AT_ONCE = 2;

  @TestFactory
  Stream<DynamicTest> everyRunnableBlock_runsAndSaysWhatItsTextSays() throws IOException {
    ExecutorService pool = Executors.newFixedThreadPool(FILES_AT_ONCE, r -> {
      Thread t = new Thread(r, "runnable-docs");
      t.setDaemon(true);
      return t;
    });
    List<DynamicTest> tests = new ArrayList<>();
    for (Path doc : documents()) {
      List<Block> blocks = blocks(doc);
      if (!blocks.isEmpty()) {
        Future<?> done = pool.submit(() -> {
          run(doc, blocks);
          return null;
        });
        tests.add(DynamicTest.dynamicTest(DaemonProcess.ROOT.relativize(doc).toString(),
            () -> awaitRun(done)));
      }
    }
    pool.shutdown();
    return tests.stream();
  }

  /** Waits for one file's run and fails as the run failed. */
  private static void awaitRun(Future<?> done) throws Throwable {
    try {
      done.get();
    } catch (ExecutionException e) {
      throw e.getCause();
    }
  }

  @Test
  void theReadmeWalkthrough_isMarkedRunnable() throws IOException {
    List<Block> readme = blocks(DaemonProcess.ROOT.resolve("README.md"));
    assertTrue(readme.stream().anyMatch(b -> String.join("\n", b.lines())
        .contains("rotate-key-on-demand")), "README's CLI walkthrough must be runnable");
  }

  @Test
  void everyShellExampleOfTheHttpsEndpointDoc_isMarkedRunnable() throws IOException {
    Path doc = DaemonProcess.ROOT.resolve("docs/https-endpoint.md");
    long fences = Files.readAllLines(doc, StandardCharsets.UTF_8).stream()
        .filter(l -> FENCE.matcher(l).matches()).count();
    List<Block> blocks = blocks(doc);
    assertEquals(fences, blocks.size(), "every ```sh block of " + doc + " must be runnable");
    assertTrue(blocks.stream().anyMatch(b -> String.join("\n", b.lines())
        .contains("aws kms decrypt")), "the AWS CLI example must be runnable");
  }

  @Test
  void script_adaptsSudoDaemonStartDatesAndTmp_andChecksClaims() {
    Block b = new Block(Path.of("x.md"), 3, "K=1", List.of(
        "sudo apt-get install -y jq",
        "bin/coffer serve &                # started",
        "coffer import-key-material --valid-to 2027-06-30T00:00:00Z \\",
        "    --x /tmp/in.txt   # => OK"));
    String s = script(List.of(b), Path.of("/w/tmp"));
    assertFalse(s.contains("sudo"), s);
    assertFalse(s.contains("serve &"), s);
    assertFalse(s.contains("2027-06-30"), s);
    assertTrue(s.contains("/w/tmp/in.txt"), s);
    assertTrue(s.contains("__expect \"$__out\" 'OK' 'x.md:6'"), s);
    assertTrue(s.contains("K=1"), s);
  }

  /** The bash script for one file's blocks. */
  static String script(List<Block> blocks, Path tmp) {
    String validTo = LocalDate.now(ZoneOffset.UTC).plusDays(180) + "T00:00:00Z";
    StringBuilder b = new StringBuilder();
    b.append("set -eo pipefail\n")
        .append("__expect() {\n")
        .append("  case \"$1\" in *\"$2\"*) ;; *) printf 'DOCS %s: the output does not contain: %s\\n'")
        .append(" \"$3\" \"$2\" >&2; exit 97;; esac\n}\n");
    for (Block block : blocks) {
      String where = block.file().getFileName() + ":" + block.line();
      b.append("echo '### ").append(where).append("' >&2\n");
      if (block.given() != null) {
        b.append(block.given()).append('\n');
      }
      List<String> lines = new ArrayList<>();
      List<Integer> numbers = new ArrayList<>(); // each kept line's number in the file
      for (int n = 0; n < block.lines().size(); n++) {
        String line = block.lines().get(n);
        if (line.matches("^\\s*(bin/)?coffer serve\\s*&.*")) {
          continue; // the runner's daemon is already serving
        }
        numbers.add(block.line() + n);
        String l = line.replaceAll("(^|&& |; )sudo ", "$1")
            .replaceAll("(--valid-to\\s+)20\\d\\d-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ", "$1" + validTo)
            .replace("/tmp/", tmp + "/");
        lines.add(l);
      }
      // A claim "# => TEXT" ends a command; the command starts after the last line that does
      // not continue with a backslash.
      int start = 0;
      for (int i = 0; i < lines.size(); i++) {
        String l = lines.get(i);
        Matcher m = EXPECT.matcher(l);
        if (m.matches()) {
          StringBuilder command = new StringBuilder();
          for (int k = start; k < i; k++) {
            command.append(lines.get(k)).append('\n');
          }
          command.append(m.group(1));
          b.append("__out=$(").append(command).append(")\n")
              .append("printf '%s\\n' \"$__out\"\n")
              .append("__expect \"$__out\" '").append(m.group(2).replace("'", "'\\''"))
              .append("' '").append(block.file().getFileName()).append(':')
              .append(numbers.get(i)).append("'\n");
          start = i + 1;
        } else if (!l.endsWith("\\")) {
          for (int k = start; k <= i; k++) {
            b.append(lines.get(k)).append('\n');
          }
          start = i + 1;
        }
      }
      for (int k = start; k < lines.size(); k++) {
        b.append(lines.get(k)).append('\n');
      }
    }
    return b.toString();
  }

  /** The daemon a file's blocks run against, as its {@code run-daemon} line asks. */
  private static DaemonProcess daemonFor(Path doc) throws IOException {
    for (String line : Files.readAllLines(doc, StandardCharsets.UTF_8)) {
      Matcher m = DAEMON.matcher(line.trim());
      if (!m.matches()) {
        continue;
      }
      java.util.Map<String, String> properties = new java.util.LinkedHashMap<>();
      boolean https = false;
      for (String word : m.group(1).split("\\s+")) {
        int eq = word.indexOf('=');
        if (word.equals("https")) {
          https = true;
        } else if (eq > 0) {
          properties.put(word.substring(0, eq), word.substring(eq + 1)
              .replace("$USER", System.getProperty("user.name")));
        } else {
          throw new IllegalStateException(doc + ": run-daemon takes https and KEY=VALUE, not "
              + word);
        }
      }
      if (!https) {
        throw new IllegalStateException(doc + ": run-daemon is for the HTTPS endpoint's docs"
            + " (the word https); other files run against a default daemon");
      }
      return DaemonProcess.startHttps(properties);
    }
    return DaemonProcess.start();
  }

  private static void run(Path doc, List<Block> blocks) throws Exception {
    DaemonProcess daemon = daemonFor(doc);
    Path work = Files.createTempDirectory(Path.of("/tmp"), "cofdocs");
    try {
      for (String link : List.of("bin", "docs", "provider", "service-daemon",
          "META-INF-templates")) {
        Files.createSymbolicLink(work.resolve(link), DaemonProcess.ROOT.resolve(link));
      }
      Path tmp = Files.createDirectory(work.resolve("tmp"));
      Path script = work.resolve("blocks.sh");
      Files.writeString(script, script(blocks, tmp));
      ProcessBuilder pb = new ProcessBuilder("bash", script.toString()).directory(work.toFile());
      pb.environment().putAll(daemon.env());
      if (daemon.httpsPort() != 0) {
        pb.environment().put("ENDPOINT", daemon.httpsUrl());
        pb.environment().put("CA", daemon.caBundle().toString());
      }
      pb.environment().put("HOME", work.toString());
      pb.environment().put("TMPDIR", tmp.toString());
      pb.environment().put("AWS_CONFIG_FILE", "/dev/null");
      pb.environment().put("JAVA", DaemonProcess.JAVA.toString());
      pb.environment().put("PATH", DaemonProcess.ROOT.resolve("bin") + ":"
          + DaemonProcess.JAVA.getParent() + ":" + System.getenv("PATH"));
      pb.redirectErrorStream(true);
      Path log = work.resolve("out.log");
      pb.redirectOutput(log.toFile());
      Process p = pb.start();
      boolean done = p.waitFor(600, TimeUnit.SECONDS);
      if (!done) {
        p.destroyForcibly();
        p.waitFor(30, TimeUnit.SECONDS);
      }
      String out = Files.readString(log);
      assertTrue(done, doc + ": the blocks did not finish within 600 s:\n" + tail(out));
      assertEquals(0, p.exitValue(), () -> doc + ": a runnable block failed (the last ### line"
          + " names the block):\n" + tail(out) + "\n--- daemon log:\n" + tail(daemon.logText()));
    } finally {
      daemon.close();
      DaemonProcess.deleteTree(work); // the links are removed, not followed
    }
  }

  private static String tail(String s) {
    List<String> lines = s.lines().toList();
    return String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
  }
}
