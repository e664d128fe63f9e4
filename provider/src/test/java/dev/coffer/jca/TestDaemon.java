package dev.coffer.jca;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.daemon.Daemon;
import dev.coffer.daemon.config.DaemonConfig;
import dev.coffer.jca.key.KmsKey;
import dev.coffer.protocol.DaemonClient;
import dev.coffer.protocol.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Provider;
import java.security.Security;
import java.time.Duration;
import java.util.List;

/**
 * One real daemon for the whole test JVM (short /tmp path: Unix socket paths are limited), the
 * Coffer provider appended after SunJCE, and {@code coffer.socket} pointing at the daemon.
 */
public final class TestDaemon {
  private static Daemon daemon;
  private static DaemonClient admin;
  /** Every home handed out; removed when the test JVM exits, after the daemon has stopped. */
  private static final List<Path> HOMES = new java.util.concurrent.CopyOnWriteArrayList<>();

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(TestDaemon::cleanUp, "test-daemon-cleanup"));
  }

  private TestDaemon() {}

  private static void cleanUp() {
    Daemon d;
    synchronized (TestDaemon.class) {
      d = daemon;
    }
    if (d != null) {
      d.close();
    }
    for (Path home : HOMES) {
      try (var files = Files.walk(home)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      } catch (IOException e) {
        // best effort at exit: nothing else to do
      }
    }
  }

  public static synchronized Path socket() {
    if (daemon == null) {
      daemon = startIn(newHome());
      System.setProperty("coffer.socket", daemon.socket().toString());
      admin = new DaemonClient(daemon.socket(), 1, Duration.ofSeconds(30));
      if (Security.getProvider(CofferProvider.NAME) == null) {
        Security.addProvider(new CofferProvider());
      }
    }
    return daemon.socket();
  }

  public static Provider provider() {
    socket();
    return Security.getProvider(CofferProvider.NAME);
  }

  public static Path newHome() {
    try {
      Path home = Files.createTempDirectory(Path.of("/tmp"), "cp");
      HOMES.add(home);
      return home;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static Daemon startIn(Path home) {
    try {
      return Daemon.start(DaemonConfig.forDirectory(home));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Calls the daemon directly (administration the provider does not offer). */
  public static ObjectNode call(String op, ObjectNode in) {
    socket();
    return admin.call(op, in);
  }

  /** Creates a fresh key and returns its handle. */
  public static KmsKey newKey() {
    ObjectNode m = (ObjectNode) call("CreateKey", Json.object()).get("KeyMetadata");
    return KmsKey.of(m.get("Arn").asText(), m.get("KeyId").asText(), null, "", List.of(), null);
  }

  public static void disable(KmsKey key) {
    ObjectNode in = Json.object();
    in.put("KeyId", key.keyId());
    call("DisableKey", in);
  }
}
