package dev.coffer.daemon.server;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.coffer.daemon.identity.UnixPeer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.newsclub.net.unix.AFUNIXSocketCredentials;

/**
 * Turns a connection's kernel-reported credentials into a {@link UnixPeer}: user name and the names
 * of every group the user is in (primary and supplementary), looked up through the system's own
 * name service ({@code id(1)}, so LDAP/SSSD users resolve too) and cached for a minute.
 */
final class PeerIdentity {

  private record Names(String user, Set<String> groups) {}

  private final Cache<Long, Names> byUid =
      Caffeine.newBuilder().expireAfterWrite(Duration.ofMinutes(1)).maximumSize(10_000).build();

  UnixPeer resolve(AFUNIXSocketCredentials c) {
    long uid = c.getUid();
    Names n = byUid.get(uid, PeerIdentity::lookup);
    return new UnixPeer(uid, c.getGid(), c.getPid(), n.user(), n.groups());
  }

  private static Names lookup(long uid) {
    String user = run("id", "-un", Long.toString(uid));
    if (user == null) {
      return new Names("uid:" + uid, Set.of());
    }
    String groups = run("id", "-Gn", Long.toString(uid));
    Set<String> g = new LinkedHashSet<>();
    if (groups != null) {
      g.addAll(Arrays.asList(groups.split("\\s+")));
    }
    return new Names(user, g);
  }

  private static String run(String... cmd) {
    try {
      Process p = dev.coffer.daemon.config.StorageSettings.withoutPassword(
          new ProcessBuilder(cmd)).redirectErrorStream(false).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      if (!p.waitFor(5, TimeUnit.SECONDS) || p.exitValue() != 0 || out.isEmpty()) {
        return null;
      }
      return out;
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }
}
