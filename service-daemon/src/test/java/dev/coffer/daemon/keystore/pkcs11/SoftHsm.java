package dev.coffer.daemon.keystore.pkcs11;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Real SoftHSM2 tokens for tests, in {@code $SOFTHSM2_CONF}'s token directory (surefire points
 * the variable at {@code target/softhsm2/softhsm2.conf}; SunPKCS11 loads the module in the test
 * JVM, so it must be set before the JVM starts). The first use wipes the directory and writes
 * the configuration.
 */
public final class SoftHsm {
  private SoftHsm() {}

  public static final String LIBRARY = "/usr/lib/softhsm/libsofthsm2.so";
  public static final String PIN = "1234";
  public static final String SO_PIN = "87654321";
  private static final AtomicInteger COUNTER = new AtomicInteger();
  private static Path conf;

  /** The configuration file SoftHSM2 reads; written on first use. */
  public static synchronized Path conf() throws IOException {
    if (conf != null) {
      return conf;
    }
    String env = System.getenv("SOFTHSM2_CONF");
    if (env == null) {
      throw new IllegalStateException("SOFTHSM2_CONF is not set; run the tests through Maven"
          + " (service-daemon/pom.xml sets it for surefire)");
    }
    if (!Files.isRegularFile(Path.of(LIBRARY))) {
      throw new IllegalStateException(LIBRARY + " is missing: apt-get install -y softhsm2");
    }
    Path file = Path.of(env);
    Path tokens = file.resolveSibling("tokens");
    if (Files.exists(tokens)) {
      try (var s = Files.walk(tokens)) {
        s.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      }
    }
    Files.createDirectories(tokens);
    Files.writeString(file, "directories.tokendir = " + tokens + "\nobjectstore.backend = file\n"
        + "log.level = ERROR\nslots.removable = false\n");
    conf = file;
    return file;
  }

  /** Initialises a new token with a unique label (prefix + counter) and returns the label. */
  public static String newToken(String prefix) throws IOException {
    String label = prefix + "-" + ProcessHandle.current().pid() % 100000 + "-"
        + COUNTER.incrementAndGet();
    initToken(label);
    return label;
  }

  public static void initToken(String label) throws IOException {
    run("softhsm2-util", "--init-token", "--free", "--label", label, "--so-pin", SO_PIN,
        "--pin", PIN);
  }

  public static void deleteToken(String label) throws IOException {
    run("softhsm2-util", "--delete-token", "--token", label);
  }

  /** The token's directory (for tests that make it disappear). */
  public static Path tokenDirectory(String label) throws IOException {
    Path tokens = conf().resolveSibling("tokens");
    try (var dirs = Files.list(tokens)) {
      for (Path d : dirs.toList()) {
        Path obj = d.resolve("token.object");
        if (Files.isRegularFile(obj)
            && new String(Files.readAllBytes(obj), StandardCharsets.ISO_8859_1).contains(label)) {
          return d;
        }
      }
    }
    throw new IOException("no token directory for " + label);
  }

  /** Runs a command with this SoftHSM2 configuration; returns its output. */
  public static String run(String... command) throws IOException {
    List<String> cmd = new ArrayList<>(List.of(command));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().put("SOFTHSM2_CONF", conf().toString());
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    try {
      if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IOException(String.join(" ", cmd) + " failed: " + out);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
    return out;
  }
}
