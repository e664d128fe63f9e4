package dev.coffer.conformance.provider;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coffer.conformance.DaemonProcess;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the provider conformance tests share: the built provider jar, the JDK's own tools
 * ({@code java}, {@code keytool}, {@code jarsigner}) run as separate processes, and the
 * {@code java.security} file an operator writes to register the provider.
 */
final class ProviderTools {

  static final String PROVIDER_NAME = "Coffer";
  static final String PROVIDER_CLASS = "dev.coffer.jca.CofferProvider";
  static final Path PROVIDER_JAR = Path.of(System.getProperty("coffer.providerJar",
      DaemonProcess.ROOT.resolve("provider/target/coffer-provider.jar").toString()))
      .toAbsolutePath().normalize();
  static final Path JAVA_HOME = Path.of(System.getProperty("java.home"));
  static final Duration TIMEOUT = Duration.ofSeconds(90);

  private ProviderTools() {}

  /** Fails (never skips) when the provider jar is missing: the reactor builds it first. */
  static void requireProviderJar() {
    assertTrue(Files.isRegularFile(PROVIDER_JAR), () -> PROVIDER_JAR + " is missing; build it with"
        + " mvn -B -q install -DskipTests -pl protocol,service-daemon,provider");
  }

  static Path jdkTool(String name) {
    return JAVA_HOME.resolve("bin").resolve(name);
  }

  /**
   * Writes the file an operator passes with {@code -Djava.security.properties=FILE}: one line
   * appending Coffer after the JDK's last configured provider, hence after SunJCE.
   */
  static Path securityProperties(Path dir) throws IOException {
    Map<Integer, String> jdk = jdkProviders();
    int next = jdk.keySet().stream().mapToInt(Integer::intValue).max().orElse(0) + 1;
    assertTrue(jdk.containsValue("SunJCE"), "SunJCE missing from the JDK's java.security: " + jdk);
    Path file = dir.resolve("coffer.java.security");
    Files.writeString(file, "# Coffer after every JDK provider (SunJCE first for ordinary keys)\n"
        + "security.provider." + next + "=" + PROVIDER_NAME + "\n");
    return file;
  }

  /**
   * A {@code java.security} file for keytool only ({@code -J-Djava.security.properties=FILE}):
   * Coffer first, the JDK's providers after it in their order. JDK 17 keytool's {@code
   * -genseckey} calls {@code KeyGenerator.getInstance(keyalg)} without a provider name, so only
   * with Coffer first does it reach Coffer's {@code AES} generator (a KMS key, no material
   * outside the daemon); with Coffer after SunJCE, SunJCE generates and the KMS key store
   * imports that material.
   */
  static Path cofferFirstSecurityProperties(Path dir) throws IOException {
    StringBuilder b = new StringBuilder("# keytool only: Coffer before every JDK provider\n");
    b.append("security.provider.1=").append(PROVIDER_NAME).append('\n');
    for (Map.Entry<Integer, String> e : jdkProviders().entrySet()) {
      b.append("security.provider.").append(e.getKey() + 1).append('=').append(e.getValue())
          .append('\n');
    }
    Path file = dir.resolve("coffer-first.java.security");
    Files.writeString(file, b.toString());
    return file;
  }

  /** {@code security.provider.N} entries of {@code $JAVA_HOME/conf/security/java.security}. */
  static Map<Integer, String> jdkProviders() throws IOException {
    Pattern p = Pattern.compile("^security\\.provider\\.(\\d+)=\\s*(\\S+)");
    Map<Integer, String> out = new LinkedHashMap<>();
    for (String line : Files.readAllLines(JAVA_HOME.resolve("conf/security/java.security"))) {
      Matcher m = p.matcher(line.strip());
      if (m.find()) {
        out.put(Integer.parseInt(m.group(1)), m.group(2));
      }
    }
    return out;
  }

  /** Runs a command to completion; stdin is empty so a prompting tool fails instead of hanging. */
  static Result run(List<String> command, Map<String, String> env, Path workDir)
      throws IOException, InterruptedException {
    return run(command, env, workDir, Path.of("/dev/null"));
  }

  /** Runs a command with its stdin read from {@code stdin} (answers to a tool's prompts). */
  static Result run(List<String> command, Map<String, String> env, Path workDir, Path stdin)
      throws IOException, InterruptedException {
    Path out = Files.createTempFile(workDir, "out", ".txt");
    Path err = Files.createTempFile(workDir, "err", ".txt");
    ProcessBuilder pb = new ProcessBuilder(command).directory(workDir.toFile());
    // Only what each test passes: a COFFER_SOCKET from the test JVM's environment must not leak.
    pb.environment().remove("COFFER_SOCKET");
    pb.environment().remove("COFFER_HOME");
    pb.environment().putAll(env);
    pb.redirectInput(ProcessBuilder.Redirect.from(stdin.toFile()));
    pb.redirectOutput(out.toFile());
    pb.redirectError(err.toFile());
    Process p = pb.start();
    if (!p.waitFor(TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
      p.destroyForcibly();
      p.waitFor(10, TimeUnit.SECONDS);
      throw new IOException("hung after " + TIMEOUT + ": " + String.join(" ", command)
          + "\nstdout: " + Files.readString(out) + "\nstderr: " + Files.readString(err));
    }
    return new Result(command, p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
        Files.readString(err, StandardCharsets.UTF_8));
  }

  static List<String> command(Object... parts) {
    List<String> c = new ArrayList<>();
    for (Object o : parts) {
      if (o instanceof List<?> l) {
        l.forEach(x -> c.add(x.toString()));
      } else {
        c.add(o.toString());
      }
    }
    return c;
  }

  /** A finished process. */
  record Result(List<String> command, int exitCode, String stdout, String stderr) {

    String output() {
      return stdout + stderr;
    }

    /** {@code key=value} lines of stdout, last one wins. */
    Map<String, String> values() {
      Map<String, String> m = new LinkedHashMap<>();
      for (String line : stdout.split("\n")) {
        int eq = line.indexOf('=');
        if (eq > 0) {
          m.put(line.substring(0, eq), line.substring(eq + 1));
        }
      }
      return m;
    }

    @Override
    public String toString() {
      return String.join(" ", command) + "\nexit " + exitCode + "\nstdout:\n" + stdout
          + "\nstderr:\n" + stderr;
    }
  }
}
