package dev.coffer.daemon.usage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coffer.daemon.TestDaemon;
import dev.coffer.daemon.ops.Caller;
import dev.coffer.daemon.ops.UsageMeter;
import dev.coffer.protocol.KmsException;
import java.util.Base64;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A request whose usage count cannot be committed is not acknowledged as done: a successful
 * request that changed nothing is answered {@code KMSInternalException} saying so; a change
 * already committed (and audited), or a refusal, is answered as what it is.
 */
class UncountedRequestTest {

  private TestDaemon d;

  /** A meter whose counts never become durable, as when the database refuses the commit. */
  private static final UsageMeter NOT_DURABLE = new UsageMeter() {
    @Override
    public void admit(Caller caller, String operation) {}

    @Override
    public Ticket count(Caller caller, String operation, String keyArn, boolean succeeded) {
      return () -> {
        throw new IllegalStateException("database write failed: disk full");
      };
    }
  };

  @BeforeEach
  void start() throws Exception {
    d = new TestDaemon();
  }

  @AfterEach
  void stop() throws Exception {
    d.close();
  }

  @Test
  void uncountedRead_orCryptographicRequest_withheldSayingNothingChanged() {
    String key = d.createKey();
    d.daemon.pipeline().setUsageMeter(NOT_DURABLE);
    KmsException e = d.fails("KMSInternalException", "Encrypt", "KeyId", key, "Plaintext",
        Base64.getEncoder().encodeToString("x".getBytes()));
    assertTrue(e.getMessage().contains("nothing was changed"), e.getMessage());
    d.fails("KMSInternalException", "DescribeKey", "KeyId", key);
    // a refusal stays the refusal it is (it says nothing was done, and why)
    d.fails("NotFoundException", "DescribeKey", "KeyId", "alias/missing");
  }

  @Test
  void uncountedCommittedChange_answeredAsDone() {
    String key = d.createKey();
    d.daemon.pipeline().setUsageMeter(NOT_DURABLE);
    d.call("DisableKey", "KeyId", key); // committed and audited: the answer must say it happened
    d.daemon.pipeline().setUsageMeter(UsageMeter.NONE);
    assertEquals("Disabled", d.call("DescribeKey", "KeyId", key).get("KeyMetadata")
        .get("KeyState").asText());
  }

  /**
   * An Error inside a request (a class missing because the daemon's jar was replaced under it,
   * a stack overflow) used to escape the pipeline: no answer, no audit record, and the client
   * waited out its read timeout (measured: 60 s for CreateKey of an RSA key after an install).
   */
  @Test
  void anErrorInARequest_answeredKmsInternalException() {
    String key = d.createKey();
    d.daemon.pipeline().setUsageMeter(new UsageMeter() {
      @Override
      public void admit(Caller caller, String operation) {
        throw new NoClassDefFoundError("org/bouncycastle/jce/provider/BouncyCastleProvider");
      }

      @Override
      public Ticket count(Caller caller, String operation, String keyArn, boolean succeeded) {
        return () -> {};
      }
    });
    KmsException e = d.fails("KMSInternalException", "DescribeKey", "KeyId", key);
    assertTrue(e.getMessage().contains("see its log"), e.getMessage());
    d.fails("KMSInternalException", "Encrypt", "KeyId", key, "Plaintext",
        Base64.getEncoder().encodeToString("x".getBytes()));
    d.daemon.pipeline().setUsageMeter(UsageMeter.NONE);
    d.call("DescribeKey", "KeyId", key); // the daemon goes on serving
  }
}
