package dev.coffer.conformance;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A real {@code coffer serve} process started from the packaged jar, as a user would run it,
 * with its own data directory and socket.
 */
public final class DaemonProcess implements AutoCloseable {

  public static final Path ROOT = Path.of(System.getProperty("coffer.root", "..")).toAbsolutePath().normalize();
  public static final Path DAEMON_JAR = Path.of(System.getProperty("coffer.daemonJar",
      ROOT.resolve("service-daemon/target/coffer.jar").toString()));
  public static final Path JAVA = Path.of(System.getProperty("java.home"), "bin", "java");

  private final Path home;
  private final Path socket;
  private final Path log;
  private final String umask;
  private Process process;
  private int httpsPort; // 0: no HTTPS endpoint
  private List<String> serveArgs = List.of(); // after "serve"

  private DaemonProcess(Path home) {
    this(home, home.resolve("coffer.sock"));
  }

  private DaemonProcess(Path home, Path socket) {
    this(home, socket, home.resolve("daemon.log"), null);
  }

  private DaemonProcess(Path home, Path socket, Path log, String umask) {
    this.home = home;
    this.socket = socket;
    this.log = log;
    this.umask = umask;
  }

  /**
   * A daemon for {@code home} (which need not exist yet), not yet {@linkplain #launch launched},
   * run under {@code umask} (e.g. {@code "000"}; null: inherit) and logging to {@code log}
   * outside the home, so the home holds only what the daemon writes.
   */
  public static DaemonProcess prepare(Path home, Path socket, Path log, String umask) {
    return new DaemonProcess(home, socket, log, umask);
  }

  /**
   * Starts a daemon with {@code coffer.properties} settings and its socket at {@code socket}
   * (e.g. in a directory other users can reach).
   */
  public static DaemonProcess start(java.util.Map<String, String> properties, Path socket)
      throws IOException {
    Path home = Files.createTempDirectory(Path.of("/tmp"), "cof");
    StringBuilder b = new StringBuilder();
    properties.forEach((k, v) -> b.append(k).append('=').append(v).append('\n'));
    Files.writeString(home.resolve("coffer.properties"), b.toString());
    DaemonProcess d = new DaemonProcess(home, socket);
    d.launch();
    return d;
  }

  /**
   * Starts a daemon with {@code properties} and the AWS-compatible endpoint on a free loopback
   * port ({@code https-listen=127.0.0.1:PORT}); returns once the endpoint accepts connections.
   * Its self-signed certificate is {@link #caBundle()}.
   */
  public static DaemonProcess startHttps(java.util.Map<String, String> properties)
      throws IOException {
    return startHttps(properties, false);
  }

  /**
   * As {@link #startHttps(java.util.Map)}; with {@code byFlag} the port is given as {@code coffer
   * serve --https-listen 127.0.0.1:PORT} instead of in {@code coffer.properties}.
   */
  public static DaemonProcess startHttps(java.util.Map<String, String> properties, boolean byFlag)
      throws IOException {
    DaemonProcess d = prepareHttps(properties, byFlag);
    d.launch();
    return d;
  }

  /**
   * As {@link #startHttps(java.util.Map)}, but not yet {@linkplain #launch launched}: files can
   * be put into its {@link #home} first (a cluster node's copy of the first node's root key).
   */
  public static DaemonProcess prepareHttps(java.util.Map<String, String> properties)
      throws IOException {
    return prepareHttps(properties, false);
  }

  private static DaemonProcess prepareHttps(java.util.Map<String, String> properties,
      boolean byFlag) throws IOException {
    Path home = Files.createTempDirectory(Path.of("/tmp"), "cof");
    int port;
    try (java.net.ServerSocket probe = new java.net.ServerSocket(0, 1,
        java.net.InetAddress.getLoopbackAddress())) {
      port = probe.getLocalPort();
    }
    StringBuilder b = new StringBuilder(byFlag ? "" : "https-listen=127.0.0.1:" + port + "\n");
    properties.forEach((k, v) -> b.append(k).append('=').append(v).append('\n'));
    Files.writeString(home.resolve("coffer.properties"), b.toString());
    DaemonProcess d = new DaemonProcess(home);
    d.httpsPort = port;
    if (byFlag) {
      d.serveArgs = List.of("--https-listen", "127.0.0.1:" + port);
    }
    return d;
  }

  /** {@code https://127.0.0.1:PORT}, the endpoint of {@link #startHttps}. */
  public String httpsUrl() {
    return "https://127.0.0.1:" + httpsPort;
  }

  public int httpsPort() {
    return httpsPort;
  }

  /** The daemon's self-signed certificate, for {@code AWS_CA_BUNDLE} and {@code coffer.tls.ca}. */
  public Path caBundle() {
    return home.resolve("https/cert.pem");
  }

  private boolean httpsAccepts() {
    if (httpsPort == 0) {
      return true;
    }
    try (java.net.Socket s = new java.net.Socket()) {
      s.connect(new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(),
          httpsPort), 1000);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** Starts a daemon in a fresh directory under /tmp (Unix socket paths must stay short). */
  public static DaemonProcess start() throws IOException {
    Path home = Files.createTempDirectory(Path.of("/tmp"), "cof");
    DaemonProcess d = new DaemonProcess(home);
    d.launch();
    return d;
  }

  public Path home() {
    return home;
  }

  public Path socket() {
    return socket;
  }

  public long pid() {
    return process.pid();
  }

  /** Environment a client needs to find this daemon. */
  public Map<String, String> env() {
    return Map.of("COFFER_HOME", home.toString(), "COFFER_SOCKET", socket.toString());
  }

  public void launch() throws IOException {
    List<String> serve = new ArrayList<>(List.of(JAVA.toString(), "-jar", DAEMON_JAR.toString(),
        "serve"));
    serve.addAll(serveArgs);
    ProcessBuilder pb = new ProcessBuilder(umask == null ? serve : withUmask(umask, serve));
    pb.environment().putAll(env());
    pb.redirectErrorStream(true);
    pb.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    process = pb.start();
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IOException("daemon exited with " + process.exitValue() + ": " + logText());
      }
      if (accepts() && httpsAccepts()) {
        return;
      }
      sleep(50);
    }
    throw new IOException("daemon did not open " + socket + " within 30 s: " + logText());
  }

  /** {@code sh -c 'umask U; exec "$@"' sh CMD...}: the daemon runs with exactly that umask. */
  private static List<String> withUmask(String umask, List<String> command) {
    List<String> cmd = new ArrayList<>(List.of("sh", "-c", "umask " + umask + "; exec \"$@\"",
        "sh"));
    cmd.addAll(command);
    return cmd;
  }

  private boolean accepts() {
    if (!Files.exists(socket)) {
      return false;
    }
    try (SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      c.connect(UnixDomainSocketAddress.of(socket));
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** Whether the daemon process is running. */
  public boolean isAlive() {
    return process != null && process.isAlive();
  }

  /** SIGTERM and wait: a clean stop that keeps the home (unlike {@link #close}). */
  public void stop() throws InterruptedException {
    if (process != null && process.isAlive()) {
      process.destroy();
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
      }
    }
  }

  /** SIGKILL: no shutdown hook, no flush, exactly as a crash. */
  public void kill9() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
  }

  public void restart() throws IOException, InterruptedException {
    if (process.isAlive()) {
      kill9();
    }
    launch();
  }

  public String logText() {
    try {
      return Files.exists(log) ? Files.readString(log) : "";
    } catch (IOException e) {
      return "(log unreadable: " + e + ")";
    }
  }

  /** Runs {@code bin/coffer ARGS} against this daemon. */
  public CliResult cli(String... args) throws IOException, InterruptedException {
    return cli(Map.of(), args);
  }

  /** Runs {@code bin/coffer ARGS} against this daemon with {@code extraEnv} set as well. */
  public CliResult cli(Map<String, String> extraEnv, String... args)
      throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(ROOT.resolve("bin/coffer").toString());
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().putAll(env());
    pb.environment().putAll(extraEnv);
    pb.environment().put("JAVA", JAVA.toString());
    Process p = pb.start();
    byte[] out = p.getInputStream().readAllBytes();
    byte[] err = p.getErrorStream().readAllBytes();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IOException("coffer " + String.join(" ", args) + " hung");
    }
    return new CliResult(p.exitValue(), new String(out, StandardCharsets.UTF_8),
        new String(err, StandardCharsets.UTF_8));
  }

  /** What a CLI run printed and how it exited. */
  public record CliResult(int exitCode, String stdout, String stderr) {}

  @Override
  public void close() throws IOException {
    if (process != null && process.isAlive()) {
      process.destroy();
      try {
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
          process.destroyForcibly();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    deleteTree(home);
  }

  public static void deleteTree(Path p) throws IOException {
    if (!Files.exists(p)) {
      return;
    }
    try (var s = Files.walk(p)) {
      s.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
