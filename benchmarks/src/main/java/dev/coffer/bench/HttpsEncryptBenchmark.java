package dev.coffer.bench;

import dev.coffer.bench.support.HttpsDaemon;
import dev.coffer.bench.support.HttpsEcho;
import dev.coffer.bench.support.Peers;
import dev.coffer.bench.support.Shows;
import java.security.GeneralSecurityException;
import java.util.concurrent.TimeUnit;
import javax.crypto.Cipher;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kms.model.EncryptResponse;

/**
 * Encrypt of 1 KiB by the AWS SDK for Java v2 {@code KmsClient} over the daemon's HTTPS endpoint
 * (keep-alive, SigV4 verified, audit records written) with 1 and 4 client threads, beside the
 * same Encrypt through the Unix socket (provider {@code Cipher("KMS")}) and beside a bare HTTPS
 * echo on the same Jetty with the same TLS and the same client (issue 15's target: at 4 threads
 * HTTPS reaches at least 0.7 of the echo's rate). Throughput and latency percentiles.
 */
@Shows("Encrypt of 1 KiB with the AWS SDK v2 KmsClient over the HTTPS endpoint (keep-alive, "
    + "SigV4, audit on) at 1 and 4 threads, beside the Unix socket and a bare HTTPS echo on the "
    + "same Jetty and TLS.")
@State(Scope.Thread)
@BenchmarkMode({Mode.Throughput, Mode.SampleTime})
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms512m", "-Xmx512m"})
public class HttpsEncryptBenchmark {

  static final int SIZE = 1024;

  private SdkBytes plaintext;
  private byte[] raw;
  private Cipher socketCipher;

  @Setup(Level.Trial)
  public void setUp(HttpsDaemon daemon) throws GeneralSecurityException {
    // Taking the daemon state orders this after it has registered the provider.
    raw = Peers.message(SIZE);
    plaintext = SdkBytes.fromByteArray(raw);
    socketCipher = Cipher.getInstance("KMS", "Coffer");
  }

  private EncryptResponse viaHttps(HttpsDaemon d) {
    return d.kms().encrypt(b -> b.keyId(d.httpsKeyArn()).plaintext(plaintext));
  }

  private EncryptResponse viaEcho(HttpsDaemon d, HttpsEcho echo) {
    return echo.kms().encrypt(b -> b.keyId(d.httpsKeyArn()).plaintext(plaintext));
  }

  private byte[] viaSocket(HttpsDaemon d) throws GeneralSecurityException {
    socketCipher.init(Cipher.ENCRYPT_MODE, d.socketKey());
    return socketCipher.doFinal(raw);
  }

  @Benchmark
  @Threads(1)
  public EncryptResponse https_1thread(HttpsDaemon d) {
    return viaHttps(d);
  }

  @Benchmark
  @Threads(4)
  public EncryptResponse https_4threads(HttpsDaemon d) {
    return viaHttps(d);
  }

  @Benchmark
  @Threads(1)
  public byte[] socket_1thread(HttpsDaemon d) throws GeneralSecurityException {
    return viaSocket(d);
  }

  @Benchmark
  @Threads(4)
  public byte[] socket_4threads(HttpsDaemon d) throws GeneralSecurityException {
    return viaSocket(d);
  }

  @Benchmark
  @Threads(1)
  public EncryptResponse httpsEcho_1thread(HttpsDaemon d, HttpsEcho echo) {
    return viaEcho(d, echo);
  }

  @Benchmark
  @Threads(4)
  public EncryptResponse httpsEcho_4threads(HttpsDaemon d, HttpsEcho echo) {
    return viaEcho(d, echo);
  }
}
