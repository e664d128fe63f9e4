package dev.coffer.bench;

import com.amazonaws.encryptionsdk.AwsCrypto;
import com.amazonaws.encryptionsdk.CommitmentPolicy;
import com.amazonaws.encryptionsdk.CryptoAlgorithm;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.bench.support.InProcessDaemon;
import dev.coffer.bench.support.Shows;
import dev.coffer.daemon.cli.files.AtomicOutput;
import dev.coffer.daemon.cli.files.KmsDataKeys;
import dev.coffer.esdk.AlgorithmSuite;
import dev.coffer.esdk.EncryptionContext;
import dev.coffer.esdk.MessageDecryptor;
import dev.coffer.esdk.MessageEncryptor;
import dev.coffer.esdk.Progress;
import dev.coffer.protocol.DaemonClient;
import dev.coffer.protocol.Json;
import java.io.BufferedInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import software.amazon.cryptography.materialproviders.IKeyring;
import software.amazon.cryptography.materialproviders.MaterialProviders;
import software.amazon.cryptography.materialproviders.model.AesWrappingAlg;
import software.amazon.cryptography.materialproviders.model.CreateRawAesKeyringInput;
import software.amazon.cryptography.materialproviders.model.MaterialProvidersConfig;

/**
 * The timed file run: one {@code size}-byte file (1 GiB by default) encrypted to disk and
 * decrypted back, by the code {@code coffer encrypt-file}/{@code decrypt-file} run (1 MiB
 * buffers, temporary file synced and renamed) and by the AWS Encryption SDK for Java's streams
 * (same suite 0x0478, same frame size, 4096 and 262144, raw AES keyring), in the same run and
 * on the same disk under /tmp. Single-shot: seconds per whole file.
 */
@Shows("The timed 1 GiB file run: encrypt-file's code path (file to file, fsync and rename) "
    + "against the AWS Encryption SDK for Java's streams (same suite, same frame size), "
    + "same disk.")
@State(Scope.Thread)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx256m"})
@Warmup(iterations = 1)
@Measurement(iterations = 3)
public class FileEncryptionDiskBenchmark {

  @Param({FileEncryptionBenchmark.COFFER_FILE, FileEncryptionBenchmark.AWS_ESDK_STREAM})
  public String impl;

  @Param({"1073741824"})
  public long size;

  /** Plaintext bytes per frame, the same for both: the ESDK's default and encrypt-file's. */
  @Param({"4096", "262144"})
  public int frame;

  static final Map<String, String> CONTEXT = Map.of("purpose", "bench");

  private Path dir;
  private Path plain;
  private Path sealed;
  private Path opened;
  private DaemonClient client;
  private KmsDataKeys cofferKeys;
  private AwsCrypto esdk;
  private IKeyring esdkKeyring;

  @Setup(Level.Trial)
  public void setUp(InProcessDaemon daemon) throws Exception {
    dir = Files.createTempDirectory(Path.of("/tmp"), "filebench");
    plain = dir.resolve("plain");
    sealed = dir.resolve("plain.enc");
    opened = dir.resolve("plain.out");
    // Random bytes, not a sparse file: the input is read from the page cache or disk.
    byte[] chunk = new byte[1 << 20];
    SecureRandom random = new SecureRandom();
    try (RandomAccessFile f = new RandomAccessFile(plain.toFile(), "rw")) {
      for (long done = 0; done < size; done += chunk.length) {
        random.nextBytes(chunk);
        f.write(chunk, 0, (int) Math.min(chunk.length, size - done));
      }
    }
    if (impl.equals(FileEncryptionBenchmark.COFFER_FILE)) {
      client = new DaemonClient(Path.of(System.getProperty("coffer.socket")), 1,
          Duration.ofSeconds(30));
      ObjectNode key = client.call("CreateKey", Json.object());
      cofferKeys = new KmsDataKeys(client, key.path("KeyMetadata").path("Arn").asText());
    } else {
      byte[] kek = new byte[32];
      random.nextBytes(kek);
      esdkKeyring = MaterialProviders.builder()
          .MaterialProvidersConfig(MaterialProvidersConfig.builder().build()).build()
          .CreateRawAesKeyring(CreateRawAesKeyringInput.builder().keyNamespace("bench")
              .keyName("kek").wrappingKey(ByteBuffer.wrap(kek))
              .wrappingAlg(AesWrappingAlg.ALG_AES256_GCM_IV12_TAG16).build());
      esdk = AwsCrypto.builder()
          .withCommitmentPolicy(CommitmentPolicy.RequireEncryptRequireDecrypt)
          .withEncryptionAlgorithm(CryptoAlgorithm.ALG_AES_256_GCM_HKDF_SHA512_COMMIT_KEY)
          .withEncryptionFrameSize(frame).build();
    }
    encryptFile();
  }

  @TearDown(Level.Trial)
  public void tearDown() throws Exception {
    if (client != null) {
      client.close();
    }
    for (Path p : new Path[] {plain, sealed, opened}) {
      Files.deleteIfExists(p);
    }
    Files.deleteIfExists(dir);
  }

  private static InputStream in(Path p) throws Exception {
    return new BufferedInputStream(Files.newInputStream(p), 1 << 20);
  }

  @Benchmark
  public void encryptFile() throws Exception {
    try (InputStream in = in(plain); AtomicOutput out = new AtomicOutput(sealed)) {
      if (cofferKeys != null) {
        new MessageEncryptor(AlgorithmSuite.AES_256_GCM_HKDF_SHA512_COMMIT_KEY, frame).encrypt(
            in, out.stream(), EncryptionContext.of(CONTEXT), cofferKeys, Progress.NONE);
      } else {
        try (OutputStream s = esdk.createEncryptingStream(esdkKeyring,
            new NonClosing(out.stream()), CONTEXT)) {
          in.transferTo(s);
        }
      }
      out.commit();
    }
  }

  @Benchmark
  public void decryptFile() throws Exception {
    try (InputStream in = in(sealed); AtomicOutput out = new AtomicOutput(opened)) {
      if (cofferKeys != null) {
        MessageDecryptor.decrypt(in, out.stream(), CONTEXT, cofferKeys, Progress.NONE);
      } else {
        try (OutputStream s = esdk.createDecryptingStream(esdkKeyring,
            new NonClosing(out.stream()))) {
          in.transferTo(s);
        }
      }
      out.commit();
    }
  }

  /** Lets the SDK's stream close without closing the file, which {@code commit} syncs. */
  private static final class NonClosing extends java.io.FilterOutputStream {
    NonClosing(OutputStream out) {
      super(out);
    }

    @Override
    public void write(byte[] b, int off, int len) throws java.io.IOException {
      out.write(b, off, len);
    }

    @Override
    public void close() throws java.io.IOException {
      flush();
    }
  }
}
