package dev.coffer.bench.support;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * A fresh SoftHSM2 token per trial. SoftHSM2 reads only the environment variable
 * {@code SOFTHSM2_CONF}, which a forked JVM inherits from JMH's, so {@code run.sh} exports it
 * (a file in a temporary directory) before starting JMH; this state writes that file, pointing
 * the token directory at a sibling {@code tokens/}, and initialises its own token there. It
 * refuses to run against the system-wide configuration.
 */
@State(Scope.Benchmark)
public class SoftHsmToken {

  public static final String LIBRARY = "/usr/lib/softhsm/libsofthsm2.so";
  public static final String PIN = "1234";
  static final String SO_PIN = "87654321";

  private String label;
  private long slot;

  @Setup(Level.Trial)
  public void init() throws IOException, InterruptedException {
    String env = System.getenv("SOFTHSM2_CONF");
    if (env == null || env.isBlank()) {
      throw new IllegalStateException("SOFTHSM2_CONF is not set: run the HSM case through "
          + "benchmarks/run.sh, which exports it (a file in a temporary directory)");
    }
    if (!Files.isRegularFile(Path.of(LIBRARY))) {
      throw new IllegalStateException(LIBRARY + " is missing: apt-get install -y softhsm2");
    }
    Path conf = Path.of(env);
    Path tokens = conf.toAbsolutePath().resolveSibling("tokens");
    Files.createDirectories(tokens);
    if (!Files.isRegularFile(conf)) {
      Files.writeString(conf, "directories.tokendir = " + tokens + "\nobjectstore.backend = file"
          + "\nlog.level = ERROR\nslots.removable = false\n");
    }
    label = "bench-" + ProcessHandle.current().pid();
    String out = run("softhsm2-util", "--init-token", "--free", "--label", label,
        "--so-pin", SO_PIN, "--pin", PIN);
    Matcher m = Pattern.compile("reassigned to slot (\\d+)").matcher(out);
    if (!m.find()) {
      throw new IllegalStateException("no slot in softhsm2-util's answer: " + out);
    }
    slot = Long.parseLong(m.group(1));
  }

  @TearDown(Level.Trial)
  public void delete() throws IOException, InterruptedException {
    if (label != null) {
      run("softhsm2-util", "--delete-token", "--token", label);
    }
  }

  public String label() {
    return label;
  }

  /** The slot the token was assigned to (SunPKCS11's {@code slot}). */
  public long slot() {
    return slot;
  }

  private static String run(String... cmd) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException(String.join(" ", cmd) + " failed: " + out);
    }
    return out;
  }
}
