package dev.coffer.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.amazonaws.encryptionsdk.AwsCrypto;
import com.amazonaws.encryptionsdk.CommitmentPolicy;
import com.amazonaws.encryptionsdk.CryptoAlgorithm;
import com.amazonaws.encryptionsdk.CryptoResult;
import com.fasterxml.jackson.databind.JsonNode;
import dev.coffer.conformance.DaemonProcess.CliResult;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import software.amazon.awssdk.services.kms.KmsClient;

/**
 * {@code coffer encrypt-file} and {@code decrypt-file}, run as a user runs them ({@code
 * bin/coffer}, a real daemon), against the AWS Encryption SDK for Java 3.x whose KMS keyring
 * talks to the same daemon over its HTTPS endpoint: files written by one open with the other, in
 * both algorithm suites; damaged files are refused with nothing left at the destination; a
 * multi-gigabyte sparse file round trips in a 64 MiB heap.
 */
// Two cases at a time: each works in a directory of its own on the shared daemon and key, and
// the multi-gigabyte case waits on the disk while another uses the cores.
@Execution(ExecutionMode.CONCURRENT)
class FileEncryptionConformanceTest {

  static final String REGION = "eu-west-2";
  static final String ACCOUNT = "444455556666";
  static final Map<String, String> CONTEXT = Map.of("tenant", "acme", "purpose", "backup");

  static DaemonProcess daemon;
  static KmsClient kms;
  static String keyArn;
  Path dir;

  @BeforeAll
  static void start() throws Exception {
    daemon = DaemonProcess.startHttps(Map.of("region", REGION, "account", ACCOUNT,
        "admins", HttpsEndpointConformanceTest.adminsWith("files")));
    JsonNode key = HttpsEndpointConformanceTest.createAccessKey(daemon, "files");
    kms = AwsClients.kms(daemon, REGION, key.get("AccessKeyId").asText(),
        key.get("SecretAccessKey").asText());
    keyArn = kms.createKey(b -> b.description("files")).keyMetadata().arn();
  }

  @AfterAll
  static void stop() throws Exception {
    if (kms != null) {
      kms.close();
    }
    if (daemon != null) {
      daemon.close();
    }
  }

  @BeforeEach
  void newDirectory() throws IOException {
    dir = Files.createTempDirectory(Path.of("/tmp"), "files");
  }

  @AfterEach
  void removeDirectory() throws IOException {
    DaemonProcess.deleteTree(dir);
  }

  /** The ESDK's AWS KMS keyring for the test key, its KmsClient pointed at the daemon. */
  static software.amazon.cryptography.materialproviders.IKeyring keyring() {
    return EncryptionSdkConformanceTest.MPL.CreateAwsKmsKeyring(
        software.amazon.cryptography.materialproviders.model.CreateAwsKmsKeyringInput.builder()
            .kmsKeyId(keyArn).kmsClient(kms).build());
  }

  static AwsCrypto esdk(CryptoAlgorithm suite) {
    return AwsCrypto.builder().withCommitmentPolicy(CommitmentPolicy.RequireEncryptRequireDecrypt)
        .withEncryptionAlgorithm(suite).build();
  }

  static String contextArg() {
    return "tenant=acme,purpose=backup";
  }

  CliResult encrypt(Path in, Path out, String... extra) throws Exception {
    List<String> args = new ArrayList<>(List.of("encrypt-file", "--key-id", keyArn,
        "--encryption-context", contextArg(), "--in", in.toString(), "--out", out.toString()));
    args.addAll(List.of(extra));
    return daemon.cli(args.toArray(String[]::new));
  }

  CliResult decrypt(Path in, Path out, String... extra) throws Exception {
    List<String> args = new ArrayList<>(List.of("decrypt-file", "--in", in.toString(), "--out",
        out.toString()));
    args.addAll(List.of(extra));
    return daemon.cli(args.toArray(String[]::new));
  }

  static byte[] random(int n) {
    byte[] b = new byte[n];
    new SecureRandom().nextBytes(b);
    return b;
  }

  @Test
  void roundTrip_bothSuites_frameBoundaries_andFrameSize() throws Exception {
    String[][] variants = {{}, {"--signed"}, {"--frame-size", "1000"}};
    int[] sizes = {0, 4096, 10_000};
    for (String[] v : variants) {
      for (int size : sizes) {
        byte[] p = random(size);
        Path plain = Files.write(dir.resolve("p" + size), p);
        Path sealed = dir.resolve("p" + size + ".enc");
        Path opened = dir.resolve("p" + size + ".out");
        CliResult e = encrypt(plain, sealed, v);
        assertEquals(0, e.exitCode(), e::toString);
        assertEquals("", e.stderr(), "no progress bar when not on a terminal");
        CliResult d = decrypt(sealed, opened, "--encryption-context", "tenant=acme");
        assertEquals(0, d.exitCode(), d::toString);
        assertArrayEquals(p, Files.readAllBytes(opened), List.of(v) + " size " + size);
        assertEquals("rw-------", PosixFilePermissions.toString(
            Files.getPosixFilePermissions(opened)));
        Files.delete(opened);
      }
    }
  }

  @Test
  void cofferWrites_esdkForJavaReads_bothSuites() throws Exception {
    // encrypt-file's default frame (256 KiB) and the ESDK's (4096), each over several of
    // encrypt-file's 1 MiB batches.
    for (String[] variant : new String[][] {{}, {"--signed"}, {"--frame-size", "4096"},
        {"--signed", "--frame-size", "4096"}}) {
      boolean signed = List.of(variant).contains("--signed");
      int frame = variant.length > 1 ? 4096 : 262144;
      byte[] p = random(2 * (1 << 20) + 3 * frame + 17);
      Path plain = Files.write(dir.resolve("p"), p);
      Path sealed = dir.resolve(signed + "-" + frame + ".enc");
      CliResult e = encrypt(plain, sealed, variant);
      assertEquals(0, e.exitCode(), e::toString);
      CryptoAlgorithm suite = signed
          ? CryptoAlgorithm.ALG_AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384
          : CryptoAlgorithm.ALG_AES_256_GCM_HKDF_SHA512_COMMIT_KEY;
      CryptoResult<byte[], ?> r = esdk(suite).decryptData(
          keyring(), Files.readAllBytes(sealed), CONTEXT);
      assertArrayEquals(p, r.getResult());
      assertEquals(suite, r.getCryptoAlgorithm());
      assertEquals("acme", r.getEncryptionContext().get("tenant"));
      assertEquals(signed, r.getEncryptionContext().containsKey("aws-crypto-public-key"));
      assertEquals(frame, r.getHeaders().getFrameLength());
    }
    // No encryption context at all: the header's AAD length is 0 and nothing follows it.
    Path plain = Files.write(dir.resolve("empty-context"), random(5000));
    Path sealed = dir.resolve("empty-context.enc");
    CliResult e = daemon.cli("encrypt-file", "--key-id", keyArn, "--in", plain.toString(),
        "--out", sealed.toString());
    assertEquals(0, e.exitCode(), e::toString);
    CryptoResult<byte[], ?> r = esdk(CryptoAlgorithm.ALG_AES_256_GCM_HKDF_SHA512_COMMIT_KEY)
        .decryptData(keyring(), Files.readAllBytes(sealed));
    assertArrayEquals(Files.readAllBytes(plain), r.getResult());
    assertTrue(r.getEncryptionContext().isEmpty(), r.getEncryptionContext()::toString);
  }

  @Test
  void esdkForJavaWrites_cofferReads_bothSuites() throws Exception {
    for (CryptoAlgorithm suite : new CryptoAlgorithm[] {
        CryptoAlgorithm.ALG_AES_256_GCM_HKDF_SHA512_COMMIT_KEY,
        CryptoAlgorithm.ALG_AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384}) {
      for (int size : new int[] {0, 8192, 20_000, 2 * (1 << 20) + 4097}) {
        byte[] p = random(size);
        byte[] sealed = esdk(suite).encryptData(keyring(), p,
            CONTEXT).getResult();
        Path in = Files.write(dir.resolve("esdk.enc"), sealed);
        Path out = dir.resolve("esdk.out");
        CliResult d = decrypt(in, out, "--encryption-context", contextArg(), "--key-id", keyArn);
        assertEquals(0, d.exitCode(), d::toString);
        assertArrayEquals(p, Files.readAllBytes(out), suite + " size " + size);
        Files.delete(out);
      }
    }
  }

  /**
   * On a terminal (a pseudo-terminal from util-linux {@code script}) encrypt-file draws a
   * progress bar with the bytes in MiB, the rate and the elapsed/remaining time; with {@code
   * --quiet}, and whenever output is not a terminal (every other test here), nothing.
   */
  @Test
  void progressBar_onATerminalOnly_andNotWithQuiet() throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/script")),
        "util-linux script (a pseudo-terminal) is not installed");
    Path plain = dir.resolve("p");
    try (RandomAccessFile f = new RandomAccessFile(plain.toFile(), "rw")) {
      f.setLength(64L << 20);
    }
    String shown = onTerminal("encrypt-file --key-id " + keyArn + " --in " + plain + " --out "
        + dir.resolve("p.enc"));
    assertTrue(shown.contains("Encrypting") && shown.contains("64/64 MiB")
        && shown.contains("MiB/s"), shown);
    String quiet = onTerminal("decrypt-file --quiet --in " + dir.resolve("p.enc") + " --out "
        + dir.resolve("p.out"));
    assertEquals("", quiet);
    assertEquals(64L << 20, Files.size(dir.resolve("p.out")));
  }

  /** What {@code bin/coffer ARGS} prints when run on a pseudo-terminal. */
  String onTerminal(String args) throws Exception {
    ProcessBuilder pb = new ProcessBuilder("/usr/bin/script", "-qec",
        DaemonProcess.ROOT.resolve("bin/coffer") + " " + args, "/dev/null")
        .redirectErrorStream(true);
    pb.environment().putAll(daemon.env());
    pb.environment().put("JAVA", DaemonProcess.JAVA.toString());
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(2, TimeUnit.MINUTES));
    assertEquals(0, p.exitValue(), out);
    return out;
  }

  /** Runs decrypt-file on {@code message} and checks it is refused, leaving nothing behind. */
  void assertRefused(byte[] message, String why, String... extra) throws Exception {
    Path in = Files.write(dir.resolve("bad.enc"), message);
    Path out = dir.resolve("bad.out");
    CliResult d = decrypt(in, out, extra);
    assertTrue(d.exitCode() == 1 || d.exitCode() == 254, why + ": " + d);
    assertTrue(d.stderr().contains("nothing was written") || d.stderr().contains("An error"
        + " occurred (InvalidCiphertextException) when calling the Decrypt operation"),
        why + ": " + d);
    assertFalse(Files.exists(out), why + ": " + out + " exists");
    try (Stream<Path> s = Files.list(dir)) {
      assertEquals(List.of(in), s.toList(), why + ": temporary files left");
    }
  }

  @Test
  void damagedFiles_areRefused_withNothingLeftBehind() throws Exception {
    for (boolean signed : new boolean[] {false, true}) {
      byte[] p = random(3 * 4096 + 100);
      Path plain = Files.write(dir.resolve("p"), p);
      Path sealedFile = dir.resolve("p.enc");
      CliResult e = signed ? encrypt(plain, sealedFile, "--signed") : encrypt(plain, sealedFile);
      assertEquals(0, e.exitCode(), e::toString);
      byte[] m = Files.readAllBytes(sealedFile);
      Files.delete(plain);
      Files.delete(sealedFile);
      int headerEnd = headerLength(m);
      // Truncated: inside the header, inside a frame, at a frame boundary, before the footer.
      for (int len : new int[] {10, headerEnd - 1, headerEnd + 100, headerEnd + 16 + 4 + 12
          + 4096 + 16, m.length - 1}) {
        assertRefused(java.util.Arrays.copyOf(m, len), signed + " truncated to " + len);
      }
      // One bit changed: version, suite, context, data key, commitment key, header tag, first
      // and last frame, footer.
      for (int at : new int[] {0, 2, 40, 80, headerEnd - 20, headerEnd + 5, headerEnd + 100,
          m.length - 30, m.length - 1}) {
        byte[] altered = m.clone();
        altered[at] ^= 0x10;
        assertRefused(altered, signed + " byte " + at + " changed");
      }
      // Bytes after the end.
      assertRefused(java.util.Arrays.copyOf(m, m.length + 1), signed + " trailing byte");
      // The wrong encryption context.
      assertRefused(m, signed + " wrong context", "--encryption-context", "tenant=globex");
      // Another key named with --key-id.
      String other = kms.createKey(b -> b.description("other")).keyMetadata().arn();
      assertRefused(m, signed + " other key", "--key-id", other);
    }
  }

  @Test
  void wrongCommitmentKey_isRefusedByName() throws Exception {
    Path plain = Files.write(dir.resolve("p"), random(100));
    Path sealed = dir.resolve("p.enc");
    assertEquals(0, encrypt(plain, sealed).exitCode());
    byte[] m = Files.readAllBytes(sealed);
    Files.delete(plain);
    Files.delete(sealed);
    m[headerLength(m) - 16 - 1] ^= 1; // the last byte of the commitment key
    Path in = Files.write(dir.resolve("bad.enc"), m);
    CliResult d = decrypt(in, dir.resolve("bad.out"));
    assertEquals(1, d.exitCode(), d::toString);
    assertTrue(d.stderr().contains("commitment key"), d::toString);
    assertFalse(Files.exists(dir.resolve("bad.out")));
  }

  /** Header body and tag of a message with one aws-kms entry, parsed from its length fields. */
  static int headerLength(byte[] m) {
    java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(m);
    b.position(1 + 2 + 32);
    skip(b); // the encryption context
    int keys = Short.toUnsignedInt(b.getShort());
    for (int i = 0; i < keys; i++) {
      skip(b); // provider ID
      skip(b); // provider info
      skip(b); // encrypted data key
    }
    return b.position() + 1 + 4 + 32 + 16;
  }

  /** Skips a UInt16-length-prefixed field. */
  private static void skip(java.nio.ByteBuffer b) {
    int n = Short.toUnsignedInt(b.getShort());
    b.position(b.position() + n);
  }

  /**
   * A 3 GiB sparse file (past 2^31 bytes; {@code -Dcoffer.bigFileGiB=N} changes it) through
   * encrypt-file and decrypt-file with the CLI's heap at 64 MiB: memory does not grow with the
   * file. Times are printed for the record (30 to 60 s each way on a loaded 2-core machine,
   * where the disk sets the pace).
   */
  @Test
  void multiGigabyteSparseFile_roundTrips_inA64MiBHeap() throws Exception {
    long size = Long.getLong("coffer.bigFileGiB", 3) << 30;
    Path big = dir.resolve("big");
    try (RandomAccessFile f = new RandomAccessFile(big.toFile(), "rw")) {
      f.setLength(size);
      f.seek(size - 5);
      f.write("tail!".getBytes(StandardCharsets.US_ASCII));
    }
    Path sealed = dir.resolve("big.enc");
    Path opened = dir.resolve("big.out");
    long t0 = System.nanoTime();
    run("encrypt-file", "--key-id", keyArn, "--in", big.toString(), "--out", sealed.toString());
    long t1 = System.nanoTime();
    Files.delete(big);
    run("decrypt-file", "--in", sealed.toString(), "--out", opened.toString());
    long t2 = System.nanoTime();
    System.out.printf("%d GiB sparse file, CLI at -Xmx64m: encrypt-file %.1f s, decrypt-file"
        + " %.1f s%n", size >> 30, (t1 - t0) / 1e9, (t2 - t1) / 1e9);
    Files.delete(sealed);
    assertEquals(size, Files.size(opened));
    try (InputStream in = Files.newInputStream(opened)) {
      byte[] buf = new byte[1 << 20];
      long seen = 0;
      for (int n; (n = in.read(buf)) > 0; ) {
        for (int i = 0; i < n; i++) {
          if (buf[i] != 0 && seen + i < size - 5) {
            throw new AssertionError("byte " + (seen + i) + " is not zero");
          }
        }
        seen += n;
      }
    }
    try (RandomAccessFile f = new RandomAccessFile(opened.toFile(), "r")) {
      byte[] tail = new byte[5];
      f.seek(size - 5);
      f.readFully(tail);
      assertEquals("tail!", new String(tail, StandardCharsets.US_ASCII));
    }
  }

  /**
   * The smallest frames in a 64 MiB heap: one plaintext byte seals to 41, so a batch of a
   * mebibyte of one-byte frames would need two sealed buffers of 41 MiB each.
   */
  @Test
  void oneByteFrames_roundTrip_inA64MiBHeap() throws Exception {
    byte[] plain = new byte[(1 << 20) + 4097];
    new java.util.Random(7).nextBytes(plain);
    Path in = dir.resolve("small");
    Files.write(in, plain);
    Path sealed = dir.resolve("small.enc");
    Path opened = dir.resolve("small.out");
    run("encrypt-file", "--key-id", keyArn, "--frame-size", "1", "--in", in.toString(),
        "--out", sealed.toString());
    run("decrypt-file", "--in", sealed.toString(), "--out", opened.toString());
    assertArrayEquals(plain, Files.readAllBytes(opened));
    Files.delete(sealed);
  }

  /**
   * decrypt-file stopped by SIGTERM (Ctrl-C's effect) halfway through: the partial plaintext in
   * its temporary file is deleted and the destination never appears.
   */
  @Test
  void decryptStoppedHalfway_leavesNoPartialPlaintext() throws Exception {
    Path big = dir.resolve("big");
    try (RandomAccessFile f = new RandomAccessFile(big.toFile(), "rw")) {
      f.setLength(512L << 20);
    }
    Path sealed = dir.resolve("big.enc");
    run("encrypt-file", "--key-id", keyArn, "--in", big.toString(), "--out", sealed.toString());
    Files.delete(big);
    Path out = dir.resolve("big.out");
    ProcessBuilder pb = new ProcessBuilder(DaemonProcess.ROOT.resolve("bin/coffer").toString(),
        "decrypt-file", "--in", sealed.toString(), "--out", out.toString())
        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
    pb.environment().putAll(daemon.env());
    pb.environment().put("JAVA", DaemonProcess.JAVA.toString());
    Process p = pb.start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    Path partial = null;
    while (partial == null && System.nanoTime() < deadline && p.isAlive()) {
      try (Stream<Path> s = Files.list(dir)) {
        partial = s.filter(f -> f.getFileName().toString().endsWith(".partial")
            && sizeOf(f) > (1 << 20)).findFirst().orElse(null);
      }
      Thread.sleep(20);
    }
    assertTrue(partial != null && p.isAlive(), "decrypt-file never got halfway");
    p.destroy(); // SIGTERM
    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    assertFalse(Files.exists(out));
    try (Stream<Path> s = Files.list(dir)) {
      assertEquals(List.of(sealed), s.toList(), "the partial plaintext was left behind");
    }
  }

  private static long sizeOf(Path p) {
    try {
      return Files.size(p);
    } catch (IOException e) {
      return 0;
    }
  }

  /** bin/coffer with a 64 MiB heap and a generous time limit; fails on a non-zero exit. */
  void run(String... args) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(DaemonProcess.ROOT.resolve("bin/coffer").toString());
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(dir.resolve("cli.log").toFile());
    pb.environment().putAll(daemon.env());
    pb.environment().put("JAVA", DaemonProcess.JAVA.toString());
    pb.environment().put("COFFER_JAVA_OPTS", "-Xmx64m");
    Process p = pb.start();
    if (!p.waitFor(10, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new AssertionError(args[0] + " took over 10 minutes");
    }
    assertEquals(0, p.exitValue(), () -> {
      try {
        return Files.readString(dir.resolve("cli.log"));
      } catch (IOException e) {
        return e.toString();
      }
    });
    Files.delete(dir.resolve("cli.log"));
  }
}
