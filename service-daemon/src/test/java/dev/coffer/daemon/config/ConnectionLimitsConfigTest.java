package dev.coffer.daemon.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coffer.daemon.config.DaemonConfig.ConnectionLimits;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/** The connection-limit keys of {@code coffer.properties}: defaults, overrides, bad values. */
class ConnectionLimitsConfigTest {

  private static DaemonConfig with(String... kv) {
    Properties p = new Properties();
    for (int i = 0; i < kv.length; i += 2) {
      p.setProperty(kv[i], kv[i + 1]);
    }
    return DaemonConfig.forDirectory(Path.of("/tmp/unused")).withProperties(p);
  }

  @Test
  void defaults_quarterOfMaxConnectionsPerUser_andDocumentedTimeouts() {
    ConnectionLimits l = with().connectionLimits();
    assertEquals(64, l.maxConnectionsPerUser());
    assertEquals(Duration.ofSeconds(10), l.frameReadTimeout());
    assertEquals(Duration.ofSeconds(300), l.idleTimeout());
    assertEquals(Duration.ofSeconds(30), l.writeTimeout());
    assertEquals(10, l.malformedFrameRecordsPerWindow());
    assertEquals(Duration.ofSeconds(60), l.malformedFrameWindow());
  }

  @Test
  void maxConnectionsSet_perUserDefaultFollowsIt() {
    assertEquals(10, with("max-connections", "40").connectionLimits().maxConnectionsPerUser());
    assertEquals(1, with("max-connections", "3").connectionLimits().maxConnectionsPerUser());
  }

  @Test
  void everyKeyOverrides() {
    ConnectionLimits l = with("max-connections", "20", "max-connections-per-user", "7",
        "frame-read-timeout-seconds", "2", "idle-timeout-seconds", "3",
        "write-timeout-seconds", "4", "audit-malformed-frames-per-window", "5",
        "audit-malformed-frames-window-seconds", "6", "audit-refused-requests-per-window", "8",
        "audit-refused-requests-window-seconds", "9").connectionLimits();
    assertEquals(new ConnectionLimits(7, Duration.ofSeconds(2), Duration.ofSeconds(3),
        Duration.ofSeconds(4), 5, Duration.ofSeconds(6), 8, Duration.ofSeconds(9)), l);
    assertTrue(DaemonConfig.SETTINGS.containsAll(java.util.List.of("max-connections-per-user",
        "frame-read-timeout-seconds", "idle-timeout-seconds", "write-timeout-seconds",
        "audit-malformed-frames-per-window", "audit-malformed-frames-window-seconds",
        "audit-refused-requests-per-window", "audit-refused-requests-window-seconds")));
  }

  @Test
  void badValues_refusedNamingTheKey() {
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> with("max-connections", "8", "max-connections-per-user", "9")).getMessage()
        .contains("max-connections-per-user"));
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> with("max-connections-per-user", "0")).getMessage()
        .contains("max-connections-per-user"));
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> with("frame-read-timeout-seconds", "0")).getMessage()
        .contains("frame-read-timeout-seconds"));
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> with("idle-timeout-seconds", "soon")).getMessage()
        .contains("idle-timeout-seconds"));
  }
}
