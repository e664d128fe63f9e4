package dev.coffer.conformance;

import dev.coffer.jca.key.KmsKey;
import dev.coffer.jca.key.KmsKeySpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import javax.crypto.Cipher;
import javax.crypto.KeyGenerator;
import javax.crypto.SecretKeyFactory;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kms.KmsClient;

/**
 * The client load of {@link ClusterConformanceTest}'s kill test: client threads that create
 * keys, encrypt and decrypt through the Coffer provider (several endpoints) or the AWS SDK v2,
 * and a ledger of what the cluster acknowledged to them.
 */
final class ClusterLoad {
  private ClusterLoad() {}

  /** What a client thread saw acknowledged, and what failed. */
  static final class Ledger {
    final ConcurrentLinkedQueue<String> createdKeys = new ConcurrentLinkedQueue<>();
    final ConcurrentLinkedQueue<byte[][]> ciphertexts = new ConcurrentLinkedQueue<>(); // {pt, ct}
    final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
    final ConcurrentLinkedQueue<String> unacknowledged = new ConcurrentLinkedQueue<>();
    final AtomicInteger[] doneAfterKill = {new AtomicInteger(), new AtomicInteger(),
        new AtomicInteger(), new AtomicInteger()};
  }

  /** The operations a client thread runs, over the provider or the SDK. */
  interface Client {
    String createKey() throws Exception;

    byte[] encrypt(String keyId, byte[] plaintext) throws Exception;

    byte[] decrypt(String keyId, byte[] ciphertext) throws Exception;

    /** Whether {@code e} from CreateKey says the request may or may not have been applied. */
    boolean unknownOutcome(Exception e);
  }

  /**
   * The Coffer JCA provider in this JVM over HTTPS, {@code coffer.endpoint} listing both nodes
   * (the one to be killed first): KeyGenerator KMS for CreateKey, Cipher KMS for Encrypt and
   * Decrypt. It moves on to the next endpoint when one is down, retrying only what is safe; a
   * CreateKey whose answer was lost fails saying it may have been applied.
   */
  static final class ProviderClient implements Client {
    private final Map<String, KmsKey> handles = new ConcurrentHashMap<>();

    @Override
    public String createKey() throws Exception {
      KeyGenerator g = KeyGenerator.getInstance("KMS", "Coffer");
      g.init(256);
      KmsKey k = (KmsKey) g.generateKey();
      handles.put(k.keyId(), k);
      return k.keyId();
    }

    private KmsKey handle(String keyId) throws Exception {
      KmsKey k = handles.get(keyId);
      if (k == null) {
        k = (KmsKey) SecretKeyFactory.getInstance("KMS", "Coffer")
            .generateSecret(KmsKeySpec.of(keyId));
        handles.put(keyId, k);
      }
      return k;
    }

    @Override
    public byte[] encrypt(String keyId, byte[] plaintext) throws Exception {
      Cipher c = Cipher.getInstance("KMS", "Coffer");
      c.init(Cipher.ENCRYPT_MODE, handle(keyId));
      return c.doFinal(plaintext);
    }

    @Override
    public byte[] decrypt(String keyId, byte[] ciphertext) throws Exception {
      Cipher c = Cipher.getInstance("KMS", "Coffer");
      c.init(Cipher.DECRYPT_MODE, handle(keyId));
      return c.doFinal(ciphertext);
    }

    @Override
    public boolean unknownOutcome(Exception e) {
      String m = String.valueOf(e.getMessage());
      return m.contains("may have been applied") || m.contains("may still be applied");
    }
  }

  /** The AWS SDK v2 client of one node (which stays up). */
  record SdkClient(KmsClient kms) implements Client {
    @Override
    public String createKey() {
      return kms.createKey(b -> b.description("under load")).keyMetadata().keyId();
    }

    @Override
    public byte[] encrypt(String keyId, byte[] plaintext) {
      return kms.encrypt(b -> b.keyId(keyId).plaintext(SdkBytes.fromByteArray(plaintext)))
          .ciphertextBlob().asByteArray();
    }

    @Override
    public byte[] decrypt(String keyId, byte[] ciphertext) {
      return kms.decrypt(b -> b.keyId(keyId).ciphertextBlob(SdkBytes.fromByteArray(ciphertext)))
          .plaintext().asByteArray();
    }

    @Override
    public boolean unknownOutcome(Exception e) {
      return false; // this client's node is never killed
    }
  }

  /**
   * One client thread until {@code stopAt}: CreateKey (at most {@code maxCreates}), Encrypt
   * under a key it created, Decrypt of something it encrypted, in turn. Records what was
   * acknowledged and every failure; a CreateKey with an unknown outcome is not acknowledged.
   */
  static void work(int thread, Client client, String firstKey, long stopAt, AtomicLong killedAt,
      Ledger ledger, int maxCreates) {
    List<String> mine = new ArrayList<>(List.of(firstKey));
    List<byte[][]> sealed = new ArrayList<>();
    int creates = 0;
    for (int i = 0; System.nanoTime() < stopAt; i++) {
      String op = i % 3 == 0 && creates < maxCreates ? "CreateKey" : i % 3 == 2
          && !sealed.isEmpty() ? "Decrypt" : "Encrypt";
      try {
        switch (op) {
          case "CreateKey" -> {
            creates++;
            String id = client.createKey();
            mine.add(id);
            ledger.createdKeys.add(id);
          }
          case "Encrypt" -> {
            String keyId = mine.get(ClusterConformanceTest.RANDOM.nextInt(mine.size()));
            byte[] pt = ClusterConformanceTest.random(64);
            byte[] ct = client.encrypt(keyId, pt);
            sealed.add(new byte[][] {keyId.getBytes(), pt, ct});
            ledger.ciphertexts.add(new byte[][] {keyId.getBytes(), pt, ct});
          }
          default -> {
            byte[][] s = sealed.get(ClusterConformanceTest.RANDOM.nextInt(sealed.size()));
            byte[] pt = client.decrypt(new String(s[0]), s[2]);
            if (!Arrays.equals(pt, s[1])) {
              ledger.failures.add("thread " + thread + ": Decrypt returned other plaintext");
            }
          }
        }
        if (killedAt.get() != 0 && System.nanoTime() > killedAt.get()) {
          ledger.doneAfterKill[thread].incrementAndGet();
        }
      } catch (Exception e) {
        if (op.equals("CreateKey") && client.unknownOutcome(e)) {
          ledger.unacknowledged.add("thread " + thread + ": " + e);
        } else {
          ledger.failures.add("thread " + thread + " " + op + ": " + e);
        }
      }
    }
  }
}
