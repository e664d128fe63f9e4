package dev.coffer.bench.support;

import dev.coffer.daemon.Daemon;
import dev.coffer.daemon.config.DaemonConfig;
import dev.coffer.jca.CofferProvider;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.Security;
import java.util.Comparator;
import java.util.stream.Stream;
import javax.crypto.KeyGenerator;
import javax.crypto.SecretKey;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * One Coffer daemon per trial, in the benchmark's own JVM, in a fresh directory under /tmp,
 * with the provider registered and one KMS key created through {@code KeyGenerator("KMS")}.
 * Started for every case, peers included, so every case runs beside the same idle daemon.
 * Clients find it through {@code -Dcoffer.socket}.
 */
@State(Scope.Benchmark)
public class InProcessDaemon {

  private Path home;
  private Daemon daemon;
  private SecretKey kmsKey;

  @Setup(Level.Trial)
  public void start() throws IOException, GeneralSecurityException {
    // /tmp keeps the socket path well under the 108-byte sun_path limit.
    home = Files.createTempDirectory(Path.of("/tmp"), "cofbench");
    daemon = Daemon.start(DaemonConfig.forDirectory(home));
    System.setProperty("coffer.socket", daemon.socket().toString());
    if (Security.getProvider("Coffer") == null) {
      Security.addProvider(new CofferProvider());
    }
    KeyGenerator kg = KeyGenerator.getInstance("KMS", "Coffer");
    kg.init(256);
    kmsKey = kg.generateKey();
  }

  /** A handle to this trial's KMS key: no material, usable from any thread. */
  public SecretKey kmsKey() {
    return kmsKey;
  }

  @TearDown(Level.Trial)
  public void stop() throws IOException {
    if (daemon != null) {
      daemon.close();
    }
    System.clearProperty("coffer.socket");
    if (home != null) {
      try (Stream<Path> s = Files.walk(home)) {
        s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }
}
