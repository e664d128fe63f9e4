package dev.coffer.bench;

import com.amazonaws.encryptionsdk.AwsCrypto;
import com.amazonaws.encryptionsdk.CommitmentPolicy;
import com.amazonaws.encryptionsdk.CryptoAlgorithm;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.bench.support.AeadPeer;
import dev.coffer.bench.support.InProcessDaemon;
import dev.coffer.bench.support.Peers;
import dev.coffer.bench.support.Shows;
import dev.coffer.daemon.cli.files.KmsDataKeys;
import dev.coffer.esdk.AlgorithmSuite;
import dev.coffer.esdk.EncryptionContext;
import dev.coffer.esdk.MessageDecryptor;
import dev.coffer.esdk.MessageEncryptor;
import dev.coffer.esdk.Progress;
import dev.coffer.protocol.DaemonClient;
import dev.coffer.protocol.Json;
import java.io.ByteArrayInputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Arrays;
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
import org.openjdk.jmh.infra.Blackhole;
import software.amazon.cryptography.materialproviders.IKeyring;
import software.amazon.cryptography.materialproviders.MaterialProviders;
import software.amazon.cryptography.materialproviders.model.AesWrappingAlg;
import software.amazon.cryptography.materialproviders.model.CreateRawAesKeyringInput;
import software.amazon.cryptography.materialproviders.model.MaterialProvidersConfig;

/**
 * The message body work of {@code coffer encrypt-file} and {@code decrypt-file} (the {@code
 * dev.coffer.esdk} writer and reader, data key from the in-process daemon's GenerateDataKey)
 * against the AWS Encryption SDK for Java's streams with the same suite (0x0478, committing,
 * unsigned) and the same frame size ({@code frame}: the ESDK's default 4096 and encrypt-file's
 * 262144; raw AES keyring: no network, which favours the SDK), and against the provider's envelope {@code Cipher} (one AES-GCM pass, no framing) over
 * the same bytes, all in memory so the disk does not set the pace (both streams write into one
 * reused array, {@link Sink}). One operation is one whole
 * message of {@code size} bytes: bytes per second = ops/s x size.
 */
@Shows("encrypt-file's message format (Coffer) against the AWS Encryption SDK for Java's streams "
    + "(same suite 0x0478, same `frame` size: 4096, the ESDK's default, and 262144, "
    + "encrypt-file's) and the provider's envelope Cipher over the same bytes in memory; "
    + "one op = one message of `size` bytes.")
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class FileEncryptionBenchmark {

  public static final String COFFER_FILE = "CofferFile";
  public static final String AWS_ESDK_STREAM = "AwsEsdkStream";
  public static final String ENVELOPE_CIPHER = "EnvelopeCipher";

  @Param({COFFER_FILE, AWS_ESDK_STREAM, ENVELOPE_CIPHER})
  public String impl;

  @Param({"1048576", "67108864"})
  public int size;

  /**
   * Plaintext bytes per frame, the same for Coffer and the ESDK: 4096 (the ESDK's default) and
   * 262144 (encrypt-file's). The envelope row has no frames and ignores it.
   */
  @Param({"4096", "262144"})
  public int frame;
  static final Map<String, String> CONTEXT = Map.of("purpose", "bench");

  private byte[] plaintext;
  private byte[] sealed;
  private Sink sink;
  private DaemonClient client;
  private KmsDataKeys cofferKeys;
  private AwsCrypto esdk;
  private IKeyring esdkKeyring;
  private AeadPeer envelope;
  private AeadPeer.Sealed envelopeSealed;

  @Setup(Level.Trial)
  public void setUp(InProcessDaemon daemon) throws Exception {
    plaintext = new byte[size];
    new SecureRandom().nextBytes(plaintext);
    sink = new Sink(size + size / 64 + 65536);
    switch (impl) {
      case COFFER_FILE -> {
        client = new DaemonClient(Path.of(System.getProperty("coffer.socket")), 1,
            Duration.ofSeconds(30));
        ObjectNode key = client.call("CreateKey", Json.object());
        cofferKeys = new KmsDataKeys(client, key.path("KeyMetadata").path("Arn").asText());
        sealed = cofferEncrypt().toByteArray();
        check(cofferDecrypt().toByteArray());
      }
      case AWS_ESDK_STREAM -> {
        byte[] kek = new byte[32];
        new SecureRandom().nextBytes(kek);
        esdkKeyring = MaterialProviders.builder()
            .MaterialProvidersConfig(MaterialProvidersConfig.builder().build()).build()
            .CreateRawAesKeyring(CreateRawAesKeyringInput.builder().keyNamespace("bench")
                .keyName("kek").wrappingKey(ByteBuffer.wrap(kek))
                .wrappingAlg(AesWrappingAlg.ALG_AES256_GCM_IV12_TAG16).build());
        esdk = AwsCrypto.builder()
            .withCommitmentPolicy(CommitmentPolicy.RequireEncryptRequireDecrypt)
            .withEncryptionAlgorithm(CryptoAlgorithm.ALG_AES_256_GCM_HKDF_SHA512_COMMIT_KEY)
            .withEncryptionFrameSize(frame).build();
        sealed = esdkEncrypt().toByteArray();
        check(esdkDecrypt().toByteArray());
      }
      case ENVELOPE_CIPHER -> {
        envelope = Peers.create(Peers.COFFER, daemon);
        envelopeSealed = Peers.sealChecked(Peers.COFFER, envelope, plaintext);
      }
      default -> throw new IllegalArgumentException(impl);
    }
  }

  /**
   * Where the streams write, reused: a fixed array (as a file write copies into the page cache
   * once), so neither side pays for {@code ByteArrayOutputStream}'s growth and final copy.
   */
  static final class Sink extends OutputStream {
    private final byte[] bytes;
    private int count;

    Sink(int capacity) {
      bytes = new byte[capacity];
    }

    Sink reset() {
      count = 0;
      return this;
    }

    @Override
    public void write(int b) {
      bytes[count++] = (byte) b;
    }

    @Override
    public void write(byte[] b, int off, int len) {
      System.arraycopy(b, off, bytes, count, len);
      count += len;
    }

    byte[] toByteArray() {
      return Arrays.copyOf(bytes, count);
    }

    int size() {
      return count;
    }
  }

  private void check(byte[] opened) {
    if (!Arrays.equals(plaintext, opened)) {
      throw new IllegalStateException(impl + " did not round trip");
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    if (client != null) {
      client.close();
    }
  }

  private Sink cofferEncrypt() throws Exception {
    Sink out = sink.reset();
    new MessageEncryptor(AlgorithmSuite.AES_256_GCM_HKDF_SHA512_COMMIT_KEY, frame).encrypt(
        new ByteArrayInputStream(plaintext), out, EncryptionContext.of(CONTEXT), cofferKeys,
        Progress.NONE);
    return out;
  }

  private Sink cofferDecrypt() throws Exception {
    Sink out = sink.reset();
    MessageDecryptor.decrypt(new ByteArrayInputStream(sealed), out, CONTEXT, cofferKeys,
        Progress.NONE);
    return out;
  }

  private Sink esdkEncrypt() throws Exception {
    Sink out = sink.reset();
    try (OutputStream s = esdk.createEncryptingStream(esdkKeyring, out, CONTEXT)) {
      s.write(plaintext);
    }
    return out;
  }

  private Sink esdkDecrypt() throws Exception {
    Sink out = sink.reset();
    try (OutputStream s = esdk.createDecryptingStream(esdkKeyring, out)) {
      s.write(sealed);
    }
    return out;
  }

  @Benchmark
  public void encrypt(Blackhole bh) throws Exception {
    switch (impl) {
      case COFFER_FILE -> bh.consume(cofferEncrypt().size());
      case AWS_ESDK_STREAM -> bh.consume(esdkEncrypt().size());
      default -> bh.consume(envelope.encrypt(plaintext));
    }
  }

  @Benchmark
  public void decrypt(Blackhole bh) throws Exception {
    switch (impl) {
      case COFFER_FILE -> bh.consume(cofferDecrypt().size());
      case AWS_ESDK_STREAM -> bh.consume(esdkDecrypt().size());
      default -> bh.consume(envelope.decrypt(envelopeSealed));
    }
  }
}
