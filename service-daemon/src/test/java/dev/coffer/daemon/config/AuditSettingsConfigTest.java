package dev.coffer.daemon.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/** {@code audit-retention-days} and {@code audit-max-file-bytes}: defaults, values, refusals. */
class AuditSettingsConfigTest {

  private static DaemonConfig with(String... kv) {
    Properties p = new Properties();
    for (int i = 0; i < kv.length; i += 2) {
      p.setProperty(kv[i], kv[i + 1]);
    }
    return DaemonConfig.forDirectory(Path.of("/tmp/unused")).withProperties(p);
  }

  @Test
  void defaults_keepForever_16MiBFiles() {
    AuditSettings a = with().audit();
    assertNull(a.retention());
    assertEquals(16L << 20, a.maxFileBytes());
    assertTrue(DaemonConfig.SETTINGS.containsAll(
        java.util.List.of("audit-retention-days", "audit-max-file-bytes")));
  }

  @Test
  void values_read() {
    AuditSettings a = with("audit-retention-days", " 400 ", "audit-max-file-bytes", "4096")
        .audit();
    assertEquals(Duration.ofDays(400), a.retention());
    assertEquals(4096, a.maxFileBytes());
  }

  @Test
  void badValues_refusedNamingKeyAndRule() {
    for (String bad : new String[] {"0", "-1", "36501", "7d", "", "forever", "1.5",
        "99999999999"}) {
      String m = assertThrows(IllegalArgumentException.class,
          () -> with("audit-retention-days", bad), bad).getMessage();
      assertTrue(m.contains("'audit-retention-days'") && m.contains("from 1 to 36500"), m);
    }
    for (String bad : new String[] {"4095", "0", "1073741825", "16MiB", ""}) {
      String m = assertThrows(IllegalArgumentException.class,
          () -> with("audit-max-file-bytes", bad), bad).getMessage();
      assertTrue(m.contains("'audit-max-file-bytes'") && m.contains("from 4096 to"), m);
    }
  }

  @Test
  void typo_suggestsTheKey() {
    Settings s = Settings.of(new Properties());
    s.setProperty("audit-retention-day", "3");
    String m = assertThrows(IllegalArgumentException.class,
        () -> s.requireKnown(DaemonConfig.SETTINGS)).getMessage();
    assertTrue(m.contains("did you mean 'audit-retention-days'"), m);
  }
}
