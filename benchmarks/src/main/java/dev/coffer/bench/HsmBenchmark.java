package dev.coffer.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.bench.support.AeadPeer;
import dev.coffer.bench.support.AeadPeer.Sealed;
import dev.coffer.bench.support.InProcessDaemon;
import dev.coffer.bench.support.JcaAeadPeer;
import dev.coffer.bench.support.KmsCipherPeer;
import dev.coffer.bench.support.Peers;
import dev.coffer.bench.support.Shows;
import dev.coffer.bench.support.SoftHsmToken;
import dev.coffer.jca.key.KmsKeySpec;
import dev.coffer.protocol.DaemonClient;
import dev.coffer.protocol.Json;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.Provider;
import java.security.Security;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import javax.crypto.KeyGenerator;
import javax.crypto.SecretKey;
import javax.crypto.SecretKeyFactory;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Coffer Encrypt/Decrypt of 1 KiB with a key in a SoftHSM2 custom key store beside a key in the
 * software store, against SunPKCS11 AES-GCM directly on a sensitive SoftHSM2 token key.
 */
@Shows(value = "Coffer Encrypt/Decrypt of 1 KiB with a key in a SoftHSM2 custom key store beside "
    + "a key in the software store, against SunPKCS11 AES-GCM directly on a sensitive SoftHSM2 "
    + "token key.", baseline = HsmBenchmark.SUNPKCS11)
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
// The daemon finds a token by label through SunPKCS11's wrapper, as `coffer serve` does.
@Fork(value = 1, jvmArgsAppend = {"-Xms512m", "-Xmx512m",
    "--add-exports", "jdk.crypto.cryptoki/sun.security.pkcs11.wrapper=ALL-UNNAMED"})
public class HsmBenchmark {

  /** Coffer, key generated in the token of a connected PKCS#11 custom key store. */
  public static final String COFFER_HSM = "CofferCustomKeyStore";
  /** Coffer, key in the default (software) key store. */
  public static final String COFFER_SOFTWARE = "CofferSoftwareStore";
  /** SunPKCS11 {@code AES/GCM/NoPadding} on a sensitive, non-extractable token key. */
  public static final String SUNPKCS11 = "SunPKCS11";
  /**
   * The same with 64 bytes of AAD per message, as the daemon always passes (the blob's header):
   * SunPKCS11 initialises the token operation at {@code init}, and when AAD follows it cancels
   * that operation and initialises it again at {@code doFinal}: two token calls more than the
   * case above.
   */
  public static final String SUNPKCS11_AAD = "SunPKCS11WithAad";

  @Param({COFFER_HSM, COFFER_SOFTWARE, SUNPKCS11, SUNPKCS11_AAD})
  public String provider;

  @Param({"1024"})
  public int size;

  private AeadPeer peer;
  private byte[] plaintext;
  private Sealed sealed;

  @Setup(Level.Trial)
  public void setUp(InProcessDaemon daemon, SoftHsmToken token) throws Exception {
    peer = switch (provider) {
      case COFFER_HSM -> new KmsCipherPeer(customKeyStoreKey(token));
      case COFFER_SOFTWARE -> new KmsCipherPeer(daemon.kmsKey());
      case SUNPKCS11 -> sunPkcs11(token, null);
      case SUNPKCS11_AAD -> sunPkcs11(token, new byte[64]);
      default -> throw new IllegalArgumentException("unknown peer " + provider);
    };
    plaintext = Peers.message(size);
    sealed = Peers.sealChecked(provider, peer, plaintext);
  }

  /** CreateCustomKeyStore, ConnectCustomKeyStore and CreateKey in it, through the protocol. */
  private static SecretKey customKeyStoreKey(SoftHsmToken token) throws GeneralSecurityException {
    try (DaemonClient c = new DaemonClient(Path.of(System.getProperty("coffer.socket")), 1,
        Duration.ofSeconds(60))) {
      String store = c.call("CreateCustomKeyStore", Json.object()
          .put("CustomKeyStoreName", token.label()).put("CustomKeyStoreType", "PKCS11")
          .put("Pkcs11LibraryPath", SoftHsmToken.LIBRARY)
          .put("Pkcs11TokenLabel", token.label())
          .put("KeyStorePassword", SoftHsmToken.PIN)).get("CustomKeyStoreId").asText();
      c.call("ConnectCustomKeyStore", Json.object().put("CustomKeyStoreId", store));
      ObjectNode describe = Json.object().put("CustomKeyStoreId", store);
      ObjectNode described = (ObjectNode) c.call("DescribeCustomKeyStores", describe)
          .get("CustomKeyStores").get(0);
      if (!described.path("ConnectionState").asText().equals("CONNECTED")) {
        throw new IllegalStateException("custom key store not connected: " + described);
      }
      String keyId = c.call("CreateKey", Json.object().put("CustomKeyStoreId", store))
          .get("KeyMetadata").get("KeyId").asText();
      return SecretKeyFactory.getInstance("KMS", "Coffer").generateSecret(KmsKeySpec.of(keyId));
    }
  }

  /** A SunPKCS11 instance on the token, logged in, with a sensitive token AES-256 key. */
  private static AeadPeer sunPkcs11(SoftHsmToken token, byte[] aad) throws Exception {
    String config = "--name = CofferBench\nlibrary = " + SoftHsmToken.LIBRARY + "\nslot = "
        + token.slot() + "\nattributes(generate, CKO_SECRET_KEY, CKK_AES) = {\n"
        + "  CKA_TOKEN = true\n  CKA_SENSITIVE = true\n  CKA_EXTRACTABLE = false\n}\n";
    Provider p = Security.getProvider("SunPKCS11").configure(config);
    Security.addProvider(p);
    KeyStore.getInstance("PKCS11", p).load(null, SoftHsmToken.PIN.toCharArray());
    KeyGenerator kg = KeyGenerator.getInstance("AES", p);
    kg.init(256);
    return new JcaAeadPeer(p.getName(), kg.generateKey(), aad);
  }

  @Benchmark
  public Sealed encrypt() throws GeneralSecurityException {
    return peer.encrypt(plaintext);
  }

  @Benchmark
  public byte[] decrypt() throws GeneralSecurityException {
    return peer.decrypt(sealed);
  }
}
