package dev.coffer.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.bench.support.InProcessDaemon;
import dev.coffer.bench.support.Shows;
import dev.coffer.protocol.DaemonClient;
import dev.coffer.protocol.Json;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
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
 * Sign (ECDSA P-256, MessageType DIGEST) and GenerateMac (HMAC-SHA256 of 1 KiB) through the
 * daemon at 1 and 4 threads, beside the same work in-process with an ordinary key (SunEC,
 * SunJCE: the physical limit) and beside Encrypt of the same 1 KiB through the daemon. The
 * service anchor is AWS's published asymmetric request quota, 1,000 requests/s per account.
 * Targets (issue 17): Sign at 4 threads at least 0.6 of SunEC in-process; GenerateMac within 10%
 * of Encrypt.
 */
@Shows("Sign ECDSA P-256 (digest) and GenerateMac HMAC-SHA256 of 1 KiB through the daemon at 1 "
    + "and 4 threads, beside SunEC/SunJCE in-process and Encrypt of 1 KiB through the daemon; "
    + "AWS's asymmetric quota is 1,000 requests/s per account.")
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms512m", "-Xmx512m"})
public class SignMacBenchmark {

  /** The keys, created once per trial through the daemon, and their in-process twins. */
  @State(Scope.Benchmark)
  public static class Keys {
    String ecKey;
    String hmacKey;
    String aesKey;
    KeyPair localPair;
    SecretKeySpec localMacKey;
    final byte[] digest = new byte[32];
    final byte[] kib = new byte[1024];

    @Setup(Level.Trial)
    public void create(InProcessDaemon daemon) throws GeneralSecurityException {
      try (DaemonClient c = client()) {
        ecKey = c.call("CreateKey", Json.object().put("KeySpec", "ECC_NIST_P256")
            .put("KeyUsage", "SIGN_VERIFY")).get("KeyMetadata").get("KeyId").asText();
        hmacKey = c.call("CreateKey", Json.object().put("KeySpec", "HMAC_256")
            .put("KeyUsage", "GENERATE_VERIFY_MAC")).get("KeyMetadata").get("KeyId").asText();
        aesKey = c.call("CreateKey", Json.object()).get("KeyMetadata").get("KeyId").asText();
      }
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"));
      localPair = g.generateKeyPair();
      byte[] k = new byte[32];
      new java.security.SecureRandom().nextBytes(k);
      localMacKey = new SecretKeySpec(k, "HmacSHA256");
      new java.security.SecureRandom().nextBytes(kib);
      System.arraycopy(MessageDigest.getInstance("SHA-256").digest(kib), 0, digest, 0, 32);
    }
  }

  /** One connection per benchmark thread, with the requests built once. */
  @State(Scope.Thread)
  public static class Client {
    DaemonClient client;
    ObjectNode sign;
    ObjectNode mac;
    ObjectNode encrypt;

    @Setup(Level.Trial)
    public void open(Keys keys) {
      client = client();
      sign = Json.object().put("KeyId", keys.ecKey).put("Message", keys.digest)
          .put("MessageType", "DIGEST").put("SigningAlgorithm", "ECDSA_SHA_256");
      mac = Json.object().put("KeyId", keys.hmacKey).put("Message", keys.kib)
          .put("MacAlgorithm", "HMAC_SHA_256");
      encrypt = Json.object().put("KeyId", keys.aesKey).put("Plaintext", keys.kib);
      // Fail here, not in the measurement, if an input is wrong.
      client.call("Sign", sign);
      client.call("GenerateMac", mac);
      client.call("Encrypt", encrypt);
    }

    @TearDown(Level.Trial)
    public void close() {
      client.close();
    }
  }

  static DaemonClient client() {
    return new DaemonClient(Path.of(System.getProperty("coffer.socket")), 1,
        Duration.ofSeconds(30));
  }

  @Benchmark
  @Threads(1)
  public ObjectNode daemonSign_1thread(Client c) {
    return c.client.call("Sign", c.sign);
  }

  @Benchmark
  @Threads(4)
  public ObjectNode daemonSign_4threads(Client c) {
    return c.client.call("Sign", c.sign);
  }

  @Benchmark
  @Threads(1)
  public byte[] sunEcSign_1thread(Keys k) throws GeneralSecurityException {
    return sunEcSign(k);
  }

  @Benchmark
  @Threads(4)
  public byte[] sunEcSign_4threads(Keys k) throws GeneralSecurityException {
    return sunEcSign(k);
  }

  private static byte[] sunEcSign(Keys k) throws GeneralSecurityException {
    Signature s = Signature.getInstance("NONEwithECDSA");
    s.initSign(k.localPair.getPrivate());
    s.update(k.digest);
    return s.sign();
  }

  @Benchmark
  @Threads(1)
  public ObjectNode daemonGenerateMac_1thread(Client c) {
    return c.client.call("GenerateMac", c.mac);
  }

  @Benchmark
  @Threads(4)
  public ObjectNode daemonGenerateMac_4threads(Client c) {
    return c.client.call("GenerateMac", c.mac);
  }

  @Benchmark
  @Threads(1)
  public ObjectNode daemonEncrypt1KiB_1thread(Client c) {
    return c.client.call("Encrypt", c.encrypt);
  }

  @Benchmark
  @Threads(4)
  public ObjectNode daemonEncrypt1KiB_4threads(Client c) {
    return c.client.call("Encrypt", c.encrypt);
  }

  @Benchmark
  @Threads(1)
  public byte[] sunJceHmac_1thread(Keys k) throws GeneralSecurityException {
    Mac m = Mac.getInstance("HmacSHA256");
    m.init(k.localMacKey);
    return m.doFinal(k.kib);
  }
}
