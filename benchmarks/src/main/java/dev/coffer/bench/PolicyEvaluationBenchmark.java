package dev.coffer.bench;

import dev.coffer.bench.support.Shows;
import dev.coffer.daemon.identity.UnixPeer;
import dev.coffer.daemon.keys.KeyRegistry;
import dev.coffer.daemon.keys.KeyResolver;
import dev.coffer.daemon.policy.AccountAccess;
import dev.coffer.daemon.policy.Authorizer;
import dev.coffer.daemon.policy.KeyPolicy;
import dev.coffer.daemon.policy.PolicyEvaluator;
import dev.coffer.daemon.policy.PolicyEvaluator.Decision;
import dev.coffer.daemon.policy.PolicyStore;
import dev.coffer.daemon.policy.Principals;
import dev.coffer.daemon.policy.RequestContext;
import dev.coffer.daemon.storage.Database;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Key policy evaluation in the JVM, no socket: the full evaluation of a three-statement policy
 * with an encryption-context condition, and the daemon's cached path that evaluates only the
 * conditions (issue 5's budget: a few microseconds).
 */
@Shows("Key policy evaluation in the JVM, no socket: the full evaluation of a three-statement "
    + "policy with an encryption-context condition, and the daemon's cached path that evaluates "
    + "only the conditions (issue 5's budget: a few microseconds).")
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms256m", "-Xmx256m"})
public class PolicyEvaluationBenchmark {

  static final String ACCOUNT = "111122223333";
  static final String REGION = "us-east-1";

  private Path home;
  private Database db;
  private PolicyEvaluator evaluator;
  private Authorizer authorizer;
  private KeyPolicy policy;
  private UUID keyId;
  private RequestContext request;

  @Setup(Level.Trial)
  public void setUp() throws IOException {
    home = Files.createTempDirectory(Path.of("/tmp"), "cofpolicy");
    db = Database.open(home.resolve("coffer.db"));
    Principals principals = new Principals("aws", ACCOUNT, List.of("user/admin"));
    KeyRegistry registry = new KeyRegistry(db, 10);
    KeyResolver resolver = new KeyResolver(registry, "aws", REGION, ACCOUNT);
    PolicyStore store = new PolicyStore(db, principals);
    authorizer = new Authorizer(registry, resolver, store,
        new AccountAccess(principals, List.of()), Clock.systemUTC());
    evaluator = new PolicyEvaluator(principals);
    keyId = UUID.randomUUID();
    String arn = resolver.keyArn(keyId);
    policy = KeyPolicy.parse("""
        {"Version": "2012-10-17", "Id": "bench", "Statement": [
          {"Sid": "admins", "Effect": "Allow", "Principal": {"AWS": "%1$s"},
           "Action": "kms:*", "Resource": "*"},
          {"Sid": "app uses the key for its own context", "Effect": "Allow",
           "Principal": {"AWS": "%2$s"},
           "Action": ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey*"], "Resource": "*",
           "Condition": {"StringEquals": {"kms:EncryptionContext:purpose": "orders"}}},
          {"Sid": "nobody deletes", "Effect": "Deny", "Principal": "*",
           "Action": "kms:ScheduleKeyDeletion", "Resource": "*"}
        ]}
        """.formatted(principals.rootArn(), principals.unixUserArn("app")), principals);
    store.policyCommitted(keyId, policy);
    UnixPeer app = new UnixPeer(1000, 1000, 4242, "app", Set.of("app"));
    request = new RequestContext(app, "kms:Encrypt", arn, Map.of("purpose", "orders"),
        Clock.systemUTC().instant(), Map.of());
    if (evaluator.decide(policy, request) != Decision.ALLOW
        || authorizer.decide(keyId, request) != Decision.ALLOW) {
      throw new IllegalStateException("the benchmark policy does not allow the request");
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() throws IOException {
    db.close();
    try (Stream<Path> s = Files.walk(home)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  /** Every statement's principal, action and resource matched, then its conditions. */
  @Benchmark
  public Decision evaluatorDecide() {
    return evaluator.decide(policy, request);
  }

  /** The daemon's hot path: applicable statements from the cache, conditions evaluated. */
  @Benchmark
  public Decision authorizerDecideCached() {
    return authorizer.decide(keyId, request);
  }
}
