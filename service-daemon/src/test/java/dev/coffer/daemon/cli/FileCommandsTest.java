package dev.coffer.daemon.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coffer.daemon.TestDaemon;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * encrypt-file and decrypt-file in the CLI against a real daemon: what the command line
 * refuses before any call (exit 252), what the daemon refuses (exit 254, the AWS error line),
 * and that no output file appears on any failure.
 */
class FileCommandsTest {

  private TestDaemon d;
  private Path dir;
  private Path plain;

  record Run(int code, String out, String err) {}

  @BeforeEach
  void start() throws Exception {
    d = new TestDaemon();
    dir = Files.createDirectory(d.home.resolve("files"));
    plain = Files.write(dir.resolve("plain"), "ledger".repeat(2000).getBytes(
        StandardCharsets.UTF_8));
  }

  @AfterEach
  void stop() throws Exception {
    d.close();
  }

  private Run coffer(String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.add("--socket");
    all.add(d.daemon.socket().toString());
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = new CofferCli(new PrintWriter(out, true), new PrintWriter(err, true))
        .run(all.toArray(String[]::new));
    return new Run(code, out.toString(), err.toString());
  }

  private String newKeyArn() {
    Run r = coffer("create-key", "--query", "KeyMetadata.Arn", "--output", "text");
    assertEquals(0, r.code(), r.err());
    return r.out().trim();
  }

  private List<Path> files() throws Exception {
    try (Stream<Path> s = Files.list(dir)) {
      return s.sorted().toList();
    }
  }

  @Test
  void aliasOnEncrypt_writesTheKeyArn_asTheKeyringDoes() throws Exception {
    String arn = newKeyArn();
    assertEquals(0, coffer("create-alias", "--alias-name", "alias/ledger", "--target-key-id",
        arn).code());
    Path sealed = dir.resolve("plain.enc");
    Run e = coffer("encrypt-file", "--key-id", "alias/ledger", "--in", plain.toString(), "--out",
        sealed.toString());
    assertEquals(0, e.code(), e.err());
    assertEquals("", e.out() + e.err(), "silent when not on a terminal");
    String header = new String(Files.readAllBytes(sealed), StandardCharsets.ISO_8859_1);
    assertTrue(header.contains("aws-kms") && header.contains(arn), "provider aws-kms, info ARN");
    Path opened = dir.resolve("plain.out");
    Run o = coffer("decrypt-file", "--in", sealed.toString(), "--out", opened.toString(),
        "--key-id", arn);
    assertEquals(0, o.code(), o.err());
    assertArrayEquals(Files.readAllBytes(plain), Files.readAllBytes(opened));
  }

  @Test
  void defaultFrameSize_is256KiB_andTheEsdkDefaultStillReads() throws Exception {
    String arn = newKeyArn();
    Files.write(plain, new byte[600_000]); // 3 frames of 256 KiB, 147 of 4096 bytes
    long[] sizes = new long[3];
    String[][] frames = {{}, {"--frame-size", "262144"}, {"--frame-size", "4096"}};
    for (int i = 0; i < frames.length; i++) {
      Path sealed = dir.resolve("sealed" + i);
      List<String> args = new ArrayList<>(List.of("encrypt-file", "--key-id", arn, "--in",
          plain.toString(), "--out", sealed.toString()));
      args.addAll(List.of(frames[i]));
      Run e = coffer(args.toArray(String[]::new));
      assertEquals(0, e.code(), e.err());
      sizes[i] = Files.size(sealed);
      Path opened = dir.resolve("opened" + i);
      Run o = coffer("decrypt-file", "--in", sealed.toString(), "--out", opened.toString());
      assertEquals(0, o.code(), o.err());
      assertArrayEquals(Files.readAllBytes(plain), Files.readAllBytes(opened));
    }
    // Same header size in each (one data key of the same length): the sizes differ only by
    // the frames' 32 (regular) or 40 (final) bytes each.
    assertEquals(sizes[1], sizes[0], "the default is 262144-byte frames");
    assertEquals((146 - 2) * 32, sizes[2] - sizes[0], "4096-byte frames: 144 regular ones more");
  }

  @Test
  void badCommandLines_exit252_beforeAnyCall() throws Exception {
    String arn = newKeyArn();
    String out = dir.resolve("x").toString();
    String[][] bad = {
        {"encrypt-file", "--in", plain.toString(), "--out", out},
        {"encrypt-file", "--key-id", arn, "--out", out},
        {"encrypt-file", "--key-id", arn, "--in", plain.toString(), "--out", out,
            "--frame-size", "0"},
        {"encrypt-file", "--key-id", arn, "--in", plain.toString(), "--out", out,
            "--frame-size", "4194305"},
        {"encrypt-file", "--key-id", arn, "--in", plain.toString(), "--out", out,
            "--frame-size", "4k"},
        {"encrypt-file", "--key-id", arn, "--in", plain.toString(), "--out", out,
            "--encryption-context", "aws-crypto-public-key=x"},
        {"encrypt-file", "--key-id", arn, "--in", plain.toString(), "--out", out,
            "--encryption-context", "a=1,a=2"},
        {"decrypt-file", "--in", plain.toString(), "--out", "-"},
    };
    for (String[] args : bad) {
      Run r = coffer(args);
      assertEquals(252, r.code(), String.join(" ", args) + ": " + r);
      assertTrue(r.err().startsWith("coffer " + args[0] + ": "), r.err());
      assertEquals(List.of(plain), files(), String.join(" ", args));
    }
  }

  @Test
  void daemonRefusals_exit254_withTheAwsErrorLine_andNoOutput() throws Exception {
    Path out = dir.resolve("out");
    Run missing = coffer("encrypt-file", "--key-id", "alias/none", "--in", plain.toString(),
        "--out", out.toString());
    assertEquals(254, missing.code(), missing.toString());
    assertTrue(missing.err().contains("An error occurred (NotFoundException) when calling the"
        + " GenerateDataKey operation"), missing.err());
    assertEquals(List.of(plain), files());

    String arn = newKeyArn();
    Path sealed = dir.resolve("plain.enc");
    assertEquals(0, coffer("encrypt-file", "--key-id", arn, "--in", plain.toString(), "--out",
        sealed.toString()).code());
    assertEquals(0, coffer("disable-key", "--key-id", arn).code());
    Run disabled = coffer("decrypt-file", "--in", sealed.toString(), "--out", out.toString());
    assertEquals(254, disabled.code(), disabled.toString());
    assertTrue(disabled.err().contains("An error occurred (DisabledException) when calling the"
        + " Decrypt operation"), disabled.err());
    assertTrue(disabled.err().contains("nothing was written to " + out), disabled.err());
    assertFalse(Files.exists(out));
    assertEquals(List.of(plain, sealed), files(), "no temporary file left");
  }

  @Test
  void missingInput_exit2_andNoOutput() throws Exception {
    String arn = newKeyArn();
    Run r = coffer("encrypt-file", "--key-id", arn, "--in", dir.resolve("nope").toString(),
        "--out", dir.resolve("out").toString());
    assertEquals(2, r.code(), r.toString());
    assertTrue(r.err().contains("no such file"), r.err());
    assertEquals(List.of(plain), files());
  }

  @Test
  void outInAMissingDirectoryOrOnADirectory_exit2_namingWhatTheUserGave() throws Exception {
    String arn = newKeyArn();
    Path missing = dir.resolve("no-such-dir").resolve("out");
    Run r = coffer("encrypt-file", "--key-id", arn, "--in", plain.toString(), "--out",
        missing.toString());
    assertEquals(2, r.code(), r.toString());
    // The hidden temporary file is an implementation detail the user never named.
    assertFalse(r.err().contains(".partial"), r.err());
    assertTrue(r.err().contains(missing.getParent().toString()), r.err());
    Path sub = Files.createDirectory(dir.resolve("sub"));
    r = coffer("encrypt-file", "--key-id", arn, "--in", plain.toString(), "--out",
        sub.toString());
    assertEquals(2, r.code(), r.toString());
    assertFalse(r.err().contains(".partial"), r.err());
    assertTrue(r.err().contains("is a directory"), r.err());
    assertTrue(Files.isDirectory(sub));
  }

  /** Before, the JDK's bare "Is a directory" was printed, naming no file. */
  @Test
  void inOnADirectory_exit2_namingIt() throws Exception {
    String arn = newKeyArn();
    Path sub = Files.createDirectory(dir.resolve("in-dir"));
    for (String command : new String[] {"encrypt-file", "decrypt-file"}) {
      Run r = coffer(command, "--key-id", arn, "--in", sub.toString(), "--out",
          dir.resolve("out").toString());
      assertEquals(2, r.code(), r.toString());
      assertTrue(r.err().contains(sub + " is a directory; give a file name for --in"), r.err());
      assertFalse(Files.exists(dir.resolve("out")));
    }
  }
}
