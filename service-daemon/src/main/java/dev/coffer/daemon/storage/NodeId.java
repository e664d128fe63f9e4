package dev.coffer.daemon.storage;

import dev.coffer.daemon.files.SecureFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * This node's name in a cluster: the first line of {@code $COFFER_HOME/node-id} (mode 0644: it
 * is a name, not a secret), e.g. {@code node-3f9a0c1e}, made once at first start. It names the
 * node in the rows it owns (its audit outbox, its usage journal folds, its key store sessions)
 * and in logs and audit reports.
 */
public final class NodeId {
  private NodeId() {}

  public static final String FILE = "node-id";
  private static final String FORM = "[A-Za-z0-9._-]{1,64}";

  /**
   * Reads {@code home/node-id}, creating it on first start.
   *
   * @throws IOException if it cannot be read or written, or holds something other than 1 to 64
   *     of {@code A-Z a-z 0-9 . _ -}
   */
  public static String loadOrCreate(Path home, SecureRandom random) throws IOException {
    Path f = home.resolve(FILE);
    if (!Files.exists(f)) {
      byte[] b = new byte[4];
      random.nextBytes(b);
      String id = "node-" + HexFormat.of().formatHex(b);
      SecureFiles.createNew(f, (id + "\n").getBytes(StandardCharsets.US_ASCII),
          SecureFiles.PUBLIC_READ);
    }
    String id = Files.readAllLines(f, StandardCharsets.UTF_8).stream().findFirst().orElse("")
        .strip();
    if (!id.matches(FORM)) {
      throw new IOException(f + " must hold this node's name on its first line, 1 to 64 of"
          + " A-Z a-z 0-9 . _ -; got '" + id + "'; fix the file or delete it for a new name");
    }
    return id;
  }
}
