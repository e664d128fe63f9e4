package dev.coffer.daemon.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/** {@code monthly-request-limits} in {@code coffer.properties}: default, entries, bad values. */
class UsageLimitsConfigTest {

  private static DaemonConfig with(String... kv) {
    Properties p = new Properties();
    for (int i = 0; i < kv.length; i += 2) {
      p.setProperty(kv[i], kv[i + 1]);
    }
    return DaemonConfig.forDirectory(Path.of("/tmp/unused")).withProperties(p);
  }

  @Test
  void default_noLimits() {
    assertEquals(List.of(), with().usageLimits().entries());
    assertTrue(DaemonConfig.SETTINGS.contains("monthly-request-limits"));
  }

  @Test
  void entries_parsedInOrder() {
    assertEquals(List.of(new UsageLimits.Entry("user/root", 100000),
            new UsageLimits.Entry("iam-user/ci", 5000), new UsageLimits.Entry("group/root", 0)),
        with("monthly-request-limits", "user/root:100000, iam-user/ci:5000,group/root:0")
            .usageLimits().entries());
  }

  @Test
  void badEntries_refusedNamingKeyAndEntry() {
    for (String bad : List.of("user/root", "user/root:-1", "root:5", "user/root:many",
        "user/no-such-user-xyz:5", "group/no-such-group-xyz:5", "user/root:1e3")) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> with("monthly-request-limits", bad), bad);
      assertTrue(e.getMessage().contains("monthly-request-limits"), e.getMessage());
    }
  }
}
