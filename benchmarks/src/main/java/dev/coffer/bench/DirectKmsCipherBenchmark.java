package dev.coffer.bench;

import dev.coffer.bench.support.InProcessDaemon;
import dev.coffer.bench.support.Peers;
import dev.coffer.bench.support.Shows;
import dev.coffer.bench.support.UnixEcho;
import dev.coffer.bench.support.WarmDaemon;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.util.Arrays;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;

/**
 * Direct Encrypt and Decrypt of 1 KiB through the daemon (provider Cipher KMS, audit records
 * written) with 1, 2 and 4 client threads: throughput and latency percentiles, beside a bare
 * Unix-socket echo of 1 KiB as the floor.
 *
 * <p>Each Encrypt and Decrypt fork first serves {@link WarmDaemon#SECONDS} seconds of 4-thread
 * traffic, so the numbers are those of a daemon that has been running, not of its JIT warm-up.
 */
@Shows("Direct Encrypt and Decrypt of 1 KiB through the daemon (provider Cipher KMS, audit "
    + "records written) with 1, 2 and 4 client threads: throughput and latency percentiles, "
    + "beside a bare Unix-socket echo of 1 KiB as the floor.")
@State(Scope.Thread)
@BenchmarkMode({Mode.Throughput, Mode.SampleTime})
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms512m", "-Xmx512m"})
public class DirectKmsCipherBenchmark {

  static final int SIZE = 1024;

  private Cipher encryptor;
  private Cipher decryptor;
  private byte[] plaintext;
  private byte[] blob;
  private InProcessDaemon daemon;
  private UnixEcho.Client echo;

  @Setup(Level.Trial)
  public void setUp(InProcessDaemon daemon, UnixEcho echoServer)
      throws GeneralSecurityException, IOException {
    this.daemon = daemon;
    this.echo = echoServer.connect();
    encryptor = Cipher.getInstance("KMS", "Coffer");
    decryptor = Cipher.getInstance("KMS", "Coffer");
    plaintext = Peers.message(SIZE);
    blob = encrypt();
    if (!Arrays.equals(plaintext, decrypt())) {
      throw new IllegalStateException("Cipher KMS does not round-trip");
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() throws IOException {
    echo.close();
  }

  private byte[] encrypt() throws GeneralSecurityException {
    encryptor.init(Cipher.ENCRYPT_MODE, daemon.kmsKey());
    return encryptor.doFinal(plaintext);
  }

  private byte[] decrypt() throws GeneralSecurityException {
    decryptor.init(Cipher.DECRYPT_MODE, daemon.kmsKey());
    return decryptor.doFinal(blob);
  }

  @Benchmark
  @Threads(1)
  public byte[] encrypt_1thread(WarmDaemon warm) throws GeneralSecurityException {
    return encrypt();
  }

  @Benchmark
  @Threads(2)
  public byte[] encrypt_2threads(WarmDaemon warm) throws GeneralSecurityException {
    return encrypt();
  }

  @Benchmark
  @Threads(4)
  public byte[] encrypt_4threads(WarmDaemon warm) throws GeneralSecurityException {
    return encrypt();
  }

  @Benchmark
  @Threads(1)
  public byte[] decrypt_1thread(WarmDaemon warm) throws GeneralSecurityException {
    return decrypt();
  }

  @Benchmark
  @Threads(2)
  public byte[] decrypt_2threads(WarmDaemon warm) throws GeneralSecurityException {
    return decrypt();
  }

  @Benchmark
  @Threads(4)
  public byte[] decrypt_4threads(WarmDaemon warm) throws GeneralSecurityException {
    return decrypt();
  }

  /** The same 1 KiB to a bare echo server and back: what any daemon call costs at least. */
  @Benchmark
  @Threads(1)
  public ByteBuffer echo_1thread() throws IOException {
    return echo.roundTrip(plaintext);
  }

  @Benchmark
  @Threads(4)
  public ByteBuffer echo_4threads() throws IOException {
    return echo.roundTrip(plaintext);
  }
}
