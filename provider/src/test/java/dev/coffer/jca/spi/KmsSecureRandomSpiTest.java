package dev.coffer.jca.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coffer.jca.TestDaemon;
import dev.coffer.jca.core.CofferStats;
import dev.coffer.jca.core.KmsProviderException;
import java.security.SecureRandom;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class KmsSecureRandomSpiTest {

  @BeforeAll
  static void setUp() {
    TestDaemon.socket();
  }

  @Test
  void nextBytes_givesFreshBytesAcrossRefills() throws Exception {
    SecureRandom r = SecureRandom.getInstance("KMS", "Coffer");
    byte[] a = new byte[3000];
    byte[] b = new byte[3000];
    r.nextBytes(a);
    r.nextBytes(b);
    assertFalse(Arrays.equals(a, b));
    assertFalse(Arrays.equals(new byte[3000], a));
    assertEquals(16, r.generateSeed(16).length);
  }

  @Test
  void smallReads_areBuffered() throws Exception {
    SecureRandom r = SecureRandom.getInstance("KMS", "Coffer");
    r.nextBytes(new byte[1]);
    long before = CofferStats.daemonRoundTrips();
    for (int i = 0; i < 100; i++) {
      r.nextBytes(new byte[8]);
    }
    assertEquals(before, CofferStats.daemonRoundTrips());
  }

  @Test
  void setSeed_isHarmless() throws Exception {
    SecureRandom r = SecureRandom.getInstance("KMS", "Coffer");
    r.setSeed(new byte[] {1, 2, 3});
    r.nextBytes(new byte[4]);
  }

  @Test
  void daemonDown_throwsNamingUnavailable() throws Exception {
    String saved = System.getProperty("coffer.socket");
    System.setProperty("coffer.socket", "/tmp/no-coffer-random.sock");
    try {
      SecureRandom r = SecureRandom.getInstance("KMS", "Coffer");
      KmsProviderException e = assertThrows(KmsProviderException.class,
          () -> r.nextBytes(new byte[4]));
      assertTrue(e.getMessage().startsWith("CofferDaemonUnavailableException"));
    } finally {
      System.setProperty("coffer.socket", saved);
    }
  }
}
