package dev.coffer.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.bench.support.InProcessDaemon;
import dev.coffer.bench.support.Shows;
import dev.coffer.jca.key.KmsKey;
import dev.coffer.protocol.DaemonClient;
import dev.coffer.protocol.Json;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
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
 * Control-plane and data-key rates through the protocol client, one thread: GenerateDataKey,
 * CreateKey (a database write and an audit record each) and DescribeKey (key policy evaluated on
 * every request).
 */
@Shows("Control-plane and data-key rates through the protocol client, one thread: "
    + "GenerateDataKey, CreateKey (a database write and an audit record each) and DescribeKey "
    + "(key policy evaluated on every request).")
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms512m", "-Xmx512m"})
public class KmsOperationsBenchmark {

  private DaemonClient client;
  private ObjectNode generateDataKey;
  private ObjectNode createKey;
  private ObjectNode describeKey;

  @Setup(Level.Trial)
  public void setUp(InProcessDaemon daemon) {
    client = new DaemonClient(Path.of(System.getProperty("coffer.socket")), 1,
        Duration.ofSeconds(30));
    String arn = ((KmsKey) daemon.kmsKey()).arn();
    generateDataKey = Json.object().put("KeyId", arn).put("KeySpec", "AES_256");
    createKey = Json.object().put("Description", "benchmark");
    describeKey = Json.object().put("KeyId", arn);
    // Fail here, not in the measurement, if an input is wrong.
    generateDataKey();
    createKey();
    describeKey();
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    client.close();
  }

  @Benchmark
  public ObjectNode generateDataKey() {
    return client.call("GenerateDataKey", generateDataKey);
  }

  @Benchmark
  public ObjectNode createKey() {
    return client.call("CreateKey", createKey);
  }

  @Benchmark
  public ObjectNode describeKey() {
    return client.call("DescribeKey", describeKey);
  }
}
