package dev.coffer.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.protocol.ChannelStreams;
import dev.coffer.protocol.DaemonClient;
import dev.coffer.protocol.Frame;
import dev.coffer.protocol.FrameCodec;
import dev.coffer.protocol.Json;
import dev.coffer.protocol.KmsException;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 14, "no client can starve the others", against a real daemon process and raw sockets:
 * slow senders, clients that never read, one user's share of the connection budget, floods of
 * malformed frames (audited, bounded), a full page of {@code ListKeys}, and what the CLI says at
 * the connection limit. Deadlines are shortened through {@code coffer.properties}; each test
 * checks that a well-behaved client keeps getting correct answers.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HostileConnectionsTest {

  private static final int MAX_CONNECTIONS = 24;
  private static final int PER_USER = 12;
  private static final int FRAME_READ_TIMEOUT_S = 2;
  private static final int IDLE_TIMEOUT_S = 3;
  private static final int WRITE_TIMEOUT_S = 4;
  private static final int AUDIT_PER_WINDOW = 5;
  private static final int AUDIT_WINDOW_S = 2;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final FrameCodec CODEC = new FrameCodec(Frame.MAX_RESPONSE_BODY_BYTES);

  private static Path shared;
  private static DaemonProcess daemon;
  private static long startedNanos;

  @BeforeAll
  static void start() throws Exception {
    // The socket sits in a directory other users can reach, so another uid can be a client.
    shared = Files.createTempDirectory(Path.of("/tmp"), "cofhc");
    Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.copy(DaemonProcess.ROOT.resolve("docs/examples/raw_client.py"),
        shared.resolve("raw_client.py"), StandardCopyOption.REPLACE_EXISTING);
    Files.setPosixFilePermissions(shared.resolve("raw_client.py"),
        PosixFilePermissions.fromString("rw-r--r--"));
    startedNanos = System.nanoTime();
    daemon = DaemonProcess.start(Map.of(
        "socket-mode", "0666",
        "max-connections", Integer.toString(MAX_CONNECTIONS),
        "max-connections-per-user", Integer.toString(PER_USER),
        "frame-read-timeout-seconds", Integer.toString(FRAME_READ_TIMEOUT_S),
        "idle-timeout-seconds", Integer.toString(IDLE_TIMEOUT_S),
        "write-timeout-seconds", Integer.toString(WRITE_TIMEOUT_S),
        "audit-malformed-frames-per-window", Integer.toString(AUDIT_PER_WINDOW),
        "audit-malformed-frames-window-seconds", Integer.toString(AUDIT_WINDOW_S)),
        shared.resolve("coffer.sock"));
  }

  @AfterAll
  static void stop() throws Exception {
    if (daemon != null) {
      daemon.close();
    }
    DaemonProcess.deleteTree(shared);
  }

  // ---- slow senders and one user's share ----

  @Test
  void slowlorisHalfHeaders_moreThanMaxConnections_closedAtReadDeadline_otherUserServedThroughout()
      throws Exception {
    List<SocketChannel> slow = new ArrayList<>();
    List<Frame> refusals = new ArrayList<>();
    try (DaemonClient good = new DaemonClient(daemon.socket(), 1, Duration.ofSeconds(10))) {
      long attackStart = System.nanoTime();
      for (int i = 0; i < 2 * MAX_CONNECTIONS; i++) {
        SocketChannel ch = connect(daemon.socket());
        slow.add(ch);
        try {
          ch.write(ByteBuffer.wrap(new byte[] {'C', 'F', 1, 1, 0, 0, 0, 0}));
        } catch (IOException refusedAlready) {
          // its refusal is still there to read
        }
      }
      // Another user is served throughout: this user's half headers hold only its share.
      for (int i = 0; i < 2; i++) {
        JsonNode answer = runAsOtherUser("GenerateRandom", "{\"NumberOfBytes\": 16}");
        assertTrue(answer.has("Plaintext"), answer.toString());
        assertEquals(24, answer.get("Plaintext").asText().length(), answer.toString());
      }
      // Every connection beyond the share was refused at once; every held one is closed once
      // its frame is FRAME_READ_TIMEOUT_S late, with a ValidationException saying why.
      int closedByDeadline = 0;
      for (SocketChannel ch : slow) {
        Frame f = readFrame(ch, Duration.ofSeconds(FRAME_READ_TIMEOUT_S + 3));
        assertNotNull(f, "the daemon closed a connection without a word");
        String body = new String(f.body(), StandardCharsets.UTF_8);
        if (body.contains("ThrottlingException")) {
          refusals.add(f);
          assertTrue(body.contains("max-connections-per-user"), body);
        } else {
          assertTrue(body.contains("ValidationException") && body.contains("whole within"), body);
          closedByDeadline++;
        }
        assertTrue(isClosedByPeer(ch), "connection left open after its answer");
      }
      // This user held at most its share (a connection of an earlier test may still be ending).
      assertTrue(closedByDeadline >= 1 && closedByDeadline <= PER_USER, "" + closedByDeadline);
      assertTrue(refusals.size() >= 2 * MAX_CONNECTIONS - PER_USER, "" + refusals.size());
      assertTrue(System.nanoTime() - attackStart
          < Duration.ofSeconds(FRAME_READ_TIMEOUT_S + 4).toNanos());
      // The same user is served again once the deadline has cleared its half frames.
      assertEquals(16, good.call("GenerateRandom", Json.object().put("NumberOfBytes", 16))
          .get("Plaintext").binaryValue().length);
    } finally {
      for (SocketChannel ch : slow) {
        ch.close();
      }
    }
  }

  @Test
  void idleConnection_closedWithNotice_pooledClientReconnectsTransparently() throws Exception {
    try (DaemonClient good = new DaemonClient(daemon.socket(), 1, Duration.ofSeconds(10));
        SocketChannel idle = connect(daemon.socket())) {
      good.call("GenerateRandom", Json.object().put("NumberOfBytes", 8));
      Frame notice = readFrame(idle, Duration.ofSeconds(IDLE_TIMEOUT_S + 3));
      assertNotNull(notice);
      assertEquals(0, notice.requestId());
      String body = new String(notice.body(), StandardCharsets.UTF_8);
      assertTrue(body.contains("ThrottlingException") && body.contains("idle"), body);
      assertTrue(isClosedByPeer(idle));
      // The pooled connection was closed the same way; the next call reconnects unseen.
      assertEquals(8, good.call("GenerateRandom", Json.object().put("NumberOfBytes", 8))
          .get("Plaintext").binaryValue().length);
    }
  }

  // ---- a client that never reads ----

  @Test
  void nonReadingClient_hundredsOfPipelinedDescribeKeys_othersKeepTheirDeadlines()
      throws Exception {
    try (DaemonClient good = new DaemonClient(daemon.socket(), 2, Duration.ofSeconds(3))) {
      // Large answers (an 8,000-character description) fill the socket buffers quickly.
      String key = good.call("CreateKey", Json.object().put("Description", "d".repeat(8000)))
          .get("KeyMetadata").get("KeyId").asText();
      byte[] request = Json.request("DescribeKey", Json.object().put("KeyId", key));
      SocketChannel hog = connect(daemon.socket());
      AtomicInteger sent = new AtomicInteger();
      Thread writer = new Thread(() -> {
        try {
          for (int i = 1; i <= 5000; i++) {
            ChannelStreams.out(hog).write(CODEC.encode(new Frame(Frame.Kind.REQUEST, i, request)));
            sent.incrementAndGet();
          }
        } catch (IOException closedByDaemon) {
          // expected once the daemon gives up on this connection
        }
      });
      writer.start();
      try {
        while (sent.get() < 300) {
          Thread.sleep(10);
        }
        // Everyone else's management calls keep their 3-second deadline.
        for (int i = 0; i < 10; i++) {
          assertEquals("d".repeat(8000), good.call("DescribeKey", Json.object().put("KeyId", key))
              .get("KeyMetadata").get("Description").asText());
          assertNotNull(good.call("CreateKey", Json.object()).get("KeyMetadata"));
        }
        // The hog is disconnected once it has not read for the write timeout.
        writer.join(Duration.ofSeconds(WRITE_TIMEOUT_S + 5).toMillis());
        assertFalse(writer.isAlive(), "the daemon never gave up on a client that does not read");
        assertTrue(sent.get() < 5000, "the daemon kept reading from a client that does not read");
      } finally {
        hog.close();
        writer.join(5000);
      }
    }
  }

  // ---- malformed frames: audited, bounded ----

  @Test
  void malformedFrameFlood_auditedAtABoundedRate_goodClientUnaffected() throws Exception {
    int floods = 1500;
    try (DaemonClient good = new DaemonClient(daemon.socket(), 1, Duration.ofSeconds(10))) {
      long refusedBytesBefore = auditRecords().stream()
          .filter(a -> a.get("eventName").asText().startsWith("MalformedFrame"))
          .mapToLong(a -> a.toString().length() + 1).sum();
      AtomicBoolean stop = new AtomicBoolean();
      AtomicInteger goodCalls = new AtomicInteger();
      CompletableFuture<Void> worker = CompletableFuture.runAsync(() -> {
        while (!stop.get()) {
          good.call("GenerateRandom", Json.object().put("NumberOfBytes", 32));
          goodCalls.incrementAndGet();
        }
      });
      Random r = new Random(14);
      int answered = 0;
      for (int i = 0; i < floods; i++) {
        try (SocketChannel ch = connect(daemon.socket())) {
          byte[] b = new byte[16 + r.nextInt(64)];
          r.nextBytes(b);
          switch (i % 5) {
            case 0 -> { } // random bytes, bad magic
            case 1 -> header(b, (byte) 9, (byte) 1, 10); // wrong version
            case 2 -> header(b, (byte) 1, (byte) 7, 10); // unknown kind
            case 3 -> header(b, (byte) 1, (byte) 1, Integer.MAX_VALUE); // over the limit
            default -> header(b, (byte) 1, (byte) 2, 0); // a response frame from a client
          }
          ch.write(ByteBuffer.wrap(b));
          // Paced by the answers: a refusal at the connection budget is not a frame read.
          Frame f = readFrame(ch, Duration.ofSeconds(5));
          if (f != null && new String(f.body(), StandardCharsets.UTF_8)
              .contains("ValidationException")) {
            answered++;
          }
        } catch (IOException ignored) {
          // the daemon may close first
        }
      }
      assertTrue(answered > floods * 9 / 10, answered + " of " + floods + " answered");
      stop.set(true);
      worker.get(10, TimeUnit.SECONDS);
      assertTrue(goodCalls.get() > 0);

      // Every refused frame is either a record or counted in a window's summary.
      long deadline = System.nanoTime() + Duration.ofSeconds(3 * AUDIT_WINDOW_S + 5).toNanos();
      long records;
      long counted;
      do {
        Thread.sleep(200);
        List<JsonNode> audit = auditRecords();
        records = audit.stream().filter(a -> a.get("eventName").asText().equals("MalformedFrame"))
            .count();
        counted = audit.stream()
            .filter(a -> a.get("eventName").asText().equals("MalformedFramesSuppressed"))
            .mapToLong(a -> a.get("requestParameters").get("suppressedFrames").asLong()).sum();
      } while (records + counted < answered && System.nanoTime() < deadline);
      assertTrue(records + counted >= answered, records + " records + " + counted + " counted");
      // At most AUDIT_PER_WINDOW records per window since the daemon started.
      long windows = Duration.ofNanos(System.nanoTime() - startedNanos).toSeconds()
          / AUDIT_WINDOW_S + 2;
      assertTrue(records <= AUDIT_PER_WINDOW * windows, records + " records in " + windows
          + " windows");
      for (JsonNode a : auditRecords()) {
        if (a.get("eventName").asText().equals("MalformedFrame")) {
          assertEquals("ValidationException", a.get("errorCode").asText());
          assertTrue(a.get("errorMessage").asText().length() < 300, a.toString());
        }
      }
      // 1,500 garbage frames cost a few dozen records, not 1,500.
      long grown = auditRecords().stream()
          .filter(a -> a.get("eventName").asText().startsWith("MalformedFrame"))
          .mapToLong(a -> a.toString().length() + 1).sum() - refusedBytesBefore;
      assertTrue(grown < 50_000, "refused frames took " + grown + " bytes of audit log");
    }
  }

  // ---- every valid request gets a valid answer ----

  @Test
  void listKeys_limit1000_with1001Keys_fullPageThenRest() throws Exception {
    try (DaemonClient good = new DaemonClient(daemon.socket(), 4, Duration.ofSeconds(30))) {
      int existing = countKeys(good);
      List<CompletableFuture<ObjectNode>> created = new ArrayList<>();
      for (int i = existing; i < 1001; i++) {
        created.add(good.callAsync("CreateKey", Json.object()));
      }
      for (CompletableFuture<ObjectNode> f : created) {
        f.get(30, TimeUnit.SECONDS);
      }
      ObjectNode first = good.call("ListKeys", Json.object().put("Limit", 1000));
      assertEquals(1000, first.get("Keys").size());
      assertTrue(first.get("Truncated").asBoolean());
      ObjectNode rest = good.call("ListKeys", Json.object().put("Limit", 1000)
          .put("Marker", first.get("NextMarker").asText()));
      assertTrue(rest.get("Keys").size() >= 1);
      // The CLI (default client settings) takes the same full page.
      DaemonProcess.CliResult cli = daemon.cli("list-keys", "--limit", "1000");
      assertEquals(0, cli.exitCode(), cli.stderr());
      assertEquals(1000, JSON.readTree(cli.stdout()).get("Keys").size());
    }
  }

  @Test
  void listGrants_limit100_withTheLargestConstraints_oneValidAnswer() throws Exception {
    try (DaemonClient good = new DaemonClient(daemon.socket(), 4, Duration.ofSeconds(30))) {
      String key = good.call("CreateKey", Json.object()).get("KeyMetadata").get("KeyId").asText();
      // The largest constraints CreateGrant accepts (AWS's bounds: 8 pairs, 384 characters),
      // in control characters, escaped to six bytes each in JSON both ways: about 74 KB a grant.
      String value = "\u0001".repeat(384);
      ObjectNode pairs = Json.object();
      for (int p = 0; p < 8; p++) {
        pairs.put((char) ('a' + p) + "\u0001".repeat(383), value);
      }
      List<CompletableFuture<ObjectNode>> grants = new ArrayList<>();
      for (int i = 0; i < 100; i++) {
        ObjectNode in = Json.object().put("KeyId", key)
            .put("GranteePrincipal", "arn:coffer:iam::000000000000:user/g" + i);
        in.putArray("Operations").add("Encrypt");
        ObjectNode c = in.putObject("Constraints");
        c.set("EncryptionContextEquals", pairs);
        c.set("EncryptionContextSubset", pairs);
        grants.add(good.callAsync("CreateGrant", in));
      }
      for (CompletableFuture<ObjectNode> g : grants) {
        g.get(30, TimeUnit.SECONDS);
      }
      ObjectNode page = good.call("ListGrants", Json.object().put("KeyId", key).put("Limit", 100));
      assertEquals(100, page.get("Grants").size());
      assertEquals(value, page.get("Grants").get(99).get("Constraints")
          .get("EncryptionContextSubset").get("h" + "\u0001".repeat(383)).asText());
    }
  }

  // ---- at the connection limit ----

  @Test
  void atConnectionLimit_cliAndClientReportThrottlingException() throws Exception {
    Path dir = Files.createTempDirectory(Path.of("/tmp"), "cofl");
    try (DaemonProcess small = DaemonProcess.start(Map.of("max-connections", "3",
            "max-connections-per-user", "3", "frame-read-timeout-seconds", "50"),
            dir.resolve("coffer.sock"))) {
      List<SocketChannel> held = new ArrayList<>();
      try {
        // The start-up probe's connection must be gone before ours take every place.
        small.cli("list-keys");
        for (int i = 0; i < 3; i++) {
          SocketChannel ch = connect(small.socket());
          ch.write(ByteBuffer.wrap(new byte[] {'C', 'F', 1})); // busy: inside a frame
          held.add(ch);
        }
        Thread.sleep(500);
        DaemonProcess.CliResult r = small.cli("list-keys");
        assertEquals(254, r.exitCode(), () -> r.stdout() + r.stderr() + small.logText());
        assertTrue(r.stderr().contains("(ThrottlingException)"), r.stderr());
        assertTrue(r.stderr().contains("max-connections"), r.stderr());
        assertFalse(r.stderr().contains("CofferDaemonUnavailableException"), r.stderr());
        // The library clients (the provider's transport is a DaemonClient) say the same.
        try (DaemonClient c = new DaemonClient(small.socket(), 1, Duration.ofSeconds(5))) {
          KmsException e = assertThrows(KmsException.class,
              () -> c.call("GenerateRandom", Json.object().put("NumberOfBytes", 8)));
          assertEquals("ThrottlingException", e.errorType(), e.getMessage());
        }
      } finally {
        for (SocketChannel ch : held) {
          ch.close();
        }
      }
      // Places freed, the next call is served.
      try (DaemonClient c = new DaemonClient(small.socket(), 1, Duration.ofSeconds(5))) {
        assertNull(c.call("ListKeys", Json.object()).get("NextMarker"));
      }
    } finally {
      DaemonProcess.deleteTree(dir);
    }
  }

  // ---- helpers ----

  private static SocketChannel connect(Path socket) throws IOException {
    SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
    ch.connect(UnixDomainSocketAddress.of(socket));
    return ch;
  }

  private static void header(byte[] b, byte version, byte kind, int length) {
    ByteBuffer.wrap(b).put((byte) 'C').put((byte) 'F').put(version).put(kind).putLong(1)
        .putInt(length);
  }

  /** The next frame on {@code ch}, or null at end of stream; fails after {@code within}. */
  private static Frame readFrame(SocketChannel ch, Duration within) throws Exception {
    return CompletableFuture.supplyAsync(() -> {
      try {
        return CODEC.read(ChannelStreams.in(ch));
      } catch (IOException e) {
        return null;
      }
    }).get(within.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** True when the peer has closed: a read ends the stream (or fails) at once. */
  private static boolean isClosedByPeer(SocketChannel ch) throws Exception {
    return CompletableFuture.supplyAsync(() -> {
      try {
        return ch.read(ByteBuffer.allocate(1)) < 0;
      } catch (IOException e) {
        return true;
      }
    }).get(5, TimeUnit.SECONDS);
  }

  /** Runs the protocol's Python example client as user {@code nobody}; returns its answer. */
  private static JsonNode runAsOtherUser(String operation, String input) throws Exception {
    ProcessBuilder pb = new ProcessBuilder("setpriv", "--reuid=65534", "--regid=65534",
        "--clear-groups", "/usr/bin/python3", shared.resolve("raw_client.py").toString(),
        operation, input).directory(shared.toFile());
    pb.environment().put("COFFER_SOCKET", daemon.socket().toString());
    pb.redirectErrorStream(true);
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(20, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), out);
    return JSON.readTree(out);
  }

  private static int countKeys(DaemonClient c) {
    int n = 0;
    String marker = null;
    do {
      ObjectNode in = Json.object().put("Limit", 100);
      if (marker != null) {
        in.put("Marker", marker);
      }
      ObjectNode page = c.call("ListKeys", in);
      n += page.get("Keys").size();
      marker = page.path("NextMarker").asText(null);
    } while (marker != null);
    return n;
  }

  private static List<JsonNode> auditRecords() throws IOException {
    List<JsonNode> out = new ArrayList<>();
    try (Stream<Path> files = Files.list(daemon.home().resolve("audit"))) {
      for (Path f : files.filter(p -> p.getFileName().toString().endsWith(".jsonl")).sorted()
          .toList()) {
        for (String line : Files.readAllLines(f)) {
          if (line.endsWith("}")) {
            out.add(JSON.readTree(line));
          }
        }
      }
    }
    return out;
  }
}
