package dev.coffer.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.daemon.config.DaemonConfig;
import dev.coffer.protocol.DaemonClient;
import dev.coffer.protocol.Json;
import dev.coffer.protocol.KmsException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Comparator;
import java.util.function.UnaryOperator;

/** A real daemon on a real Unix socket in a temporary directory, with a clock tests can move. */
public final class TestDaemon implements AutoCloseable {

  /** A clock that stands still until a test moves it. */
  public static final class MovableClock extends Clock {
    private volatile Instant now = Instant.parse("2026-01-01T00:00:00Z");

    public void advance(Duration d) {
      now = now.plus(d);
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }

  public final Path home;
  public final MovableClock clock = new MovableClock();
  private final UnaryOperator<DaemonConfig> tweak;
  private final Daemon.LeadershipFactory leadership;
  public Daemon daemon;
  public DaemonClient client;

  public TestDaemon() throws IOException {
    this(c -> c);
  }

  public TestDaemon(UnaryOperator<DaemonConfig> tweak) throws IOException {
    this(tweak, Daemon.LeadershipFactory.SINGLE_NODE);
  }

  /** A daemon whose scheduled work runs only while {@code leadership} leads. */
  public TestDaemon(UnaryOperator<DaemonConfig> tweak, Daemon.LeadershipFactory leadership)
      throws IOException {
    this.home = Files.createTempDirectory(Path.of("/tmp"), "cd");
    this.tweak = tweak;
    this.leadership = leadership;
    try {
      start();
    } catch (IOException | RuntimeException | Error e) {
      deleteHome(); // a daemon that did not start leaves no home behind either
      throw e;
    }
  }

  private void deleteHome() throws IOException {
    try (var files = Files.walk(home)) {
      files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    }
  }

  public void start() throws IOException {
    daemon = Daemon.start(tweak.apply(DaemonConfig.forDirectory(home).withClock(clock)
        .withDeletionCheckInterval(Duration.ofHours(1))), leadership);
    client = new DaemonClient(daemon.socket(), 2, Duration.ofSeconds(20));
  }

  public void restart() throws IOException {
    client.close();
    daemon.close();
    start();
  }

  public ObjectNode call(String op, ObjectNode input) {
    return client.call(op, input);
  }

  public ObjectNode call(String op, Object... fieldsAndValues) {
    ObjectNode in = Json.object();
    for (int i = 0; i < fieldsAndValues.length; i += 2) {
      in.set((String) fieldsAndValues[i], Json.MAPPER.valueToTree(fieldsAndValues[i + 1]));
    }
    return call(op, in);
  }

  /** Asserts the call fails with the AWS exception {@code errorType}; returns the exception. */
  public KmsException fails(String errorType, String op, Object... fieldsAndValues) {
    KmsException e = assertThrows(KmsException.class, () -> call(op, fieldsAndValues));
    assertEquals(errorType, e.errorType(), () -> "message was: " + e.getMessage());
    return e;
  }

  /** The bytes of a base64 field of a response. */
  public static byte[] bytes(com.fasterxml.jackson.databind.JsonNode n) {
    try {
      return n.binaryValue();
    } catch (IOException e) {
      throw new AssertionError("not a base64 field: " + n, e);
    }
  }

  /** Creates a key and returns its id. */
  public String createKey() {
    return call("CreateKey").get("KeyMetadata").get("KeyId").asText();
  }

  @Override
  public void close() throws IOException {
    client.close();
    daemon.close();
    deleteHome();
  }
}
